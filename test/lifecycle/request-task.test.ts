// The next-task pull, `requestTask` (spec §3.17 "legacy get new task" as recommended; DESIGN "Deliberate
// differences"): highest project priority, then oldest project, then oldest task, among human tasks of
// active projects the worker is certified for in the role and task class needed, never one they already
// hold an assignment on; typed errors when nothing fits; the worker's own limits apply.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { CertificationRole, TaskClass } from '../../server/kernel/status.js';
import { dbState } from '../support/db-state.js';
import { expectRefused } from '../support/expect.js';
import { useHarness, type Harness } from '../support/harness.js';
import { claimsWorkflow } from '../workflows/fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [claimsWorkflow], config: { maxInProgressTasks: 2 } });
});

// Tests share one database: each starts with no open project, so only its own tasks wait.
beforeEach(async () => {
  const { rows } = await h.db.pool.query<{ id: number }>('select id from project where status in (0, 3) order by id');
  for (const { id } of rows) await h.lifecycle.endProject(h.admin, id);
});

type Cert = ['claims', 'writer' | 'editor', 'ENTRY_LEVEL' | 'REVIEWER', ('REAL' | 'TRAINING')?];
type W = Awaited<ReturnType<Harness['worker']>>;
const worker = (name: string, certs: Cert[] = []) => h.worker(name, certs);
const WRITER: Cert = ['claims', 'writer', 'ENTRY_LEVEL'];
const WRITER_REVIEWER: Cert = ['claims', 'writer', 'REVIEWER'];
const EDITOR: Cert = ['claims', 'editor', 'ENTRY_LEVEL'];
const TRAINEE: Cert = ['claims', 'writer', 'ENTRY_LEVEL', 'TRAINING'];

const STEP: Record<string, string> = { write: 'write', both: 'edit', open: 'open', pair: 'first', machine: 'fetch' };

async function project(version: string, extra: { taskClass?: TaskClass; priority?: number } = {}) {
  const p = await h.project('claims', version, extra);
  const step = STEP[version]!;
  return { id: p.id, step, taskId: await h.taskId(p.id, step) };
}

/** A `write` task brought to PENDING_REVIEW by `by`. */
async function pendingReview(
  by: W,
  extra: { priority?: number; taskClass?: TaskClass } = {},
  data = { text: 'draft' },
) {
  const p = await project('write', extra);
  await h.lifecycle.claimTask(by, p.taskId);
  await h.lifecycle.submitTask(by, { taskId: p.taskId, data, action: SubmitAction.SUBMIT });
  return p;
}

/** The task id the worker is given. */
async function next(w: W, role?: CertificationRole): Promise<number> {
  const { assignment } = await h.lifecycle.requestTask(w, role === undefined ? {} : { role });
  expect(assignment, 'the worker should have been given a task').not.toBeNull();
  return assignment!.task.id;
}

/** The request is refused with the typed error, and nothing changes. */
const expectRequestRefused = (w: W, expected: { code: string; message: string }, role?: CertificationRole) =>
  expectRefused(h, () => h.lifecycle.requestTask(w, role === undefined ? {} : { role }), expected);

/** "Nothing to do" is an answer, not an error: no assignment, the reason, and nothing changed. */
async function expectNothing(w: W, role?: CertificationRole) {
  const before = await dbState(h);
  expect(await h.lifecycle.requestTask(w, role === undefined ? {} : { role })).toEqual({
    assignment: null,
    reason: 'NO_TASK_AVAILABLE',
  });
  expect(await dbState(h)).toEqual(before);
}
const MAX_TASKS = { code: 'TASK_ASSIGNMENT_ERROR', message: 'Worker assigned to max number of tasks.' };
const PENDING_FEEDBACK = {
  code: 'TASK_ASSIGNMENT_ERROR',
  message: 'Worker has pending reviewer feedback that must be addressed.',
};

