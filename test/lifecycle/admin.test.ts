// Admin use cases on a real database (spec §3.3, §3.8, §3.9, §3.16; DESIGN deliberate differences):
// assign (a claim without the worker's own limits), reassign, complete-and-skip and revert (dry run
// and commit). Every refusal changes nothing, every walk keeps the iteration invariants of spec §3.1.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/kernel/actor.js';
import { RevertChange, SubmitAction } from '../../server/lifecycle/rules.js';
import { IterationStatus, ProjectStatus, TaskStatus } from '../../server/kernel/status.js';
import { executeMachineStep } from '../../server/jobs/machine-step.job.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { eventCount, expectRefused, failure } from '../support/expect.js';
import { useHarness, type Harness, type TaskSnapshot } from '../support/harness.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

/** A reviewed step followed by a step created when it completes; and a failing machine step followed by a human one. */
const adminWorkflow = defineWorkflow({
  slug: 'admin',
  name: 'Admin use cases',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'chain',
      name: 'Draft (reviewed once), then publish',
      steps: [
        {
          kind: 'human',
          slug: 'draft',
          name: 'Draft',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
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
      name: 'A machine step that always fails, then a human step',
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
        {
          kind: 'human',
          slug: 'use',
          name: 'Use',
          creationDependsOn: ['fetch'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
  ],
});

let h: Harness;
beforeAll(async () => {
  // A cap of one task in progress, so that "admins ignore the cap" is easy to show.
  h = await useHarness({ workflows: [reviewWorkflow, adminWorkflow], config: { maxInProgressTasks: 1 } });
});

type Worker = Awaited<ReturnType<Harness['worker']>>;
const WRITER = (wf: 'review' | 'admin' = 'review') =>
  [[wf, 'writer', 'ENTRY_LEVEL']] as [string, string, 'ENTRY_LEVEL'][];
const REVIEWER = (wf: 'review' | 'admin' = 'review') => [[wf, 'writer', 'REVIEWER']] as [string, string, 'REVIEWER'][];
const worker = (
  name: string,
  certs: [string, string, 'ENTRY_LEVEL' | 'REVIEWER'][] = [],
  extra: { isAdmin?: boolean } = {},
) => h.worker(name, certs, extra);

const { SUBMIT, ACCEPT, REJECT } = SubmitAction;
const submit = (w: Worker, taskId: number, data: Record<string, string>, action = SUBMIT) =>
  h.lifecycle.submitTask(w, { taskId, data, action });

async function snapshot(p: { id: number }, step: string): Promise<TaskSnapshot> {
  const t = await h.task(p.id, step);
  if (!t) throw new Error(`no task for step ${step}`);
  return t;
}

// ---- the iteration invariants of spec §3.1 ------------------------------------------------

/** Start and end times of the live assignments and iterations of a task (the snapshot has no times). */
async function timesOf(taskId: number) {
  const assignments = await h.db.pool.query<{ id: number; start: Date }>(
    'select id, start_datetime as start from task_assignment where task_id = $1 and not is_deleted',
    [taskId],
  );
  const iterations = await h.db.pool.query<{ id: number; assignment_id: number; start: Date; end: Date | null }>(
    `select i.id, i.assignment_id, i.start_datetime as start, i.end_datetime as end
       from iteration i join task_assignment a on a.id = i.assignment_id
      where a.task_id = $1 and not i.is_deleted`,
    [taskId],
  );
  return {
    assignmentStart: new Map(assignments.rows.map((r) => [r.id, r.start.getTime()])),
    iterations: new Map(
      iterations.rows.map((r) => [
        r.id,
        { assignmentId: r.assignment_id, start: r.start.getTime(), end: r.end?.getTime() ?? null },
      ]),
    ),
  };
}

/** Asserts the invariants of spec §3.1 (the original's test helper `iterations.py`) on a snapshot of a task. */
async function assertIterationInvariants(t: TaskSnapshot): Promise<void> {
  const where = `task ${t.step} (${t.status})`;
  const its = t.iterations;
  const byLevel = new Map(t.assignments.map((a) => [a.level, a]));
  // Live assignments have distinct levels 0..n-1 and at most one is PROCESSING.
  expect(
    t.assignments.map((a) => a.level),
    where,
  ).toEqual(t.assignments.map((_, i) => i));
  expect(t.assignments.filter((a) => a.status === 'PROCESSING').length, where).toBeLessThanOrEqual(1);
  if (t.status === 'ABORTED') return; // aborted tasks may have any configuration

  // 1. Levels start at 0; after REQUESTED_REVIEW comes level+1, after PROVIDED_REVIEW level−1; every assigned level appears.
  if (its.length) expect(its[0]!.level, where).toBe(0);
  for (let i = 1; i < its.length; i++) {
    const prev = its[i - 1]!;
    expect(prev.status, `${where}: only the last iteration may be PROCESSING`).not.toBe('PROCESSING');
    expect(its[i]!.level, `${where}: iteration ${i}`).toBe(prev.level + (prev.status === 'REQUESTED_REVIEW' ? 1 : -1));
  }
  for (const a of t.assignments)
    expect(
      its.some((i) => i.level === a.level),
      `${where}: level ${a.level} has iterations`,
    ).toBe(true);

  // 2. The last iteration agrees with its assignment and the task.
  const last = its[its.length - 1];
  if (!last) {
    expect(t.assignments, `${where}: no iterations, no assignments`).toEqual([]);
    expect(['AWAITING_PROCESSING', 'COMPLETE'], where).toContain(t.status);
  } else if (last.status === 'PROCESSING') {
    expect(byLevel.get(last.level)!.status, where).toBe('PROCESSING');
    expect(['PROCESSING', 'REVIEWING', 'POST_REVIEW_PROCESSING'], where).toContain(t.status);
  } else if (last.status === 'REQUESTED_REVIEW') {
    expect(byLevel.get(last.level)!.status, where).toBe('SUBMITTED');
    expect(['PENDING_REVIEW', 'COMPLETE'], where).toContain(t.status);
  } else {
    expect(t.status, where).toBe('POST_REVIEW_PROCESSING');
  }

  // 3. A PROCESSING iteration has no submitted data and no end; ended iterations have an end.
  for (const it of its) {
    if (it.status === 'PROCESSING') {
      expect(it.submittedData, where).toEqual({});
      expect(it.ended, where).toBe(false);
    } else {
      expect(it.ended, where).toBe(true);
    }
  }

  // 4. An assignment's first iteration starts when the assignment does; later ones when the previous (task-wide) ended.
  const times = await timesOf(t.id);
  const seen = new Set<number>();
  its.forEach((it, i) => {
    const own = times.iterations.get(it.id)!;
    if (!seen.has(own.assignmentId)) {
      seen.add(own.assignmentId);
      expect(own.start, `${where}: first iteration of level ${it.level}`).toBe(
        times.assignmentStart.get(own.assignmentId),
      );
    } else {
      expect(own.start, `${where}: iteration ${i} starts when iteration ${i - 1} ended`).toBe(
        times.iterations.get(its[i - 1]!.id)!.end,
      );
    }
  });
}

/** Snapshot + invariants in one call. */
async function checked(p: { id: number }, step: string): Promise<TaskSnapshot> {
  const t = await snapshot(p, step);
  await assertIterationInvariants(t);
  return t;
}

// ---- walks ----------------------------------------------------------------------------------

/**
 * The two-level walk of spec §3.5 (review/v1: rate 1, max 2) stopped while the second reviewer
 * re-reviews: w0 submits, w1 accepts, w3 rejects, w1 fixes. Iterations i0..i4 by level 0,1,2,1,2.
 */
async function reReviewWalk() {
  const w0 = await worker('w0', WRITER());
  const w1 = await worker('w1', REVIEWER());
  const w3 = await worker('w3', REVIEWER());
  const p = await h.project('review');
  const taskId = await h.taskId(p.id, 'write');
  await h.lifecycle.claimTask(w0, taskId);
  await submit(w0, taskId, { text: 'draft' });
  await h.lifecycle.claimTask(w1, taskId);
  await submit(w1, taskId, { text: 'edited' }, ACCEPT);
  await h.lifecycle.claimTask(w3, taskId);
  await submit(w3, taskId, { text: 'needs work' }, REJECT);
  await submit(w1, taskId, { text: 'fixed' });
  const t = await checked(p, 'write');
  expect(t.status).toBe('REVIEWING');
  expect(t.iterations.map((i) => [i.level, i.status])).toEqual([
    [0, 'REQUESTED_REVIEW'],
    [1, 'REQUESTED_REVIEW'],
    [2, 'PROVIDED_REVIEW'],
    [1, 'REQUESTED_REVIEW'],
    [2, 'PROCESSING'],
  ]);
  const [i0, i1, i2, i3, i4] = t.iterations.map((i) => i.id) as [number, number, number, number, number];
  const [a0, a1, a2] = t.assignments.map((a) => a.id) as [number, number, number];
  return { p, taskId, w0, w1, w3, t, i: { i0, i1, i2, i3, i4 }, a: { a0, a1, a2 } };
}

// ---- assign ---------------------------------------------------------------------------------

describe('assignTask (admin)', () => {
  it('works like a claim: entry level, then a reviewer who gets a copy of the data', async () => {
    const admin = await worker('admin', [], { isAdmin: true });
    const w = await worker('writer', WRITER());
    const r = await worker('reviewer', REVIEWER());
    const p = await h.project('review');
    const taskId = await h.taskId(p.id, 'write');

    const a0 = await h.lifecycle.assignTask(admin, { taskId, workerId: w.workerId });
    let t = await checked(p, 'write');
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toEqual([
      expect.objectContaining({ id: a0.id, level: 0, worker: w.username, status: 'PROCESSING', data: {} }),
    ]);
    expect(t.iterations).toEqual([expect.objectContaining({ level: 0, status: 'PROCESSING', ended: false })]);

    await submit(w, taskId, { text: 'draft' });
    const a1 = await h.lifecycle.assignTask(h.admin, { taskId, workerId: r.workerId });
    t = await checked(p, 'write');
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments[1]).toMatchObject({
      id: a1.id,
      level: 1,
      worker: r.username,
      status: 'PROCESSING',
      data: { text: 'draft' },
    });

    // The assigned worker works the task as if they had claimed it.
    await submit(r, taskId, { text: 'approved' }, ACCEPT);
    expect((await checked(p, 'write')).status).toBe('PENDING_REVIEW');
  });

  it("ignores the worker's cap on work in progress (a claim does not)", async () => {
    const w = await worker('busy', WRITER());
    const first = await h.project('review');
    const second = await h.project('review');
    await h.lifecycle.claimTask(w, await h.taskId(first.id, 'write'));
    const secondTask = await h.taskId(second.id, 'write');

    await expectRefused(h, () => h.lifecycle.claimTask(w, secondTask), {
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker assigned to max number of tasks.',
    });
    await h.lifecycle.assignTask(h.admin, { taskId: secondTask, workerId: w.workerId });
    const t = await checked(second, 'write');
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments.map((a) => [a.worker, a.status])).toEqual([[w.username, 'PROCESSING']]);
  });

  it('ignores returned work waiting for the worker too', async () => {
    const w = await worker('returned', WRITER());
    const r = await worker('rejecting', REVIEWER());
    const first = await h.project('review');
    const firstTask = await h.taskId(first.id, 'write');
    await h.lifecycle.claimTask(w, firstTask);
    await submit(w, firstTask, { text: 'draft' });
    await h.lifecycle.claimTask(r, firstTask);
    await submit(r, firstTask, { text: 'redo' }, REJECT);
    expect((await checked(first, 'write')).status).toBe('POST_REVIEW_PROCESSING');

    const second = await h.project('review');
    await h.lifecycle.assignTask(h.admin, { taskId: await h.taskId(second.id, 'write'), workerId: w.workerId });
    expect((await checked(second, 'write')).assignments.map((a) => a.worker)).toEqual([w.username]);
  });

  it("keeps the claim's checks: certification, status, already assigned", async () => {
    const nobody = await worker('uncertified');
    const w = await worker('writer', REVIEWER());
    const p = await h.project('review');
    const taskId = await h.taskId(p.id, 'write');
    await expectRefused(h, () => h.lifecycle.assignTask(h.admin, { taskId, workerId: nobody.workerId }), {
      code: 'WORKER_CERTIFICATION_ERROR',
      message: 'Worker not certified for this task.',
    });

    await h.lifecycle.assignTask(h.admin, { taskId, workerId: w.workerId });
    await expectRefused(h, () => h.lifecycle.assignTask(h.admin, { taskId, workerId: w.workerId }), {
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Status incompatible with new assignment',
    });

    await submit(w, taskId, { text: 'draft' });
    await expectRefused(h, () => h.lifecycle.assignTask(h.admin, { taskId, workerId: w.workerId }), {
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker already assigned to this task.',
    });
    await checked(p, 'write');
  });

  it('is refused to a non-admin worker (even assigning themselves) with FORBIDDEN; nothing changes', async () => {
    const w = await worker('self', WRITER());
    const p = await h.project('review');
    const taskId = await h.taskId(p.id, 'write');
    await expectRefused(h, () => h.lifecycle.assignTask(w, { taskId, workerId: w.workerId }), {
      code: 'FORBIDDEN',
      message: 'Only project admins may do this.',
    });
    expect((await snapshot(p, 'write')).status).toBe('AWAITING_PROCESSING');
  });
});

// ---- reassign -------------------------------------------------------------------------------

describe('reassignAssignment (spec §3.8)', () => {
  it('replaces the worker of a processing assignment; status, data and iterations stay; the new worker carries on', async () => {
    const w0 = await worker('leaver', WRITER());
    const w2 = await worker('joiner', WRITER());
    const p = await h.project('review');
    const taskId = await h.taskId(p.id, 'write');
    const a0 = await h.lifecycle.claimTask(w0, taskId);
    await h.lifecycle.saveTask(w0, { taskId, data: { text: 'half done' } });
    const before = await checked(p, 'write');

    const reassigned = await h.lifecycle.reassignAssignment(h.admin, { assignmentId: a0.id, workerId: w2.workerId });
    expect(reassigned.id).toBe(a0.id);
    const after = await checked(p, 'write');
    expect(after).toEqual({ ...before, assignments: [{ ...before.assignments[0]!, worker: w2.username }] });

    // The old worker is off the task; the new one submits the data they found.
    await expect(failure(() => h.lifecycle.saveTask(w0, { taskId, data: { text: 'mine' } }))).resolves.toMatchObject({
      message: 'Worker is not associated with task',
    });
    await expect(failure(() => submit(w0, taskId, { text: 'mine' }))).resolves.toMatchObject({
      message: 'Task assignment with worker is in broken state.',
    });
    await submit(w2, taskId, { ...(after.assignments[0]!.data as Record<string, string>), more: 'done' });
    const t = await checked(p, 'write');
    expect(t.status).toBe('PENDING_REVIEW');
    expect(t.assignments[0]).toMatchObject({
      worker: w2.username,
      status: 'SUBMITTED',
      data: { text: 'half done', more: 'done' },
    });
  });

  it('works in any task status: a submitted entry level, a reviewer, a completed task', async () => {
    const { p, a, w0, w1, w3 } = await reReviewWalk();
    const entry = await worker('new-entry', WRITER());
    const reviewer = await worker('new-reviewer', REVIEWER());
    const before = await snapshot(p, 'write');

    await h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a0, workerId: entry.workerId }); // SUBMITTED, task REVIEWING
    await h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a1, workerId: reviewer.workerId });
    const after = await checked(p, 'write');
    expect(after.assignments.map((x) => x.worker)).toEqual([
      entry.username,
      reviewer.username,
      before.assignments[2]!.worker,
    ]);
    expect(after.assignments.map(({ worker: _w, ...rest }) => rest)).toEqual(
      before.assignments.map(({ worker: _w, ...rest }) => rest),
    );
    expect(after.iterations).toEqual(before.iterations);
    expect(after.status).toBe(before.status);

    // The walk goes on, and on a completed task the replaced workers can be put back.
    await submit(w3, after.id, { text: 'final' }, ACCEPT);
    expect((await checked(p, 'write')).status).toBe('COMPLETE');
    await h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a0, workerId: w0.workerId });
    await h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a1, workerId: w1.workerId });
    const done = await checked(p, 'write');
    expect(done.status).toBe('COMPLETE');
    expect(done.assignments.map((x) => x.worker)).toEqual([w0.username, w1.username, w3.username]);
  });

  it("refuses a worker not certified for the assignment's role: 'Worker not certified for this assignment.'", async () => {
    const { a } = await reReviewWalk();
    const nobody = await worker('nobody');
    const entryOnly = await worker('entry-only', WRITER());
    const otherWorkflow = await worker('other-workflow', REVIEWER('admin'));
    const NOT_CERTIFIED = { code: 'WORKER_CERTIFICATION_ERROR', message: 'Worker not certified for this assignment.' };
    await expectRefused(
      h,
      () => h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a0, workerId: nobody.workerId }),
      NOT_CERTIFIED,
    );
    await expectRefused(
      h,
      () => h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a1, workerId: entryOnly.workerId }),
      NOT_CERTIFIED,
    );
    await expectRefused(
      h,
      () => h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a2, workerId: otherWorkflow.workerId }),
      NOT_CERTIFIED,
    );
  });

  it("refuses a worker already on the task: 'Worker already assigned to this task.' (after the certification check)", async () => {
    const { a, w0, w1 } = await reReviewWalk();
    const ALREADY = { code: 'TASK_ASSIGNMENT_ERROR', message: 'Worker already assigned to this task.' };
    // w1 holds level 1 and is a certified reviewer.
    await expectRefused(
      h,
      () => h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a2, workerId: w1.workerId }),
      ALREADY,
    );
    // Its own worker.
    await expectRefused(
      h,
      () => h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a1, workerId: w1.workerId }),
      ALREADY,
    );
    // w0 holds level 0 but is not a reviewer: the certification error comes first.
    await expectRefused(
      h,
      () => h.lifecycle.reassignAssignment(h.admin, { assignmentId: a.a2, workerId: w0.workerId }),
      { code: 'WORKER_CERTIFICATION_ERROR', message: 'Worker not certified for this assignment.' },
    );
  });

  it('reports an unknown assignment as not found', async () => {
    const w = await worker('anyone', WRITER());
    expect(
      await failure(() => h.lifecycle.reassignAssignment(h.admin, { assignmentId: 987654, workerId: w.workerId })),
    ).toMatchObject({ code: 'NOT_FOUND' });
  });
});

