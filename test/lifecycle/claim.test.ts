// Claiming a named task (spec §3.2, §3.3, §3.17; DESIGN "Deliberate differences"): every check in the
// original's precedence, certification roles and task classes, paused projects, and the worker's own
// limits (cap on work in progress, returned work first). A refused claim changes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { TaskClass } from '../../server/kernel/status.js';
import { eventCount, expectRefused } from '../support/expect.js';
import { useHarness, type Harness } from '../support/harness.js';
import { claimsWorkflow } from '../workflows/fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [claimsWorkflow], config: { maxInProgressTasks: 2 } });
});

type Cert = ['claims', 'writer' | 'editor', 'ENTRY_LEVEL' | 'REVIEWER', ('REAL' | 'TRAINING')?];
const worker = (name: string, certs: Cert[] = []) => h.worker(name, certs);
const WRITER: Cert = ['claims', 'writer', 'ENTRY_LEVEL'];
const WRITER_REVIEWER: Cert = ['claims', 'writer', 'REVIEWER'];
const EDITOR: Cert = ['claims', 'editor', 'ENTRY_LEVEL'];

async function project(version: string, extra: { taskClass?: TaskClass; priority?: number } = {}) {
  const p = await h.project('claims', version, extra);
  const step = { write: 'write', both: 'edit', open: 'open', pair: 'first', machine: 'fetch' }[version]!;
  return { id: p.id, step, taskId: await h.taskId(p.id, step) };
}

/** Brings a `write` task to PENDING_REVIEW: `by` claims and submits. */
async function submitted(by: Awaited<ReturnType<typeof worker>>, data = { text: 'draft' }) {
  const p = await project('write');
  await h.lifecycle.claimTask(by, p.taskId);
  await h.lifecycle.submitTask(by, { taskId: p.taskId, data, action: SubmitAction.SUBMIT });
  return p;
}

const STATUS_INCOMPATIBLE = { code: 'TASK_ASSIGNMENT_ERROR', message: 'Status incompatible with new assignment' };
const INCORRECT_STATE = { code: 'TASK_ASSIGNMENT_ERROR', message: 'Task is in incorrect state' };
const NOT_CERTIFIED = { code: 'WORKER_CERTIFICATION_ERROR', message: 'Worker not certified for this task.' };
const ALREADY_ASSIGNED = { code: 'TASK_ASSIGNMENT_ERROR', message: 'Worker already assigned to this task.' };
const MAX_TASKS = { code: 'TASK_ASSIGNMENT_ERROR', message: 'Worker assigned to max number of tasks.' };
const PENDING_FEEDBACK = {
  code: 'TASK_ASSIGNMENT_ERROR',
  message: 'Worker has pending reviewer feedback that must be addressed.',
};

describe('a successful claim', () => {
  it('gives an entry-level worker level 0 of a waiting task: task PROCESSING, one open iteration', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    expect((await h.task(p.id, p.step))!.status).toBe('AWAITING_PROCESSING');

    const assignment = await h.lifecycle.claimTask(w, p.taskId);
    expect(assignment).toMatchObject({ level: 0 });
    const t = (await h.task(p.id, p.step))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toEqual([
      expect.objectContaining({ id: assignment.id, level: 0, worker: w.username, status: 'PROCESSING', data: {} }),
    ]);
    expect(t.iterations).toEqual([
      expect.objectContaining({ level: 0, status: 'PROCESSING', ended: false, submittedData: {} }),
    ]);
  });

  it('gives a reviewer level 1 of a task pending review, with a copy of the submitted data', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p = await submitted(w, { text: 'draft' });
    expect((await h.task(p.id, p.step))!.status).toBe('PENDING_REVIEW');

    await h.lifecycle.claimTask(r, p.taskId);
    const t = (await h.task(p.id, p.step))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((a) => [a.level, a.worker, a.status, a.data])).toEqual([
      [0, w.username, 'SUBMITTED', { text: 'draft' }],
      [1, r.username, 'PROCESSING', { text: 'draft' }],
    ]);
    expect(t.iterations.map((i) => [i.level, i.status])).toEqual([
      [0, 'REQUESTED_REVIEW'],
      [1, 'PROCESSING'],
    ]);
  });

  it('writes the assignment and status-change events', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    const before = await eventCount(h);
    await h.lifecycle.claimTask(w, p.taskId);
    const { rows } = await h.db.pool.query<{ type: string }>(
      'select type from domain_event where task_id = $1 order by id',
      [p.taskId],
    );
    expect(rows.map((r) => r.type)).toEqual(['task.created', 'task.assigned', 'task.status_changed']);
    expect(await eventCount(h)).toBe(before + 2);
  });
});