describe('what a request gives', () => {
  it('an entry-level task: level 0, task PROCESSING, one open iteration', async () => {
    const w = await worker('writer', [WRITER]);
    const p = await project('write');
    const { assignment } = await h.lifecycle.requestTask(w);
    expect(assignment!.task.id).toBe(p.taskId);
    const t = (await h.task(p.id, p.step))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toEqual([
      expect.objectContaining({ id: assignment!.id, level: 0, worker: w.username, status: 'PROCESSING', data: {} }),
    ]);
    expect(t.iterations).toEqual([expect.objectContaining({ level: 0, status: 'PROCESSING', ended: false })]);
  });

  it('a review: level 1, task REVIEWING, a copy of the submitted data', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p = await pendingReview(w, {}, { text: 'draft' });
    expect(await next(r)).toBe(p.taskId);
    const t = (await h.task(p.id, p.step))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((a) => [a.level, a.worker, a.status, a.data])).toEqual([
      [0, w.username, 'SUBMITTED', { text: 'draft' }],
      [1, r.username, 'PROCESSING', { text: 'draft' }],
    ]);
  });
});

describe('order: project priority, then oldest project, then oldest task', () => {
  it('highest priority first, whatever the age', async () => {
    const low = await project('open', { priority: 0 });
    const high = await project('open', { priority: 5 });
    const mid = await project('open', { priority: 2 });
    const got = [await next(await worker('a')), await next(await worker('b')), await next(await worker('c'))];
    expect(got).toEqual([high.taskId, mid.taskId, low.taskId]);
    await expectNothing(await worker('d'));
  });

  it('negative priorities come after the default', async () => {
    const neg = await project('open', { priority: -3 });
    const zero = await project('open');
    expect([await next(await worker('a')), await next(await worker('b'))]).toEqual([zero.taskId, neg.taskId]);
  });

  it('at equal priority, the project that started first (by start time, not by id)', async () => {
    const first = await project('open', { priority: 1 });
    const second = await project('open', { priority: 1 });
    const third = await project('open', { priority: 1 });
    // The third project is made the oldest.
    await h.db.pool.query(`update project set start_datetime = start_datetime - interval '1 day' where id = $1`, [
      third.id,
    ]);
    const got = [await next(await worker('a')), await next(await worker('b')), await next(await worker('c'))];
    expect(got).toEqual([third.taskId, first.taskId, second.taskId]);
  });

  it('within a project, the oldest task (by start time, not by id)', async () => {
    const p = await h.project('claims', 'pair');
    const first = await h.taskId(p.id, 'first');
    const second = await h.taskId(p.id, 'second');
    expect(first).toBeLessThan(second);
    await h.db.pool.query(`update task set start_datetime = start_datetime - interval '1 hour' where id = $1`, [
      second,
    ]);
    expect([await next(await worker('a')), await next(await worker('b'))]).toEqual([second, first]);
  });

  it('an older task of a newer project comes after every task of an older project', async () => {
    const older = await h.project('claims', 'pair', { priority: 1 });
    const newer = await project('open', { priority: 1 });
    await h.db.pool.query(`update task set start_datetime = start_datetime - interval '1 day' where id = $1`, [
      newer.taskId,
    ]);
    const got = [await next(await worker('a')), await next(await worker('b')), await next(await worker('c'))];
    expect(got).toEqual([await h.taskId(older.id, 'first'), await h.taskId(older.id, 'second'), newer.taskId]);
  });

  it('reviews and entry-level work share one order when no role is asked for', async () => {
    const w = await worker('writer', [WRITER]);
    const review = await pendingReview(w, { priority: 3 });
    const entryLow = await project('write', { priority: 1 });
    const entryHigh = await project('write', { priority: 7 });
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    expect(await next(r)).toBe(entryHigh.taskId);
    expect(await next(r)).toBe(review.taskId);
    expect(await next(await worker('reviewer2', [WRITER_REVIEWER]))).toBe(entryLow.taskId);
  });
});

