// The fixes of the structure issue, each as a user meets it: over GraphQL where a door is involved,
// through the engine where the rule lives there.
import { beforeAll, describe, expect, it } from 'vitest';
import { executeMachineStep } from '../../server/jobs/machine-step.job.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { startHttpServer } from '../../server/http/server.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { dbState } from '../support/db-state.js';
import { expectRefused, ok } from '../support/expect.js';
import { useServer, type TestServer } from '../support/server.js';
import { claimsWorkflow, reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'structure password';

const machineWorkflow = defineWorkflow({
  slug: 'fixmachine',
  name: 'A machine step',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        { kind: 'machine', slug: 'compute', name: 'Compute', run: () => ({ answer: 42 }) },
        {
          kind: 'human',
          slug: 'look',
          name: 'Look',
          creationDependsOn: ['compute'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
  ],
});

let s: TestServer;
let adminToken: string;

beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow, claimsWorkflow, machineWorkflow] });
  await s.h.worker('admin', [], { isAdmin: true, password: PASSWORD });
  adminToken = await s.login('admin', PASSWORD);
});

const TASK_ASSIGNMENTS = `query($id: ID!) { task(id: $id) { status assignments { level status worker { username } } } }`;

describe('requestTask when nothing fits', () => {
  // First in this file: the only work waiting is what this worker is not certified for.
  it('answers with no task and the reason NO_TASK_AVAILABLE (not an error) when only uncertified work waits', async () => {
    await s.h.project('claims', 'both'); // needs writer and editor: this worker holds neither
    const w = await s.h.worker('idle', [], { password: PASSWORD });
    const token = await s.login(w.username, PASSWORD);
    const before = await dbState(s.h);
    const res = await s.gql(
      `mutation { requestTask(input: { role: ENTRY_LEVEL }) { task { id } assignment { id } reason } }`,
      {},
      { token },
    );
    expect(ok(res).requestTask).toEqual({ task: null, assignment: null, reason: 'NO_TASK_AVAILABLE' });
    expect(await dbState(s.h)).toEqual(before);
  });
});

describe('re-running a machine step that is COMPLETE', () => {
  it("is refused with the original's 'Task assignment already completed' and changes nothing", async () => {
    const p = await s.h.project('fixmachine');
    const taskId = await s.h.taskId(p.id, 'compute');
    expect(await executeMachineStep(s.h.orchestra, taskId)).toBe('completed');
    await expectRefused(s.h, () => s.h.lifecycle.rerunMachineStep(s.h.admin, taskId), {
      code: 'MACHINE_EXECUTION_ERROR',
      reason: 'ALREADY_COMPLETED',
      message: 'Task assignment already completed',
    });
    const res = await s.gql(
      `mutation($id: ID!) { rerunMachineStep(input: { taskId: $id }) { task { id } } }`,
      { id: taskId },
      { token: adminToken },
    );
    expect(res.errors?.[0]).toMatchObject({
      message: 'Task assignment already completed',
      extensions: { code: 'MACHINE_EXECUTION_ERROR' },
    });
  });
});