describe('check 1: the task must wait for a worker', () => {
  it('refuses a task in PROCESSING, also to an uncertified worker and to its own worker (status is checked first)', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    await h.lifecycle.claimTask(w, p.taskId);

    const other = await worker('other', [WRITER_REVIEWER]);
    const nobody = await worker('nobody');
    await expectRefused(h, () => h.lifecycle.claimTask(other, p.taskId), STATUS_INCOMPATIBLE);
    await expectRefused(h, () => h.lifecycle.claimTask(nobody, p.taskId), STATUS_INCOMPATIBLE);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p.taskId), STATUS_INCOMPATIBLE);
  });

  it('refuses a task in REVIEWING and in POST_REVIEW_PROCESSING', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const r2 = await worker('reviewer2', [WRITER_REVIEWER]);
    const p = await submitted(w);
    await h.lifecycle.claimTask(r, p.taskId);
    expect((await h.task(p.id, p.step))!.status).toBe('REVIEWING');
    await expectRefused(h, () => h.lifecycle.claimTask(r2, p.taskId), STATUS_INCOMPATIBLE);

    await h.lifecycle.submitTask(r, { taskId: p.taskId, data: { note: 'redo' }, action: SubmitAction.REJECT });
    expect((await h.task(p.id, p.step))!.status).toBe('POST_REVIEW_PROCESSING');
    await expectRefused(h, () => h.lifecycle.claimTask(r2, p.taskId), STATUS_INCOMPATIBLE);
  });

  it('refuses a COMPLETE task', async () => {
    // The pair version: one task completes while the other keeps the project active.
    const w = await worker('anyone');
    const other = await worker('other');
    const p = await project('pair');
    await h.lifecycle.claimTask(w, p.taskId);
    await h.lifecycle.submitTask(w, { taskId: p.taskId, data: {}, action: SubmitAction.SUBMIT });
    expect((await h.task(p.id, 'first'))!.status).toBe('COMPLETE');
    expect(await h.projectStatus(p.id)).toBe(0 /* ACTIVE */);
    await expectRefused(h, () => h.lifecycle.claimTask(other, p.taskId), STATUS_INCOMPATIBLE);
  });
});

describe('check 2: a waiting task must have no entry-level assignment', () => {
  it("refuses an AWAITING_PROCESSING task that already has a level-0 assignment: 'Task is in incorrect state', before the certification check", async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    await h.lifecycle.claimTask(w, p.taskId);
    // A broken state no use case produces: the task says it waits, yet level 0 is taken.
    await h.db.pool.query('update task set status = 0 where id = $1', [p.taskId]);
    expect((await h.task(p.id, p.step))!.status).toBe('AWAITING_PROCESSING');

    const other = await worker('other', [WRITER]);
    const nobody = await worker('nobody');
    await expectRefused(h, () => h.lifecycle.claimTask(other, p.taskId), INCORRECT_STATE);
    await expectRefused(h, () => h.lifecycle.claimTask(nobody, p.taskId), INCORRECT_STATE);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p.taskId), INCORRECT_STATE);
  });
});

