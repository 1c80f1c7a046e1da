// Who may do and see what, over real HTTP against a real database (DESIGN "API conventions";
// server/auth/access.ts). Every admin mutation and admin query is refused to a plain worker
// (FORBIDDEN) and to anonymous callers (UNAUTHENTICATED) and changes nothing, while the very same
// request from an admin goes through. Workers see only their own work (reviewers: the levels below
// them), tasks they may claim without anyone else's data, and nobody else's email. Production mode
// keeps introspection and GraphiQL for admins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { executeMachineStep } from '../../server/jobs/machine-step.job.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { dbState } from '../support/db-state.js';
import { expectGqlRefused, ok } from '../support/expect.js';
import { createServer, type TestServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

/** A chain (draft, then publish once the draft is complete) and a machine step that always fails. */
const authzWorkflow = defineWorkflow({
  slug: 'authz',
  name: 'Authorization',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'chain',
      name: 'Draft, then publish',
      steps: [
        {
          kind: 'human',
          slug: 'draft',
          name: 'Draft',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'no_review' },
        },
        {
          kind: 'human',
          slug: 'publish',
          name: 'Publish',
          creationDependsOn: ['draft'],
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
    {
      slug: 'machine',
      name: 'A failing machine step',
      steps: [
        {
          kind: 'machine',
          slug: 'fetch',
          name: 'Fetch',
          maxAttempts: 1,
          run: () => {
            throw new Error('upstream down');
          },
        },
      ],
    },
  ],
});

const PASSWORD = 'correct horse battery staple';
type Cert = [string, string, 'ENTRY_LEVEL' | 'REVIEWER'];
const WRITER: Cert[] = [
  ['review', 'writer', 'ENTRY_LEVEL'],
  ['authz', 'writer', 'ENTRY_LEVEL'],
];
const REVIEWER: Cert[] = [['review', 'writer', 'REVIEWER']];

let s: TestServer;
type Worker = Awaited<ReturnType<TestServer['h']['worker']>>;
let seq = 0;
const tokens: Record<'admin' | 'plain' | 'outsider', string> = { admin: '', plain: '', outsider: '' };
let adminW: Worker;
let plain: Worker;
let outsider: Worker;
let apiKey: string;

/** A worker with a password and an email address (`<username>@example.org`). */
async function worker(name: string, certs: Cert[] = [], extra: { isAdmin?: boolean } = {}): Promise<Worker> {
  const w = await s.h.worker(name, certs, { ...extra, password: PASSWORD });
  await s.h.db.pool.query('update worker set email = username || $2 where id = $1', [w.workerId, '@example.org']);
  return w;
}

beforeAll(async () => {
  s = await createServer({ workflows: [reviewWorkflow, authzWorkflow], config: { maxInProgressTasks: 1000 } });
  adminW = await worker('admin', [], { isAdmin: true });
  plain = await worker('plain', WRITER);
  outsider = await worker('outsider');
  tokens.admin = await s.login(adminW.username, PASSWORD);
  tokens.plain = await s.login(plain.username, PASSWORD);
  tokens.outsider = await s.login(outsider.username, PASSWORD);
  apiKey = (await s.h.orchestra.auth.createApiKey(s.h.admin, 'integrator')).secret;
});
afterAll(() => s?.close());

const login = (w: Worker) => s.login(w.username, PASSWORD);

/** A refusal: exactly one error with the code, no data, no internals. */

// ---- 1. admin mutations and queries ------------------------------------------------------------

interface AdminCase {
  name: string;
  mutation: string;
  /** Integrator keys may create and end projects; everything else here is for admins only. */
  integrator: 'allowed' | 'refused';
  /** A valid target for the mutation, and the task whose snapshot must not change. */
  setup(): Promise<{ input: Record<string, unknown>; task?: [projectId: number, step: string] }>;
  /** What an admin's identical request did. */
  check(data: any): void | Promise<void>;
}

const id = (n: number) => String(n);

const ADMIN_MUTATIONS: AdminCase[] = [
  {
    name: 'assignTask',
    mutation:
      'mutation($input: AssignTaskInput!) { assignTask(input: $input) { assignment { level status worker { username } } task { status } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('review');
      const assignee = await worker('assignee', WRITER);
      return {
        input: { taskId: id(await s.h.taskId(p.id, 'write')), workerId: id(assignee.workerId) },
        task: [p.id, 'write'],
      };
    },
    check: (d) => {
      expect(d.assignTask.task.status).toBe('PROCESSING');
      expect(d.assignTask.assignment).toMatchObject({
        level: 0,
        status: 'PROCESSING',
        worker: { username: expect.stringMatching(/^assignee(_\d+)?$/) },
      });
    },
  },
  {
    name: 'reassignAssignment',
    mutation:
      'mutation($input: ReassignAssignmentInput!) { reassignAssignment(input: $input) { assignment { worker { username } } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('review');
      const holder = await worker('holder', WRITER);
      const next = await worker('next', WRITER);
      const a = await s.h.lifecycle.claimTask(holder, await s.h.taskId(p.id, 'write'));
      return { input: { assignmentId: id(a.id), workerId: id(next.workerId) }, task: [p.id, 'write'] };
    },
    check: (d) => expect(d.reassignAssignment.assignment.worker.username).toMatch(/^next(_\d+)?$/),
  },
  {
    name: 'completeAndSkipTask',
    mutation: 'mutation($input: TaskInput!) { completeAndSkipTask(input: $input) { task { status } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('review', 'noreview');
      const taskId = await s.h.taskId(p.id, 'write');
      await s.h.lifecycle.claimTask(await worker('holder', WRITER), taskId);
      return { input: { taskId: id(taskId) }, task: [p.id, 'write'] };
    },
    check: (d) => expect(d.completeAndSkipTask.task.status).toBe('COMPLETE'),
  },
  {
    name: 'revertTask (dryRun: false)',
    mutation:
      'mutation($input: RevertTaskInput!) { revertTask(input: $input) { committed statusBefore revertedStatus task { status } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('review');
      const taskId = await s.h.taskId(p.id, 'write');
      const holder = await worker('holder', WRITER);
      await s.h.lifecycle.claimTask(holder, taskId);
      await s.h.lifecycle.submitTask(holder, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
      const iterationId = (await s.h.task(p.id, 'write'))!.iterations[0]!.id;
      return { input: { taskId: id(taskId), iterationId: id(iterationId), dryRun: false }, task: [p.id, 'write'] };
    },
    check: (d) =>
      expect(d.revertTask).toMatchObject({
        committed: true,
        statusBefore: 'PENDING_REVIEW',
        revertedStatus: 'PROCESSING',
        task: { status: 'PROCESSING' },
      }),
  },
  {
    name: 'rerunMachineStep',
    mutation: 'mutation($input: TaskInput!) { rerunMachineStep(input: $input) { assignment { status attempts } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('authz', 'machine');
      const taskId = await s.h.taskId(p.id, 'fetch');
      expect(await executeMachineStep(s.h.orchestra, taskId)).toBe('failed');
      return { input: { taskId: id(taskId) }, task: [p.id, 'fetch'] };
    },
    check: (d) => expect(d.rerunMachineStep.assignment).toEqual({ status: 'PROCESSING', attempts: 0 }),
  },
  {
    name: 'pauseProject',
    mutation: 'mutation($input: ProjectInput!) { pauseProject(input: $input) { project { status } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('review');
      return { input: { projectId: id(p.id) }, task: [p.id, 'write'] };
    },
    check: (d) => expect(d.pauseProject.project.status).toBe('PAUSED'),
  },
  {
    name: 'resumeProject',
    mutation: 'mutation($input: ProjectInput!) { resumeProject(input: $input) { project { status } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('review');
      await s.h.lifecycle.pauseProject(s.h.admin, p.id);
      return { input: { projectId: id(p.id) }, task: [p.id, 'write'] };
    },
    check: (d) => expect(d.resumeProject.project.status).toBe('ACTIVE'),
  },
  {
    name: 'endProject',
    mutation: 'mutation($input: ProjectInput!) { endProject(input: $input) { project { status tasks { status } } } }',
    integrator: 'allowed',
    async setup() {
      const p = await s.h.project('review');
      await s.h.lifecycle.claimTask(await worker('holder', WRITER), await s.h.taskId(p.id, 'write'));
      return { input: { projectId: id(p.id) }, task: [p.id, 'write'] };
    },
    check: (d) => expect(d.endProject.project).toEqual({ status: 'ABORTED', tasks: [{ status: 'ABORTED' }] }),
  },
  {
    name: 'createSubsequentTasks',
    mutation:
      'mutation($input: ProjectInput!) { createSubsequentTasks(input: $input) { project { status } createdTasks { id } } }',
    integrator: 'refused',
    async setup() {
      const p = await s.h.project('authz', 'chain');
      return { input: { projectId: id(p.id) }, task: [p.id, 'draft'] };
    },
    check: (d) => expect(d.createSubsequentTasks).toEqual({ project: { status: 'ACTIVE' }, createdTasks: [] }),
  },
  {
    name: 'createProject',
    mutation:
      'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { status tasks { status } } } }',
    integrator: 'allowed',
    async setup() {
      return { input: { workflowSlug: 'review', versionSlug: 'v1', description: 'from a refused caller' } };
    },
    check: (d) =>
      expect(d.createProject.project).toEqual({ status: 'ACTIVE', tasks: [{ status: 'AWAITING_PROCESSING' }] }),
  },
  {
    name: 'createWorker',
    mutation: 'mutation($input: CreateWorkerInput!) { createWorker(input: $input) { worker { username isAdmin } } }',
    integrator: 'refused',
    async setup() {
      return { input: { username: `created_${++seq}`, password: 'long enough password', isAdmin: true } };
    },
    check: (d) =>
      expect(d.createWorker.worker).toEqual({ username: expect.stringMatching(/^created_/), isAdmin: true }),
  },
  {
    name: 'grantCertification',
    mutation:
      'mutation($input: CertificationGrantInput!) { grantCertification(input: $input) { workerCertification { role taskClass certification { slug } } } }',
    integrator: 'refused',
    async setup() {
      const w = await worker('uncertified');
      return {
        input: { workerId: id(w.workerId), workflowSlug: 'review', certificationSlug: 'writer', role: 'ENTRY_LEVEL' },
      };
    },
    check: (d) =>
      expect(d.grantCertification.workerCertification).toEqual({
        role: 'ENTRY_LEVEL',
        taskClass: 'REAL',
        certification: { slug: 'writer' },
      }),
  },
  {
    name: 'revokeCertification',
    mutation:
      'mutation($input: CertificationGrantInput!) { revokeCertification(input: $input) { revoked worker { certifications { role } } } }',
    integrator: 'refused',
    async setup() {
      const w = await worker('certified', REVIEWER);
      return {
        input: { workerId: id(w.workerId), workflowSlug: 'review', certificationSlug: 'writer', role: 'ENTRY_LEVEL' },
      };
    },
    check: (d) => expect(d.revokeCertification).toEqual({ revoked: 2, worker: { certifications: [] } }),
  },
  {
    name: 'createApiKey',
    mutation: 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { name } } }',
    integrator: 'refused',
    async setup() {
      return { input: { name: 'a key for a refused caller' } };
    },
    check: (d) =>
      expect(d.createApiKey).toEqual({
        secret: expect.stringMatching(/^ok_/),
        apiKey: { name: 'a key for a refused caller' },
      }),
  },
  {
    name: 'revokeApiKey',
    mutation: 'mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { name revokedAt } } }',
    integrator: 'refused',
    async setup() {
      const { apiKey: key } = await s.h.orchestra.auth.createApiKey(s.h.admin, `to revoke ${++seq}`);
      return { input: { id: id(key.id) } };
    },
    check: (d) => expect(d.revokeApiKey.apiKey.revokedAt).toEqual(expect.any(String)),
  },
];