// ---- complete and skip ----------------------------------------------------------------------

const SKIPPED = { _orchestra_internal: { complete_and_skip_task: true } };

describe('completeAndSkipTask (spec §3.9)', () => {
  it("submits a processing entry level on the worker's behalf: with review the task goes to PENDING_REVIEW, marked as skipped", async () => {
    const w = await worker('slow', WRITER('admin'));
    const r = await worker('reviewer', REVIEWER('admin'));
    const p = await h.project('admin', 'chain');
    const taskId = await h.taskId(p.id, 'draft');
    await h.lifecycle.claimTask(w, taskId);
    await h.lifecycle.saveTask(w, { taskId, data: { text: 'half' } });

    const task = await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    expect(task.status).toBe(TaskStatus.PENDING_REVIEW);
    let t = await checked(p, 'draft');
    expect(t.status).toBe('PENDING_REVIEW');
    expect(t.assignments).toEqual([
      expect.objectContaining({ worker: w.username, status: 'SUBMITTED', data: { text: 'half', ...SKIPPED } }),
    ]);
    expect(t.iterations).toEqual([
      expect.objectContaining({
        level: 0,
        status: 'REQUESTED_REVIEW',
        submittedData: { text: 'half', ...SKIPPED },
        ended: true,
      }),
    ]);
    expect(await h.task(p.id, 'publish')).toBeNull();

    // The reviewer gets the data, marker included.
    await h.lifecycle.claimTask(r, taskId);
    t = await checked(p, 'draft');
    expect(t.assignments[1]).toMatchObject({
      worker: r.username,
      status: 'PROCESSING',
      data: { text: 'half', ...SKIPPED },
    });

    // Skipping the reviewer completes the task (max one review) and creates what follows.
    await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    t = await checked(p, 'draft');
    expect(t.status).toBe('COMPLETE');
    expect((await snapshot(p, 'publish')).status).toBe('AWAITING_PROCESSING');
  });

  it('completes a processing task without review straight away', async () => {
    const w = await worker('solo', WRITER());
    const p = await h.project('review', 'noreview');
    const taskId = await h.taskId(p.id, 'write');
    await h.lifecycle.claimTask(w, taskId);
    await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    const t = await checked(p, 'write');
    expect(t.status).toBe('COMPLETE');
    expect(t.assignments[0]).toMatchObject({ status: 'SUBMITTED', data: SKIPPED });
    expect(await h.projectStatus(p.id)).toBe(ProjectStatus.COMPLETED);
  });

  it('submits on behalf of a worker who was returned work: back up to REVIEWING', async () => {
    const { p, taskId, w3 } = await reReviewWalk();
    await submit(w3, taskId, { text: 'still not right' }, REJECT);
    expect((await checked(p, 'write')).status).toBe('POST_REVIEW_PROCESSING');
    await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    const t = await checked(p, 'write');
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((a) => a.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'PROCESSING']);
    expect(t.assignments[2]!.data).toEqual({ text: 'still not right', ...SKIPPED });
  });

  it('does nothing while the current assignment is not processing (task pending review)', async () => {
    const w = await worker('waiting', WRITER());
    const p = await h.project('review');
    const taskId = await h.taskId(p.id, 'write');
    await h.lifecycle.claimTask(w, taskId);
    await submit(w, taskId, { text: 'draft' });
    const before = await snapshot(p, 'write');
    const events = await eventCount(h);

    const task = await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    expect(task.status).toBe(TaskStatus.PENDING_REVIEW);
    expect(await checked(p, 'write')).toEqual(before);
    expect(await eventCount(h)).toBe(events);
  });

  it('completes an unassigned task and — unlike the original — creates the tasks that follow', async () => {
    const p = await h.project('admin', 'chain');
    const taskId = await h.taskId(p.id, 'draft');
    const task = await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    expect(task.status).toBe(TaskStatus.COMPLETE);
    const t = await checked(p, 'draft');
    expect(t).toMatchObject({ status: 'COMPLETE', assignments: [], iterations: [] });
    expect((await checked(p, 'publish')).status).toBe('AWAITING_PROCESSING');
    expect(await h.projectStatus(p.id)).toBe(ProjectStatus.ACTIVE);
  });

  it('completes a failed machine task: its assignment SUBMITTED, its open iteration closed, the next task created', async () => {
    const p = await h.project('admin', 'machine');
    const taskId = await h.taskId(p.id, 'fetch');
    expect(await executeMachineStep(h.orchestra, taskId)).toBe('failed');
    let t = await snapshot(p, 'fetch');
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toEqual([
      expect.objectContaining({ worker: null, status: 'FAILED', lastError: 'upstream down' }),
    ]);

    await h.lifecycle.completeAndSkipTask(h.admin, taskId);
    t = await checked(p, 'fetch');
    expect(t.status).toBe('COMPLETE');
    expect(t.assignments.map((a) => a.status)).toEqual(['SUBMITTED']);
    expect((await checked(p, 'use')).status).toBe('AWAITING_PROCESSING');
  });
});