describe('only tasks the worker is certified for, in the role and task class needed', () => {
  it('skips a higher-priority task needing a certification the worker lacks', async () => {
    const both = await project('both', { priority: 9 });
    const write = await project('write', { priority: 0 });
    expect(await next(await worker('writer', [WRITER]))).toBe(write.taskId);
    expect(await next(await worker('both', [WRITER, EDITOR]))).toBe(both.taskId);
  });

  it('gives reviews only to reviewers: an entry-level worker gets lower-priority entry work instead', async () => {
    const w = await worker('writer', [WRITER]);
    const review = await pendingReview(w, { priority: 9 });
    const entry = await project('write', { priority: 0 });
    expect(await next(await worker('entry', [WRITER]))).toBe(entry.taskId);
    // Only the review waits now: an entry-level worker is certified for nothing that waits.
    await expectNothing(await worker('entry2', [WRITER]));
    expect(await next(await worker('reviewer', [WRITER_REVIEWER]))).toBe(review.taskId);
  });

  it('a TRAINING certification qualifies for TRAINING projects only; a REAL one for both', async () => {
    const real = await project('write', { priority: 9 });
    const training = await project('write', { priority: 0, taskClass: TaskClass.TRAINING });
    expect(await next(await worker('trainee', [TRAINEE]))).toBe(training.taskId);
    await expectNothing(await worker('trainee2', [TRAINEE]));
    expect(await next(await worker('writer', [WRITER]))).toBe(real.taskId);

    const training2 = await project('write', { taskClass: TaskClass.TRAINING });
    expect(await next(await worker('writer2', [WRITER]))).toBe(training2.taskId);
  });

  it('reviews of a TRAINING project take a TRAINING reviewer certification', async () => {
    const trainee = await worker('trainee', [TRAINEE]);
    const p = await pendingReview(trainee, { taskClass: TaskClass.TRAINING });
    await expectNothing(await worker('trainee2', [TRAINEE]));
    expect(await next(await worker('trainee_reviewer', [['claims', 'writer', 'REVIEWER', 'TRAINING']]))).toBe(p.taskId);
  });

  it('a step without required certifications goes to anyone, at any level', async () => {
    const a = await worker('a');
    const p = await project('open');
    expect(await next(a)).toBe(p.taskId);
    await h.lifecycle.submitTask(a, { taskId: p.taskId, data: {}, action: SubmitAction.SUBMIT });
    expect(await next(await worker('b'))).toBe(p.taskId);
    expect((await h.task(p.id, p.step))!.assignments.map((x) => x.level)).toEqual([0, 1]);
  });
});

describe('the role filter', () => {
  it('REVIEWER gives only tasks pending review; ENTRY_LEVEL only tasks awaiting processing', async () => {
    const w = await worker('writer', [WRITER]);
    const review = await pendingReview(w, { priority: 0 });
    const entry = await project('write', { priority: 5 });
    expect(await next(await worker('r1', [WRITER_REVIEWER]), CertificationRole.REVIEWER)).toBe(review.taskId);
    await expectNothing(await worker('r2', [WRITER_REVIEWER]), CertificationRole.REVIEWER);
    expect(await next(await worker('r3', [WRITER_REVIEWER]), CertificationRole.ENTRY_LEVEL)).toBe(entry.taskId);
    await expectNothing(await worker('r4', [WRITER_REVIEWER]), CertificationRole.ENTRY_LEVEL);
  });

  it('gives an entry-level worker asking for reviews nothing: reviews they are not certified for are no candidates', async () => {
    const w = await worker('writer', [WRITER]);
    await pendingReview(w);
    await project('write');
    await expectNothing(await worker('entry', [WRITER]), CertificationRole.REVIEWER);
  });
});

describe('never a task the worker already works on', () => {
  it('does not offer a reviewer the review of their own work', async () => {
    const w = await worker('writer_reviewer', [WRITER_REVIEWER]);
    const own = await pendingReview(w, { priority: 9 });
    await expectNothing(w, CertificationRole.REVIEWER);
    await expectNothing(w);

    const other = await pendingReview(await worker('writer', [WRITER]), { priority: 0 });
    expect(await next(w)).toBe(other.taskId);
    expect(await next(await worker('reviewer', [WRITER_REVIEWER]))).toBe(own.taskId);
  });
});