describe('admin mutations', () => {
  it.each(ADMIN_MUTATIONS)(
    '$name: FORBIDDEN to a plain worker, UNAUTHENTICATED to anonymous callers, nothing changes; an admin may',
    async (c) => {
      const { input, task } = await c.setup();
      const before = await dbState(s.h);
      const taskBefore = task ? await s.h.task(...task) : null;

      expectGqlRefused(
        await s.gql(c.mutation, { input }, { token: tokens.plain }),
        'FORBIDDEN',
        /^Only project admins/,
      );
      expectGqlRefused(await s.gql(c.mutation, { input }), 'UNAUTHENTICATED', 'You must be logged in.');
      if (c.integrator === 'refused')
        expectGqlRefused(await s.gql(c.mutation, { input }, { apiKey }), 'FORBIDDEN', /^Only project admins/);

      expect(await dbState(s.h)).toEqual(before);
      if (task) expect(await s.h.task(...task)).toEqual(taskBefore);

      // The same request from an admin goes through: the refusals were about who asked.
      await c.check(ok(await s.gql(c.mutation, { input }, { token: tokens.admin })));
    },
  );

  it('a worker who is not certified is refused just the same (FORBIDDEN, not a certification error)', async () => {
    const p = await s.h.project('review');
    const taskId = id(await s.h.taskId(p.id, 'write'));
    const before = await dbState(s.h);
    const res = await s.gql(
      'mutation($t: ID!, $w: ID!) { assignTask(input: { taskId: $t, workerId: $w }) { task { id } } }',
      { t: taskId, w: id(plain.workerId) },
      { token: tokens.outsider },
    );
    expectGqlRefused(res, 'FORBIDDEN');
    expect(await dbState(s.h)).toEqual(before);
  });
});