// ---- revert ---------------------------------------------------------------------------------

const { UNCHANGED, REVERTED, DELETED } = RevertChange;

describe('revertTask (spec §3.16)', () => {
  it('dry run: returns the audit and changes nothing', async () => {
    const { p, taskId, w0, w1, w3, i, a } = await reReviewWalk();
    const before = await snapshot(p, 'write');
    const events = await eventCount(h);

    const audit = await h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i1 });
    expect(audit).toEqual({
      taskId,
      statusBefore: TaskStatus.REVIEWING,
      revertedStatus: TaskStatus.REVIEWING,
      committed: false,
      assignments: [
        {
          assignmentId: a.a0,
          level: 0,
          workerId: w0.workerId,
          change: UNCHANGED,
          iterations: [{ iterationId: i.i0, status: IterationStatus.REQUESTED_REVIEW, change: UNCHANGED }],
        },
        {
          assignmentId: a.a1,
          level: 1,
          workerId: w1.workerId,
          change: REVERTED,
          iterations: [
            { iterationId: i.i1, status: IterationStatus.REQUESTED_REVIEW, change: REVERTED },
            { iterationId: i.i3, status: IterationStatus.REQUESTED_REVIEW, change: DELETED },
          ],
        },
        {
          assignmentId: a.a2,
          level: 2,
          workerId: w3.workerId,
          change: DELETED,
          iterations: [
            { iterationId: i.i2, status: IterationStatus.PROVIDED_REVIEW, change: DELETED },
            { iterationId: i.i4, status: IterationStatus.PROCESSING, change: DELETED },
          ],
        },
      ],
    });
    expect(await snapshot(p, 'write')).toEqual(before);
    expect(await eventCount(h)).toBe(events);

    // Other dry runs: revert before the first reviewer, and to the fix after the rejection.
    const beforeReviewer = await h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i1, revertBefore: true });
    expect(beforeReviewer.revertedStatus).toBe(TaskStatus.PENDING_REVIEW);
    expect(beforeReviewer.assignments.map((x) => x.change)).toEqual([UNCHANGED, DELETED, DELETED]);
    const toFix = await h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i3, commit: false });
    expect(toFix.revertedStatus).toBe(TaskStatus.POST_REVIEW_PROCESSING);
    expect(toFix.assignments.map((x) => x.change)).toEqual([UNCHANGED, REVERTED, REVERTED]);
    expect(await snapshot(p, 'write')).toEqual(before);
    expect(await eventCount(h)).toBe(events);
  });

  it('commit: back to the computed status, later work gone, the reverted iteration open again; the walk goes on', async () => {
    const { p, taskId, w1, w3, i, a } = await reReviewWalk();
    const dry = await h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i1 });
    const audit = await h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i1, commit: true });
    expect(audit).toEqual({ ...dry, committed: true });

    let t = await checked(p, 'write');
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((x) => [x.id, x.level, x.worker, x.status])).toEqual([
      [a.a0, 0, expect.any(String), 'SUBMITTED'],
      [a.a1, 1, w1.username, 'PROCESSING'],
    ]);
    // The latest data is kept, not the reverted iteration's.
    expect(t.assignments[1]!.data).toEqual({ text: 'fixed' });
    expect(t.iterations).toEqual([
      expect.objectContaining({ id: i.i0, level: 0, status: 'REQUESTED_REVIEW', ended: true }),
      { id: i.i1, level: 1, status: 'PROCESSING', submittedData: {}, ended: false },
    ]);

    // The reviewer of the reverted assignment accepts again; the removed second reviewer can come back.
    await submit(w1, taskId, { text: 'edited again' }, ACCEPT);
    t = await checked(p, 'write');
    expect(t.status).toBe('PENDING_REVIEW');
    const again = await h.lifecycle.claimTask(w3, taskId);
    expect(again).toMatchObject({ level: 2 });
    expect(again.id).not.toBe(a.a2);
    t = await checked(p, 'write');
    expect(t.assignments[2]).toMatchObject({
      worker: w3.username,
      status: 'PROCESSING',
      data: { text: 'edited again' },
    });
    await submit(w3, taskId, { text: 'final' }, ACCEPT);
    t = await checked(p, 'write');
    expect(t.status).toBe('COMPLETE');
    expect(t.iterations.map((x) => [x.level, x.status])).toEqual([
      [0, 'REQUESTED_REVIEW'],
      [1, 'REQUESTED_REVIEW'],
      [2, 'REQUESTED_REVIEW'],
    ]);
  });

  it('commit to the fix after a rejection: POST_REVIEW_PROCESSING, the returned worker submits again', async () => {
    const { p, taskId, w1, i } = await reReviewWalk();
    await h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i3, commit: true });
    let t = await checked(p, 'write');
    expect(t.status).toBe('POST_REVIEW_PROCESSING');
    expect(t.assignments.map((x) => x.status)).toEqual(['SUBMITTED', 'PROCESSING', 'SUBMITTED']);
    expect(t.iterations.map((x) => x.id)).toEqual([i.i0, i.i1, i.i2, i.i3]);

    await submit(w1, taskId, { text: 'fixed better' });
    t = await checked(p, 'write');
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments[2]).toMatchObject({ status: 'PROCESSING', data: { text: 'fixed better' } });
  });

  it('commit before the first reviewer: PENDING_REVIEW, the reviewers gone, a reviewer can claim again', async () => {
    const { p, taskId, w1, i, a } = await reReviewWalk();
    const audit = await h.lifecycle.revertTask(h.admin, {
      taskId,
      iterationId: i.i1,
      revertBefore: true,
      commit: true,
    });
    expect(audit.revertedStatus).toBe(TaskStatus.PENDING_REVIEW);
    let t = await checked(p, 'write');
    expect(t.status).toBe('PENDING_REVIEW');
    expect(t.assignments.map((x) => [x.id, x.status])).toEqual([[a.a0, 'SUBMITTED']]);
    expect(t.iterations.map((x) => x.id)).toEqual([i.i0]);

    await h.lifecycle.claimTask(w1, taskId);
    t = await checked(p, 'write');
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments[1]).toMatchObject({ level: 1, worker: w1.username, data: { text: 'draft' } });
  });

  it('commit before the very first iteration of a completed task: AWAITING_PROCESSING; other tasks and the project untouched', async () => {
    const w = await worker('author', WRITER('admin'));
    const r = await worker('editor', REVIEWER('admin'));
    const p = await h.project('admin', 'chain');
    const taskId = await h.taskId(p.id, 'draft');
    await h.lifecycle.claimTask(w, taskId);
    await submit(w, taskId, { text: 'draft' });
    await h.lifecycle.claimTask(r, taskId);
    await submit(r, taskId, { text: 'ok' }, ACCEPT);
    const done = await checked(p, 'draft');
    expect(done.status).toBe('COMPLETE');
    const publish = await checked(p, 'publish');

    await h.lifecycle.revertTask(h.admin, {
      taskId,
      iterationId: done.iterations[0]!.id,
      revertBefore: true,
      commit: true,
    });
    const t = await checked(p, 'draft');
    expect(t).toMatchObject({ status: 'AWAITING_PROCESSING', assignments: [], iterations: [] });
    expect(await snapshot(p, 'publish')).toEqual(publish);
    expect(await h.projectStatus(p.id)).toBe(ProjectStatus.ACTIVE);

    // The original worker can take the task again from the start.
    await h.lifecycle.claimTask(w, taskId);
    expect((await checked(p, 'draft')).assignments).toEqual([
      expect.objectContaining({ level: 0, worker: w.username, status: 'PROCESSING', data: {} }),
    ]);
  });

  it("refuses to revert before an iteration that isn't the first of its assignment; nothing changes", async () => {
    const { taskId, i } = await reReviewWalk();
    const expected = {
      code: 'INVALID_REVERT_ERROR',
      message: "Cannot revert before an iteration that isn't the first of its assignment.",
    };
    await expectRefused(
      h,
      () => h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i3, revertBefore: true, commit: true }),
      expected,
    );
    await expectRefused(
      h,
      () => h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i4, revertBefore: true }),
      expected,
    );
  });

  it("refuses an aborted task: INVALID_REVERT_ERROR 'Cannot revert aborted task.'", async () => {
    const { p, taskId, i } = await reReviewWalk();
    await h.lifecycle.endProject(h.admin, p.id);
    expect((await snapshot(p, 'write')).status).toBe('ABORTED');
    const expected = { code: 'INVALID_REVERT_ERROR', message: 'Cannot revert aborted task.' };
    await expectRefused(
      h,
      () => h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i1, commit: true }),
      expected,
    );
    await expectRefused(
      h,
      () => h.lifecycle.revertTask(h.admin, { taskId, iterationId: i.i0, revertBefore: true }),
      expected,
    );
  });

  it('refuses an iteration of another task as not found', async () => {
    const one = await reReviewWalk();
    const other = await reReviewWalk();
    await expectRefused(
      h,
      () => h.lifecycle.revertTask(h.admin, { taskId: one.taskId, iterationId: other.i.i1, commit: true }),
      { code: 'NOT_FOUND' },
    );
  });
});