describe('what is never offered', () => {
  it('tasks of paused projects', async () => {
    const paused = await project('open', { priority: 9 });
    await h.lifecycle.pauseProject(h.admin, paused.id);
    const active = await project('open', { priority: 0 });
    expect(await next(await worker('a'))).toBe(active.taskId);
    await expectNothing(await worker('b'));

    await h.lifecycle.resumeProject(h.admin, paused.id);
    expect(await next(await worker('c'))).toBe(paused.taskId);
  });

  it('machine steps', async () => {
    const machine = await project('machine', { priority: 9 });
    expect((await h.task(machine.id, machine.step))!.status).toBe('AWAITING_PROCESSING');
    await expectNothing(await worker('a', [WRITER_REVIEWER, EDITOR]));
    const open = await project('open', { priority: 0 });
    expect(await next(await worker('b'))).toBe(open.taskId);
    expect((await h.task(machine.id, machine.step))!.assignments).toEqual([]);
  });

  it('tasks someone is working on or that are finished', async () => {
    const p = await h.project('claims', 'pair');
    const a = await worker('a');
    const first = await next(a);
    await h.lifecycle.submitTask(a, { taskId: first, data: {}, action: SubmitAction.SUBMIT });
    expect((await h.task(p.id, 'first'))!.status).toBe('COMPLETE');
    const b = await worker('b');
    expect(await next(b)).toBe(await h.taskId(p.id, 'second'));
    await expectNothing(await worker('c'));
  });
});

describe('when nothing fits', () => {
  it('no task (an empty answer with the reason NO_TASK_AVAILABLE) when no task waits', async () => {
    await expectNothing(await worker('a', [WRITER_REVIEWER]));
    await expectNothing(await worker('b'));
  });

  it('no task, not an error, when tasks wait but the worker is certified for none of them (they are no candidates)', async () => {
    await project('write');
    await project('both');
    await expectNothing(await worker('nobody'));
    await expectNothing(await worker('editor', [EDITOR]));
    await expectNothing(await worker('editor', [EDITOR]), CertificationRole.ENTRY_LEVEL);
  });

  it('no task when the only tasks the worker may take are being claimed by others', async () => {
    const p = await project('write');
    const w = await worker('writer', [WRITER]);
    // Another transaction holds the task's row lock, as a concurrent claim does until it commits.
    const other = await h.db.pool.connect();
    try {
      await other.query('begin');
      await other.query('select id from task where id = $1 for update', [p.taskId]);
      await expectNothing(w);
    } finally {
      await other.query('rollback');
      other.release();
    }
    expect(await next(w)).toBe(p.taskId);
  });
});

describe("the worker's own limits", () => {
  it('caps work in progress at config.maxInProgressTasks (2 here), even when tasks wait', async () => {
    for (let i = 0; i < 4; i++) await project('open');
    const w = await worker('busy');
    const a = await next(w);
    const b = await next(w);
    expect(a).not.toBe(b);
    await expectRequestRefused(w, MAX_TASKS);
    await expectRequestRefused(w, MAX_TASKS, CertificationRole.REVIEWER);
    // A finished task frees a place.
    await h.lifecycle.submitTask(w, { taskId: a, data: {}, action: SubmitAction.SUBMIT });
    expect([a, b]).not.toContain(await next(w));
  });

  it('reports the cap even when nothing waits', async () => {
    const w = await worker('busy');
    await project('open');
    await project('open');
    await next(w);
    await next(w);
    await expectRequestRefused(w, MAX_TASKS);
  });

  it("refuses new work while returned work waits: 'Worker has pending reviewer feedback that must be addressed.'", async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p = await pendingReview(w);
    expect(await next(r)).toBe(p.taskId);
    await h.lifecycle.submitTask(r, { taskId: p.taskId, data: { note: 'redo' }, action: SubmitAction.REJECT });
    expect((await h.task(p.id, p.step))!.status).toBe('POST_REVIEW_PROCESSING');
    const waiting = await project('write');
    await expectRequestRefused(w, PENDING_FEEDBACK);

    await h.lifecycle.submitTask(w, { taskId: p.taskId, data: { text: 'fixed' }, action: SubmitAction.SUBMIT });
    expect(await next(w)).toBe(waiting.taskId);
  });

  it('reports returned work before the cap', async () => {
    const w = await worker('writer', [WRITER]);
    const r = await worker('reviewer', [WRITER_REVIEWER]);
    const p = await pendingReview(w);
    await h.lifecycle.claimTask(r, p.taskId);
    await h.lifecycle.submitTask(r, { taskId: p.taskId, data: {}, action: SubmitAction.REJECT });
    await h.lifecycle.assignTask(h.admin, { taskId: (await project('write')).taskId, workerId: w.workerId });
    await project('write');
    await expectRequestRefused(w, PENDING_FEEDBACK);
  });
});