describe('admin queries', () => {
  const QUERIES = [
    {
      name: 'workers',
      query: '{ workers { totalCount nodes { username } } }',
      integrator: 'allowed',
      has: (d: any) => expect(d.workers.totalCount).toBeGreaterThan(0),
    },
    {
      name: 'certifications',
      query: '{ certifications { slug workflow { slug } } }',
      integrator: 'allowed',
      has: (d: any) => expect(d.certifications).toContainEqual({ slug: 'writer', workflow: { slug: 'review' } }),
    },
    {
      name: 'apiKeys',
      query: '{ apiKeys { name prefix } }',
      integrator: 'refused',
      has: (d: any) => expect(d.apiKeys).toContainEqual({ name: 'integrator', prefix: expect.stringMatching(/^ok_/) }),
    },
    {
      name: 'projects',
      query: '{ projects { totalCount nodes { id status } } }',
      integrator: 'allowed',
      has: (d: any) => expect(d.projects.totalCount).toBeGreaterThan(0),
    },
  ] as const;

  it.each(QUERIES)(
    '$name: FORBIDDEN to a plain worker, UNAUTHENTICATED to anonymous callers, answered to an admin',
    async (q) => {
      await s.h.project('review'); // something to list
      expectGqlRefused(await s.gql(q.query, {}, { token: tokens.plain }), 'FORBIDDEN', /^Only project admins/);
      expectGqlRefused(await s.gql(q.query, {}, { token: tokens.outsider }), 'FORBIDDEN', /^Only project admins/);
      expectGqlRefused(await s.gql(q.query), 'UNAUTHENTICATED', 'You must be logged in.');
      if (q.integrator === 'refused') expectGqlRefused(await s.gql(q.query, {}, { apiKey }), 'FORBIDDEN');
      else q.has(ok(await s.gql(q.query, {}, { apiKey })));
      q.has(ok(await s.gql(q.query, {}, { token: tokens.admin })));
    },
  );

  it('anonymous callers get UNAUTHENTICATED for every worker query; `viewer` is just null', async () => {
    for (const query of [
      '{ dashboard { reviewerStatus } }',
      '{ task(id: "1") { id } }',
      '{ taskOverview(taskId: "1") { data } }',
      '{ project(id: "1") { id } }',
      '{ worker(id: "1") { username } }',
    ]) {
      expectGqlRefused(await s.gql(query), 'UNAUTHENTICATED', 'You must be logged in.');
    }
    expect(ok(await s.gql('{ viewer { username } }'))).toEqual({ viewer: null });
  });

  it('a bad session token or a revoked API key is UNAUTHENTICATED (HTTP 401), not an anonymous request', async () => {
    const bad = await s.gql('{ viewer { username } }', {}, { token: 'not-a-session' });
    expect(bad.status).toBe(401);
    expect(bad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(bad.data).toBeNull();

    const { apiKey: key, secret } = await s.h.orchestra.auth.createApiKey(s.h.admin, 'short-lived');
    ok(await s.gql('{ projects(first: 1) { totalCount } }', {}, { apiKey: secret }));
    await s.h.orchestra.auth.revokeApiKey(s.h.admin, key.id);
    const revoked = await s.gql('{ projects(first: 1) { totalCount } }', {}, { apiKey: secret });
    expect(revoked.status).toBe(401);
    expect(revoked.errors?.[0]).toMatchObject({
      message: 'Invalid or revoked API key.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });
});

// ---- 2. other workers' task data ------------------------------------------------------------

const TASK = `query($id: ID!) { task(id: $id) {
  id status latestData prerequisites
  assignments { level status data worker { username email } iterations { status submittedData } }
} }`;
const OVERVIEW = 'query($id: ID!) { taskOverview(taskId: $id) { data isReviewer isReadOnly assignment { level } } }';
const PROJECT = 'query($id: ID!) { project(id: $id) { id tasks { id step { slug } } } }';

describe("other workers' data", () => {
  it("a task someone else holds is FORBIDDEN, its overview is 'Worker is not associated with task', its project FORBIDDEN", async () => {
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    const holder = await worker('holder', WRITER);
    await s.h.lifecycle.claimTask(holder, taskId);
    await s.h.lifecycle.saveTask(holder, { taskId, data: { text: 'private draft' } });

    // plain is certified for the step, but the task is held: nothing to claim, nothing to see.
    expectGqlRefused(
      await s.gql(TASK, { id: id(taskId) }, { token: tokens.plain }),
      'FORBIDDEN',
      'You may not see this task.',
    );
    expectGqlRefused(
      await s.gql(OVERVIEW, { id: id(taskId) }, { token: tokens.plain }),
      'TASK_ASSIGNMENT_ERROR',
      'Worker is not associated with task',
    );
    expectGqlRefused(
      await s.gql(PROJECT, { id: id(p.id) }, { token: tokens.plain }),
      'FORBIDDEN',
      'You may not see this project.',
    );

    // The holder sees all of it; so does an admin.
    const holderToken = await login(holder);
    const mine = ok(await s.gql(TASK, { id: id(taskId) }, { token: holderToken }));
    expect(mine.task.latestData).toEqual({ text: 'private draft' });
    expect(ok(await s.gql(OVERVIEW, { id: id(taskId) }, { token: holderToken })).taskOverview).toEqual({
      data: { text: 'private draft' },
      isReviewer: false,
      isReadOnly: false,
      assignment: { level: 0 },
    });
    expect(ok(await s.gql(PROJECT, { id: id(p.id) }, { token: holderToken })).project.tasks).toEqual([
      { id: id(taskId), step: { slug: 'write' } },
    ]);
    expect(ok(await s.gql(TASK, { id: id(taskId) }, { token: tokens.admin })).task.latestData).toEqual({
      text: 'private draft',
    });
  });

  it('a waiting task is visible only to workers who may claim it (certified, project active)', async () => {
    const p = await s.h.project('review');
    const taskId = id(await s.h.taskId(p.id, 'write'));
    expectGqlRefused(await s.gql(TASK, { id: taskId }, { token: tokens.outsider }), 'FORBIDDEN');
    expect(ok(await s.gql(TASK, { id: taskId }, { token: tokens.plain })).task).toMatchObject({
      status: 'AWAITING_PROCESSING',
      assignments: [],
      latestData: null,
    });

    await s.h.lifecycle.pauseProject(s.h.admin, p.id);
    expectGqlRefused(await s.gql(TASK, { id: taskId }, { token: tokens.plain }), 'FORBIDDEN');
  });

  it('a claimable task shows no data that is not the viewer’s: no prerequisites until claimed, no other level’s data', async () => {
    const p = await s.h.project('authz', 'chain');
    const author = await worker('author', WRITER);
    const draftId = await s.h.taskId(p.id, 'draft');
    await s.h.lifecycle.claimTask(author, draftId);
    await s.h.lifecycle.submitTask(author, {
      taskId: draftId,
      data: { headline: 'secret scoop' },
      action: SubmitAction.SUBMIT,
    });
    const publishId = id(await s.h.taskId(p.id, 'publish'));

    const claimable = ok(await s.gql(TASK, { id: publishId }, { token: tokens.plain })).task;
    expect(claimable).toMatchObject({
      status: 'AWAITING_PROCESSING',
      latestData: null,
      prerequisites: null,
      assignments: [],
    });
    // The upstream task is complete and someone else's.
    expectGqlRefused(await s.gql(TASK, { id: id(draftId) }, { token: tokens.plain }), 'FORBIDDEN');
    expectGqlRefused(
      await s.gql(OVERVIEW, { id: publishId }, { token: tokens.plain }),
      'TASK_ASSIGNMENT_ERROR',
      'Worker is not associated with task',
    );

    // Once claimed, the prerequisites are the viewer's to see; the upstream task still is not.
    const worker2 = await worker('publisher', WRITER);
    const token2 = await login(worker2);
    ok(
      await s.gql(
        'mutation($id: ID!) { claimTask(input: { taskId: $id }) { assignment { id } } }',
        { id: publishId },
        { token: token2 },
      ),
    );
    const held = ok(await s.gql(TASK, { id: publishId }, { token: token2 })).task;
    expect(held.prerequisites).toEqual({ draft: { headline: 'secret scoop' } });
    expect(held.latestData).toEqual({});
    expectGqlRefused(await s.gql(TASK, { id: id(draftId) }, { token: token2 }), 'FORBIDDEN');
    // On the project, the worker sees their own task only.
    expect(ok(await s.gql(PROJECT, { id: id(p.id) }, { token: token2 })).project.tasks).toEqual([
      { id: publishId, step: { slug: 'publish' } },
    ]);
    // And for plain it is now held by someone else.
    expectGqlRefused(await s.gql(TASK, { id: publishId }, { token: tokens.plain }), 'FORBIDDEN');
  });

  it('reviewers see the levels below them; the entry-level worker does not see the reviewer’s data; a prospective reviewer sees none', async () => {
    const p = await s.h.project('review'); // two reviewer levels, always reviewed
    const taskId = await s.h.taskId(p.id, 'write');
    const entry = await worker('entry', WRITER);
    const reviewer = await worker('reviewer', REVIEWER);
    const reviewer2 = await worker('reviewer2', REVIEWER);
    const [entryToken, reviewerToken, reviewer2Token] = await Promise.all([
      login(entry),
      login(reviewer),
      login(reviewer2),
    ]);

    await s.h.lifecycle.claimTask(entry, taskId);
    await s.h.lifecycle.submitTask(entry, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
    // PENDING_REVIEW: a certified reviewer not on the task may see it (to claim it) but none of its data.
    const prospective = ok(await s.gql(TASK, { id: id(taskId) }, { token: reviewer2Token })).task;
    expect(prospective.status).toBe('PENDING_REVIEW');
    expect(prospective.latestData).toBeNull();
    expect(prospective.prerequisites).toBeNull();
    expect(prospective.assignments).toEqual([
      {
        level: 0,
        status: 'SUBMITTED',
        data: null,
        worker: { username: entry.username, email: null },
        iterations: [{ status: 'REQUESTED_REVIEW', submittedData: null }],
      },
    ]);
    // An entry-level worker may not claim a review: FORBIDDEN.
    expectGqlRefused(await s.gql(TASK, { id: id(taskId) }, { token: tokens.plain }), 'FORBIDDEN');

    await s.h.lifecycle.claimTask(reviewer, taskId);
    await s.h.lifecycle.saveTask(reviewer, { taskId, data: { text: 'draft, reviewed', note: 'tighten the lede' } });

    const seenByEntry = ok(await s.gql(TASK, { id: id(taskId) }, { token: entryToken })).task;
    expect(seenByEntry.status).toBe('REVIEWING');
    expect(seenByEntry.latestData).toBeNull(); // the current assignment is the reviewer's
    expect(seenByEntry.assignments).toEqual([
      {
        level: 0,
        status: 'SUBMITTED',
        data: { text: 'draft' },
        worker: { username: entry.username, email: `${entry.username}@example.org` },
        iterations: [{ status: 'REQUESTED_REVIEW', submittedData: { text: 'draft' } }],
      },
      {
        level: 1,
        status: 'PROCESSING',
        data: null,
        worker: { username: reviewer.username, email: null },
        iterations: [{ status: 'PROCESSING', submittedData: null }],
      },
    ]);
    expect(ok(await s.gql(OVERVIEW, { id: id(taskId) }, { token: entryToken })).taskOverview).toEqual({
      data: { text: 'draft' },
      isReviewer: false,
      isReadOnly: true,
      assignment: { level: 0 },
    });

    const seenByReviewer = ok(await s.gql(TASK, { id: id(taskId) }, { token: reviewerToken })).task;
    expect(seenByReviewer.latestData).toEqual({ text: 'draft, reviewed', note: 'tighten the lede' });
    expect(seenByReviewer.assignments).toEqual([
      {
        level: 0,
        status: 'SUBMITTED',
        data: { text: 'draft' },
        worker: { username: entry.username, email: null },
        iterations: [{ status: 'REQUESTED_REVIEW', submittedData: { text: 'draft' } }],
      },
      {
        level: 1,
        status: 'PROCESSING',
        data: { text: 'draft, reviewed', note: 'tighten the lede' },
        worker: { username: reviewer.username, email: `${reviewer.username}@example.org` },
        iterations: [{ status: 'PROCESSING', submittedData: {} }],
      },
    ]);
    expect(ok(await s.gql(OVERVIEW, { id: id(taskId) }, { token: reviewerToken })).taskOverview).toEqual({
      data: { text: 'draft, reviewed', note: 'tighten the lede' },
      isReviewer: true,
      isReadOnly: false,
      assignment: { level: 1 },
    });

    // REVIEWING is nobody else's to claim: the second reviewer is refused now.
    expectGqlRefused(await s.gql(TASK, { id: id(taskId) }, { token: reviewer2Token }), 'FORBIDDEN');
  });

  it("a worker's email (and certifications) are theirs and admins' to see; worker(id) of someone else is FORBIDDEN to a worker", async () => {
    const other = await worker('other', REVIEWER);
    const Q = 'query($id: ID!) { worker(id: $id) { username email certifications { role } } }';

    expect(ok(await s.gql(Q, { id: id(plain.workerId) }, { token: tokens.plain })).worker).toEqual({
      username: plain.username,
      email: `${plain.username}@example.org`,
      certifications: [{ role: 'ENTRY_LEVEL' }, { role: 'ENTRY_LEVEL' }],
    });
    expect(ok(await s.gql('{ viewer { email } }', {}, { token: tokens.plain })).viewer.email).toBe(
      `${plain.username}@example.org`,
    );
    expect(ok(await s.gql(Q, { id: id(other.workerId) }, { token: tokens.admin })).worker).toEqual({
      username: other.username,
      email: `${other.username}@example.org`,
      certifications: [{ role: 'ENTRY_LEVEL' }, { role: 'REVIEWER' }],
    });
    // An integrator sees the worker, but not their email or certifications.
    expect(ok(await s.gql(Q, { id: id(other.workerId) }, { apiKey })).worker).toEqual({
      username: other.username,
      email: null,
      certifications: [],
    });
    // Another worker is refused outright.
    expectGqlRefused(
      await s.gql(Q, { id: id(other.workerId) }, { token: tokens.plain }),
      'FORBIDDEN',
      'You may not see this worker.',
    );
    // Admins listing workers see emails; integrators listing them do not.
    const list = 'query { workers(first: 200) { nodes { username email } } }';
    expect(ok(await s.gql(list, {}, { token: tokens.admin })).workers.nodes).toContainEqual({
      username: other.username,
      email: `${other.username}@example.org`,
    });
    expect(ok(await s.gql(list, {}, { apiKey })).workers.nodes).toContainEqual({
      username: other.username,
      email: null,
    });
  });
});

// ---- 4. production mode, GraphiQL, health --------------------------------------------------

const INTROSPECTION = '{ __schema { types { name } } }';

async function loginCookie(server: TestServer, username: string): Promise<{ cookie: string; setCookie: string }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token } }',
      variables: { u: username, p: PASSWORD },
    }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('orchestra_session='));
  expect(setCookie).toBeDefined();
  return { cookie: setCookie!.split(';')[0]!, setCookie: setCookie! };
}

const browserGet = (server: TestServer, path: string, cookie?: string) =>
  fetch(`${server.url}${path}`, {
    headers: { accept: 'text/html,application/xhtml+xml', ...(cookie ? { cookie } : {}) },
  });

describe('development mode', () => {
  it('introspection is open to any caller', async () => {
    const res = ok(await s.gql(INTROSPECTION, {}, { token: tokens.plain }));
    expect(res.__schema.types.map((t: { name: string }) => t.name)).toContain('Task');
    expect(ok(await s.gql(INTROSPECTION)).__schema.types.length).toBeGreaterThan(10);
  });

  it('GET /graphql from a browser is GraphiQL; its assets are served from our own node_modules', async () => {
    const page = await browserGet(s, '/graphql');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('graphiql');
    expect(html).toContain('/graphiql/graphiql.js');

    // Every asset the page loads.
    for (const [asset, type] of [
      ['graphiql.js', /^text\/javascript/],
      ['react.js', /^text\/javascript/],
      ['react-dom.js', /^text\/javascript/],
      ['graphiql.css', /^text\/css/],
    ] as const) {
      expect(html).toContain(`/graphiql/${asset}`);
      const res = await fetch(`${s.url}/graphiql/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toMatch(type);
      expect((await res.text()).length).toBeGreaterThan(1_000);
    }
    expect((await fetch(`${s.url}/graphiql/%2e%2e%2f%2e%2e%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${s.url}/graphiql/secrets.js`)).status).toBe(404);
  });

  it('/healthz and /readyz answer 200 JSON', async () => {
    for (const [path, body] of [
      ['/healthz', { status: 'ok' }],
      ['/readyz', { status: 'ready' }],
    ] as const) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(body);
    }
  });
});

describe('production mode', () => {
  let prod: TestServer;
  let prodAdmin: Worker;
  let prodWorker: Worker;
  let adminToken: string;
  let workerToken: string;

  beforeAll(async () => {
    prod = await createServer({ workflows: [reviewWorkflow], config: { production: true } });
    prodAdmin = await prod.h.worker('prod_admin', [], { isAdmin: true, password: PASSWORD });
    prodWorker = await prod.h.worker('prod_worker', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
    adminToken = await prod.login(prodAdmin.username, PASSWORD);
    workerToken = await prod.login(prodWorker.username, PASSWORD);
  });
  afterAll(() => prod?.close());

  it('introspection is FORBIDDEN to workers and anonymous callers, allowed to admins', async () => {
    for (const as of [{ token: workerToken }, {}]) {
      for (const query of [
        INTROSPECTION,
        '{ __type(name: "Task") { fields { name } } }',
        '{ viewer { username } __schema { queryType { name } } }',
      ]) {
        const res = await prod.gql(query, {}, as);
        expect(res.status).toBe(403);
        expectGqlRefused(res, 'FORBIDDEN', 'Introspection is available to admins only.');
      }
    }
    expect(
      ok(await prod.gql(INTROSPECTION, {}, { token: adminToken })).__schema.types.map((t: { name: string }) => t.name),
    ).toContain('Task');
    // Ordinary queries (with __typename) still work for workers.
    expect(ok(await prod.gql('{ __typename viewer { username } }', {}, { token: workerToken }))).toEqual({
      __typename: 'Query',
      viewer: { username: prodWorker.username },
    });
  });

  it('the session cookie is Secure in production', async () => {
    const { setCookie } = await loginCookie(prod, prodWorker.username);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect((await loginCookie(s, plain.username)).setCookie).not.toMatch(/; Secure/);
  });

  it('GraphiQL is 403 for anonymous callers and workers, 200 for an admin (session cookie)', async () => {
    const anonymous = await browserGet(prod, '/graphql');
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).not.toContain('/graphiql/graphiql.js');

    const { cookie: workerCookie } = await loginCookie(prod, prodWorker.username);
    const asWorker = await browserGet(prod, '/graphql', workerCookie);
    expect(asWorker.status).toBe(403);
    expect(await asWorker.text()).toMatch(/admins only/);

    const badCookie = await browserGet(prod, '/graphql', 'orchestra_session=forged');
    expect(badCookie.status).toBe(403);

    const { cookie: adminCookie } = await loginCookie(prod, prodAdmin.username);
    const asAdmin = await browserGet(prod, '/graphql', adminCookie);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await asAdmin.text()).toContain('graphiql');

    const js = await fetch(`${prod.url}/graphiql/graphiql.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('/healthz and /readyz answer 200 JSON', async () => {
    expect(await (await fetch(`${prod.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${prod.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