describe('check 3: the worker must be certified for the role the task needs', () => {
  it('refuses a worker without certifications, and one holding another certification', async () => {
    const p = await project('write');
    const [nobody, editor] = [await worker('nobody'), await worker('editor', [EDITOR])];
    await expectRefused(h, () => h.lifecycle.claimTask(nobody, p.taskId), NOT_CERTIFIED);
    await expectRefused(h, () => h.lifecycle.claimTask(editor, p.taskId), NOT_CERTIFIED);
  });

  it('needs every required certification', async () => {
    const p = await project('both');
    const [writer, editor] = [await worker('writer', [WRITER]), await worker('editor', [EDITOR])];
    await expectRefused(h, () => h.lifecycle.claimTask(writer, p.taskId), NOT_CERTIFIED);
    await expectRefused(h, () => h.lifecycle.claimTask(editor, p.taskId), NOT_CERTIFIED);
    const both = await worker('both', [WRITER, EDITOR]);
    await h.lifecycle.claimTask(both, p.taskId);
    expect((await h.task(p.id, p.step))!.assignments.map((a) => a.worker)).toEqual([both.username]);
  });

  it('refuses review to an entry-level-only worker', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await submitted(w);
    const entryOnly = await worker('entry', [WRITER]);
    await expectRefused(h, () => h.lifecycle.claimTask(entryOnly, p.taskId), NOT_CERTIFIED);
  });

  it('tells an entry-level-only worker who did the work that they are not certified (check 3 precedes check 4)', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await submitted(w);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p.taskId), NOT_CERTIFIED);
  });

  it('lets a reviewer take entry-level work too (a reviewer certification comes with the entry-level one)', async () => {
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p = await project('write');
    await h.lifecycle.claimTask(r, p.taskId);
    expect((await h.task(p.id, p.step))!.assignments).toEqual([
      expect.objectContaining({ level: 0, worker: r.username }),
    ]);
  });

  it('refuses everyone a machine step', async () => {
    const p = await project('machine');
    expect((await h.task(p.id, p.step))!.status).toBe('AWAITING_PROCESSING');
    const anyone = await worker('anyone', [WRITER_REVIEWER, EDITOR]);
    await expectRefused(h, () => h.lifecycle.claimTask(anyone, p.taskId), NOT_CERTIFIED);
  });
});

describe('task classes: REAL projects need REAL certifications, TRAINING projects take either', () => {
  const TRAINEE: Cert = ['claims', 'writer', 'ENTRY_LEVEL', 'TRAINING'];
  const TRAINEE_REVIEWER: Cert = ['claims', 'writer', 'REVIEWER', 'TRAINING'];

  it('a TRAINING certification does not qualify for a REAL project, at either level', async () => {
    const trainee = await worker('trainee', [TRAINEE_REVIEWER]);
    const p = await project('write');
    await expectRefused(h, () => h.lifecycle.claimTask(trainee, p.taskId), NOT_CERTIFIED);

    const w = await worker('writer', [WRITER]);
    const q = await submitted(w);
    await expectRefused(h, () => h.lifecycle.claimTask(trainee, q.taskId), NOT_CERTIFIED);
  });

  it('a TRAINING project accepts TRAINING certifications for entry level and review', async () => {
    const trainee = await worker('trainee', [TRAINEE]);
    const traineeReviewer = await worker('trainee_reviewer', [TRAINEE_REVIEWER]);
    const p = await project('write', { taskClass: TaskClass.TRAINING });
    await h.lifecycle.claimTask(trainee, p.taskId);
    await h.lifecycle.submitTask(trainee, {
      taskId: p.taskId,
      data: { text: 'practice' },
      action: SubmitAction.SUBMIT,
    });
    await h.lifecycle.claimTask(traineeReviewer, p.taskId);
    const t = (await h.task(p.id, p.step))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((a) => [a.level, a.worker])).toEqual([
      [0, trainee.username],
      [1, traineeReviewer.username],
    ]);
  });

  it('a TRAINING project accepts REAL certifications too', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p = await project('write', { taskClass: TaskClass.TRAINING });
    await h.lifecycle.claimTask(w, p.taskId);
    await h.lifecycle.submitTask(w, { taskId: p.taskId, data: {}, action: SubmitAction.SUBMIT });
    await h.lifecycle.claimTask(r, p.taskId);
    expect((await h.task(p.id, p.step))!.status).toBe('REVIEWING');
  });

  it('a TRAINING entry-level certification still does not let a worker review a TRAINING project', async () => {
    const trainee = await worker('trainee', [TRAINEE]);
    const other = await worker('other_trainee', [TRAINEE]);
    const p = await project('write', { taskClass: TaskClass.TRAINING });
    await h.lifecycle.claimTask(trainee, p.taskId);
    await h.lifecycle.submitTask(trainee, { taskId: p.taskId, data: {}, action: SubmitAction.SUBMIT });
    await expectRefused(h, () => h.lifecycle.claimTask(other, p.taskId), NOT_CERTIFIED);
  });
});