describe('ending a project', () => {
  it('leaves no assignment of its aborted tasks PROCESSING: the admin sees them ABORTED, the worker’s dashboard shows no work in progress', async () => {
    const w = await s.h.worker('ender', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
    const token = await s.login(w.username, PASSWORD);
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    await s.h.lifecycle.claimTask(w, taskId);
    const dashboard = `{ dashboard { inProgress { totalCount } paused { totalCount } completed { totalCount } } }`;
    expect(ok(await s.gql(dashboard, {}, { token })).dashboard.inProgress.totalCount).toBe(1);

    ok(
      await s.gql(
        `mutation($id: ID!) { endProject(input: { projectId: $id }) { project { status } } }`,
        { id: p.id },
        { token: adminToken },
      ),
    );

    const seen = ok(await s.gql(TASK_ASSIGNMENTS, { id: taskId }, { token: adminToken })).task;
    expect(seen).toEqual({
      status: 'ABORTED',
      assignments: [{ level: 0, status: 'ABORTED', worker: { username: w.username } }],
    });
    expect(ok(await s.gql(dashboard, {}, { token })).dashboard).toEqual({
      inProgress: { totalCount: 0 },
      paused: { totalCount: 0 },
      completed: { totalCount: 0 },
    });
    // Their overview is read-only, and saving or submitting is refused in the original's words.
    const overview = ok(
      await s.gql(`query($id: ID!) { taskOverview(taskId: $id) { isReadOnly } }`, { id: taskId }, { token }),
    );
    expect(overview.taskOverview.isReadOnly).toBe(true);
    await expectRefused(s.h, () => s.h.lifecycle.saveTask(w, { taskId, data: { text: 'late' } }), {
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker is not allowed to save',
    });
    await expectRefused(s.h, () => s.h.lifecycle.submitTask(w, { taskId, data: {}, action: SubmitAction.SUBMIT }), {
      code: 'ILLEGAL_TASK_SUBMISSION',
      message: 'Task not in submittable state.',
    });
  });
});

describe('a claim by a worker and an assignment by an admin in a project that is not active', () => {
  it.each(['paused', 'ended'] as const)('give the same answer when the project is %s', async (how) => {
    const w = await s.h.worker('claimer', [['claims', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
    const token = await s.login(w.username, PASSWORD);
    const p = await s.h.project('claims', 'write');
    const taskId = await s.h.taskId(p.id, 'write');
    if (how === 'paused') await s.h.lifecycle.pauseProject(s.h.admin, p.id);
    else await s.h.lifecycle.endProject(s.h.admin, p.id);

    const before = await dbState(s.h);
    const claim = await s.gql(
      `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`,
      { id: taskId },
      { token },
    );
    const assign = await s.gql(
      `mutation($id: ID!, $u: String!) { assignTask(input: { taskId: $id, username: $u }) { task { id } } }`,
      { id: taskId, u: w.username },
      { token: adminToken },
    );
    const answer = (r: typeof claim) => ({
      status: r.status,
      message: r.errors?.[0]?.message,
      ...r.errors?.[0]?.extensions,
    });
    expect(answer(claim)).toEqual({
      status: 409,
      message: 'Project is not active.',
      code: 'PROJECT_STATUS_ERROR',
      reason: 'PROJECT_NOT_ACTIVE',
    });
    expect(answer(assign)).toEqual(answer(claim));
    expect(await dbState(s.h)).toEqual(before);
  });
});

describe('the dashboard’s reviewer status', () => {
  it('counts REAL reviewer certifications only', async () => {
    const trainee = await s.h.worker('trainee_reviewer', [['review', 'writer', 'REVIEWER', 'TRAINING']], {
      password: PASSWORD,
    });
    const real = await s.h.worker('real_reviewer', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
    const status = async (username: string) =>
      ok(await s.gql(`{ dashboard { reviewerStatus } }`, {}, { token: await s.login(username, PASSWORD) })).dashboard
        .reviewerStatus;
    expect(await status(trainee.username)).toBe(false);
    expect(await status(real.username)).toBe(true);
  });
});

describe('workers named by username', () => {
  it('worker(username:) finds a worker; an unknown one is the original’s "Worker not found for the given username."', async () => {
    const w = await s.h.worker('named', [], { password: PASSWORD });
    expect(
      ok(
        await s.gql(
          `query($u: String!) { worker(username: $u) { id username } }`,
          { u: w.username },
          { token: adminToken },
        ),
      ).worker,
    ).toEqual({
      id: String(w.workerId),
      username: w.username,
    });
    const missing = await s.gql(`{ worker(username: "nobody_at_all") { id } }`, {}, { token: adminToken });
    expect(missing.status).toBe(404);
    expect(missing.errors?.[0]).toMatchObject({
      message: 'Worker not found for the given username.',
      extensions: { code: 'NOT_FOUND' },
    });
    // A worker may look themselves up by name, not others.
    const token = await s.login(w.username, PASSWORD);
    expect(
      ok(await s.gql(`query($u: String!) { worker(username: $u) { username } }`, { u: w.username }, { token })).worker
        .username,
    ).toBe(w.username);
    expect((await s.gql(`{ worker(username: "admin") { id } }`, {}, { token })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
  });

  it('assign, reassign and certify take a username beside the id; naming neither or both is BAD_INPUT', async () => {
    const w = await s.h.worker('by_name', [], { password: PASSWORD });
    const other = await s.h.worker('by_name_too', [], { password: PASSWORD });
    const grant = `mutation($input: CertificationGrantInput!) { grantCertification(input: $input) { workerCertification { worker { username } role } } }`;
    for (const who of [w, other]) {
      ok(
        await s.gql(
          grant,
          {
            input: { username: who.username, workflowSlug: 'claims', certificationSlug: 'writer', role: 'ENTRY_LEVEL' },
          },
          { token: adminToken },
        ),
      );
    }
    const p = await s.h.project('claims', 'write');
    const taskId = await s.h.taskId(p.id, 'write');
    const assigned = ok(
      await s.gql(
        `mutation($t: ID!, $u: String!) { assignTask(input: { taskId: $t, username: $u }) { assignment { id worker { username } } } }`,
        { t: taskId, u: w.username },
        { token: adminToken },
      ),
    ).assignTask.assignment;
    expect(assigned.worker.username).toBe(w.username);
    const reassigned = ok(
      await s.gql(
        `mutation($a: ID!, $u: String!) { reassignAssignment(input: { assignmentId: $a, username: $u }) { assignment { worker { username } } } }`,
        { a: assigned.id, u: other.username },
        { token: adminToken },
      ),
    ).reassignAssignment.assignment;
    expect(reassigned.worker.username).toBe(other.username);

    const before = await dbState(s.h);
    const neither = await s.gql(
      `mutation($t: ID!) { assignTask(input: { taskId: $t }) { task { id } } }`,
      { t: taskId },
      { token: adminToken },
    );
    const both = await s.gql(
      `mutation($t: ID!, $w: ID!, $u: String!) { assignTask(input: { taskId: $t, workerId: $w, username: $u }) { task { id } } }`,
      { t: taskId, w: w.workerId, u: w.username },
      { token: adminToken },
    );
    for (const res of [neither, both]) {
      expect(res.status).toBe(400);
      expect(res.errors?.[0]).toMatchObject({
        message: 'Name the worker by workerId or by username (one of them).',
        extensions: { code: 'BAD_INPUT' },
      });
    }
    const unknown = await s.gql(
      grant,
      {
        input: { username: 'nobody_at_all', workflowSlug: 'claims', certificationSlug: 'writer', role: 'ENTRY_LEVEL' },
      },
      { token: adminToken },
    );
    expect(unknown.errors?.[0]?.message).toBe('Worker not found for the given username.');
    expect(await dbState(s.h)).toEqual(before);
  });
});

describe('embedding the HTTP server', () => {
  it('installs no process signal handlers: shutdown belongs to the process that embeds it', async () => {
    const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
    const server = await startHttpServer(s.h.orchestra, { host: '127.0.0.1', port: 0 });
    try {
      expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(before);
    } finally {
      await server.close();
    }
  });
});