// ---- permissions ----------------------------------------------------------------------------

describe('every admin use case is refused to a plain worker (and an integrator) with FORBIDDEN', () => {
  type Ctx = Awaited<ReturnType<typeof reReviewWalk>> & { outsider: Worker };
  const cases: [string, (actor: Actor, c: Ctx) => Promise<unknown>][] = [
    ['assignTask', (actor, c) => h.lifecycle.assignTask(actor, { taskId: c.taskId, workerId: c.outsider.workerId })],
    [
      'reassignAssignment',
      (actor, c) => h.lifecycle.reassignAssignment(actor, { assignmentId: c.a.a2, workerId: c.outsider.workerId }),
    ],
    ['completeAndSkipTask', (actor, c) => h.lifecycle.completeAndSkipTask(actor, c.taskId)],
    ['revertTask (dry run)', (actor, c) => h.lifecycle.revertTask(actor, { taskId: c.taskId, iterationId: c.i.i1 })],
    [
      'revertTask (commit)',
      (actor, c) =>
        h.lifecycle.revertTask(actor, { taskId: c.taskId, iterationId: c.i.i1, revertBefore: true, commit: true }),
    ],
    ['createSubsequentTasks', (actor, c) => h.lifecycle.createSubsequentTasks(actor, c.p.id)],
    ['setProjectStatus', (actor, c) => h.lifecycle.setProjectStatus(actor, c.p.id, ProjectStatus.PAUSED)],
    ['rerunMachineStep', (actor, c) => h.lifecycle.rerunMachineStep(actor, c.taskId)],
  ];

  let ctx: Ctx;
  beforeAll(async () => {
    ctx = { ...(await reReviewWalk()), outsider: await worker('outsider', REVIEWER()) };
  });

  it.each(cases)('%s', async (_name, call) => {
    const plain = await worker('plain', REVIEWER());
    const integrator: Actor = { kind: 'integrator', keyId: null };
    for (const actor of [plain, ctx.w1 /* a worker on the task */, integrator]) {
      await expectRefused(h, () => call(actor, ctx), { code: 'FORBIDDEN' });
    }
    expect(await h.projectStatus(ctx.p.id)).toBe(ProjectStatus.ACTIVE);
  });

  it.each(cases)('%s refuses by rejecting its promise, not by throwing', (_name, call) => {
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = call(ctx.outsider, ctx);
    }).not.toThrow();
    return expect(promise).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