describe('a step without required certifications', () => {
  it('can be claimed at every level by workers holding no certification at all', async () => {
    const a = await worker('a');
    const b = await worker('b');
    const p = await project('open');
    await h.lifecycle.claimTask(a, p.taskId);
    await h.lifecycle.submitTask(a, { taskId: p.taskId, data: { x: 1 }, action: SubmitAction.SUBMIT });
    await h.lifecycle.claimTask(b, p.taskId);
    const t = (await h.task(p.id, p.step))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((x) => [x.level, x.worker, x.status])).toEqual([
      [0, a.username, 'SUBMITTED'],
      [1, b.username, 'PROCESSING'],
    ]);
  });

  it('still refuses its own worker the review (check 4)', async () => {
    const a = await worker('a');
    const p = await project('open');
    await h.lifecycle.claimTask(a, p.taskId);
    await h.lifecycle.submitTask(a, { taskId: p.taskId, data: {}, action: SubmitAction.SUBMIT });
    await expectRefused(h, () => h.lifecycle.claimTask(a, p.taskId), ALREADY_ASSIGNED);
  });
});

describe('check 4: a worker holds at most one assignment of a task', () => {
  it('refuses the worker who submitted the review of their own work, although they hold a reviewer certification', async () => {
    const w = await worker('writer_reviewer', [WRITER_REVIEWER]);
    const p = await submitted(w);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p.taskId), ALREADY_ASSIGNED);
    // Someone else can still review it.
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    await h.lifecycle.claimTask(r, p.taskId);
    expect((await h.task(p.id, p.step))!.status).toBe('REVIEWING');
  });
});

describe('the project must be active', () => {
  it('refuses a claim on a PAUSED project and allows it once resumed', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    await h.lifecycle.pauseProject(h.admin, p.id);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p.taskId), {
      code: 'PROJECT_STATUS_ERROR',
      message: 'Project is not active.',
    });

    await h.lifecycle.resumeProject(h.admin, p.id);
    await h.lifecycle.claimTask(w, p.taskId);
    expect((await h.task(p.id, p.step))!.status).toBe('PROCESSING');
  });

  it('refuses a claim on an ended project', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    await h.lifecycle.endProject(h.admin, p.id);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p.taskId), {
      code: 'PROJECT_STATUS_ERROR',
      message: 'Project is not active.',
    });
  });

  it('an unknown task is not found', async () => {
    const w = await worker('writer', [WRITER]);
    await expect(h.lifecycle.claimTask(w, 987654)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No task for given id',
    });
  });
});

describe("the worker's own limits", () => {
  it("caps work in progress at config.maxInProgressTasks (2 here): 'Worker assigned to max number of tasks.'", async () => {
    const w = await worker('busy', [WRITER]);
    const p1 = await project('write');
    const p2 = await project('write');
    const p3 = await project('write');
    await h.lifecycle.claimTask(w, p1.taskId);
    await h.lifecycle.claimTask(w, p2.taskId);
    await expectRefused(h, () => h.lifecycle.claimTask(w, p3.taskId), MAX_TASKS);

    // Submitted work no longer counts: the worker may claim again.
    await h.lifecycle.submitTask(w, { taskId: p1.taskId, data: {}, action: SubmitAction.SUBMIT });
    await h.lifecycle.claimTask(w, p3.taskId);
    expect((await h.task(p3.id, p3.step))!.assignments.map((a) => a.worker)).toEqual([w.username]);
  });

  it('counts reviews in progress too', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p1 = await submitted(w);
    const p2 = await submitted(w);
    await h.lifecycle.claimTask(r, p1.taskId);
    await h.lifecycle.claimTask(r, p2.taskId);
    const p3 = await project('write');
    await expectRefused(h, () => h.lifecycle.claimTask(r, p3.taskId), MAX_TASKS);
  });

  it('does not count work of ended projects', async () => {
    const w = await worker('writer', [WRITER]);
    const p1 = await project('write');
    const p2 = await project('write');
    await h.lifecycle.claimTask(w, p1.taskId);
    await h.lifecycle.claimTask(w, p2.taskId);
    await h.lifecycle.endProject(h.admin, p1.id);
    const p3 = await project('write');
    await h.lifecycle.claimTask(w, p3.taskId);
    expect((await h.task(p3.id, p3.step))!.status).toBe('PROCESSING');
  });

  it('does not bind an admin assigning work to the worker', async () => {
    const w = await worker('busy', [WRITER]);
    const p1 = await project('write');
    const p2 = await project('write');
    const p3 = await project('write');
    await h.lifecycle.claimTask(w, p1.taskId);
    await h.lifecycle.claimTask(w, p2.taskId);
    await h.lifecycle.assignTask(h.admin, { taskId: p3.taskId, workerId: w.workerId });
    expect((await h.task(p3.id, p3.step))!.assignments.map((a) => [a.worker, a.status])).toEqual([
      [w.username, 'PROCESSING'],
    ]);
  });

  it("refuses new work while returned work waits: 'Worker has pending reviewer feedback that must be addressed.'", async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p1 = await submitted(w);
    await h.lifecycle.claimTask(r, p1.taskId);
    await h.lifecycle.submitTask(r, { taskId: p1.taskId, data: { note: 'redo' }, action: SubmitAction.REJECT });
    const returned = (await h.task(p1.id, p1.step))!;
    expect(returned.status).toBe('POST_REVIEW_PROCESSING');
    expect(returned.assignments.map((a) => [a.worker, a.status])).toEqual([
      [w.username, 'PROCESSING'],
      [r.username, 'SUBMITTED'],
    ]);

    const p2 = await project('write');
    await expectRefused(h, () => h.lifecycle.claimTask(w, p2.taskId), PENDING_FEEDBACK);

    // Once the feedback is addressed (sent back up for review), new work is allowed again.
    await h.lifecycle.submitTask(w, { taskId: p1.taskId, data: { text: 'fixed' }, action: SubmitAction.SUBMIT });
    expect((await h.task(p1.id, p1.step))!.status).toBe('REVIEWING');
    await h.lifecycle.claimTask(w, p2.taskId);
    expect((await h.task(p2.id, p2.step))!.status).toBe('PROCESSING');
  });

  it('reports returned work before the cap', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p1 = await submitted(w);
    await h.lifecycle.claimTask(r, p1.taskId);
    await h.lifecycle.submitTask(r, { taskId: p1.taskId, data: {}, action: SubmitAction.REJECT });
    // w holds the returned task (in progress); an admin fills the cap of 2 with a second task.
    await h.lifecycle.assignTask(h.admin, { taskId: (await project('write')).taskId, workerId: w.workerId });
    const p3 = await project('write');
    await expectRefused(h, () => h.lifecycle.claimTask(w, p3.taskId), PENDING_FEEDBACK);
  });
});
