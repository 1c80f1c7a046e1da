// Real concurrency on the real database (DESIGN "Concurrency by the database"): many workers claiming
// one task, and many workers pulling from a pool at once. Exactly one winner per task, typed errors for
// everyone else, the per-worker cap exact, no deadlock and no untyped (500-style) error.
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, OrchestraError } from '../../server/kernel/errors.js';
import type { TaskAssignment } from '../../server/tasks/task.entity.js';
import { useHarness, type Harness } from '../support/harness.js';
import { claimsWorkflow, poolWorkflow } from '../workflows/fixtures.js';

const MAX_IN_PROGRESS = 3;

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [claimsWorkflow, poolWorkflow], config: { maxInProgressTasks: MAX_IN_PROGRESS } });
});

/** Every rejection, described so that a failure shows what went wrong (untyped errors included). */
function describeRejections(results: PromiseSettledResult<unknown>[]) {
  return results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) =>
      r.reason instanceof OrchestraError
        ? { code: r.reason.code, message: r.reason.message }
        : { untyped: String(r.reason) },
    );
}

describe('50 workers claim one task at once', () => {
  it('exactly one wins; the 49 others get a typed TASK_ASSIGNMENT_ERROR; one assignment is stored', async () => {
    const workers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.worker(`claimer_${i}`, [['claims', 'writer', 'ENTRY_LEVEL']])),
    );
    const project = await h.project('claims', 'write');
    const taskId = await h.taskId(project.id, 'write');

    const started = performance.now();
    const results = await Promise.allSettled(workers.map((w) => h.lifecycle.claimTask(w, taskId)));
    const elapsed = performance.now() - started;

    const fulfilled = results.filter((r): r is PromiseFulfilledResult<TaskAssignment> => r.status === 'fulfilled');
    expect(fulfilled).toHaveLength(1);
    const rejections = describeRejections(results);
    expect(rejections).toHaveLength(49);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OrchestraError);
    }
    expect(new Set(rejections.map((r) => JSON.stringify(r)))).toEqual(
      new Set([
        JSON.stringify({ code: ErrorCode.TASK_ASSIGNMENT_ERROR, message: 'Status incompatible with new assignment' }),
      ]),
    );

    const winner = workers[results.findIndex((r) => r.status === 'fulfilled')]!;
    const { rows } = await h.db.pool.query<{ worker_id: number; level: number; status: number }>(
      'select worker_id, level, status from task_assignment where task_id = $1 and not is_deleted',
      [taskId],
    );
    expect(rows).toEqual([{ worker_id: winner.workerId, level: 0, status: 0 /* PROCESSING */ }]);
    const t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments.map((a) => a.worker)).toEqual([winner.username]);
    expect(t.iterations).toHaveLength(1);
    // One assignment event, not fifty.
    const events = await h.db.pool.query<{ n: string }>(
      `select count(*) as n from domain_event where task_id = $1 and type = 'task.assigned'`,
      [taskId],
    );
    expect(Number(events.rows[0]!.n)).toBe(1);
    console.info(`[races] 50 concurrent claims of one task: ${elapsed.toFixed(0)} ms`);
  });
});

describe('200 concurrent next-task requests from 40 workers over a pool of 100 tasks (cap 3)', () => {
  it('gives each task to at most one worker, keeps every worker within the cap, and hands out all 100 tasks', async () => {
    const WORKERS = 40;
    const REQUESTS_PER_WORKER = 5;
    const PROJECTS = 20; // × 5 parallel steps = 100 tasks
    const TASKS = PROJECTS * 5;

    const workers = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) => h.worker(`puller_${i}`, [['pool', 'member', 'ENTRY_LEVEL']])),
    );
    const projects = await Promise.all(
      Array.from({ length: PROJECTS }, (_, i) => h.project('pool', 'v1', { priority: i % 3 })),
    );
    const projectIds = projects.map((p) => p.id);
    const pool = await h.db.pool.query<{ id: number }>(
      'select id from task where project_id = any($1::int[]) and status = 0',
      [projectIds],
    );
    expect(pool.rows).toHaveLength(TASKS);

    const calls = workers.flatMap((w) =>
      Array.from({ length: REQUESTS_PER_WORKER }, () => ({ w, promise: () => h.lifecycle.requestTask(w) })),
    );
    const started = performance.now();
    const results = await Promise.allSettled(calls.map((c) => c.promise()));
    const elapsed = performance.now() - started;

    // Every rejection is typed: the cap. An answer without a task says why: nothing left to take.
    const allowed = new Set([
      JSON.stringify({ code: ErrorCode.TASK_ASSIGNMENT_ERROR, message: 'Worker assigned to max number of tasks.' }),
    ]);
    const rejections = describeRejections(results);
    expect(rejections.filter((r) => !allowed.has(JSON.stringify(r)))).toEqual([]);
    const empty = results.filter((r) => r.status === 'fulfilled' && r.value.assignment === null);
    expect(empty.every((r) => r.status === 'fulfilled' && r.value.reason === 'NO_TASK_AVAILABLE')).toBe(true);

    // Every success is a distinct task of the pool, and all of them were handed out: min(100, 40 × 3).
    const fulfilled = results.flatMap((r, i) =>
      r.status === 'fulfilled' && r.value.assignment
        ? [{ assignment: r.value.assignment, workerId: calls[i]!.w.workerId }]
        : [],
    );
    const taskIds = fulfilled.map((f) => f.assignment.task.id);
    expect(new Set(taskIds).size).toBe(taskIds.length);
    expect(fulfilled).toHaveLength(Math.min(TASKS, WORKERS * MAX_IN_PROGRESS));
    expect(new Set(taskIds)).toEqual(new Set(pool.rows.map((r) => r.id)));

    // The database agrees: no task has more than one live assignment ...
    const doubled = await h.db.pool.query(
      `select task_id, count(*) as n from task_assignment where not is_deleted and task_id = any($1::int[]) group by task_id having count(*) > 1`,
      [taskIds],
    );
    expect(doubled.rows).toEqual([]);
    const stored = await h.db.pool.query<{ task_id: number; worker_id: number; level: number }>(
      `select a.task_id, a.worker_id, a.level from task_assignment a join task t on t.id = a.task_id
        where not a.is_deleted and t.project_id = any($1::int[]) order by a.task_id`,
      [projectIds],
    );
    expect(stored.rows).toHaveLength(TASKS);
    expect(stored.rows.every((r) => r.level === 0)).toBe(true);
    // ... each stored assignment belongs to the worker whose call returned it ...
    const returnedBy = new Map(fulfilled.map((f) => [f.assignment.task.id, f.workerId]));
    expect(stored.rows.filter((r) => returnedBy.get(r.task_id) !== r.worker_id)).toEqual([]);
    // ... every task of the pool is now PROCESSING ...
    const statuses = await h.db.pool.query<{ status: number; n: string }>(
      'select status, count(*) as n from task where project_id = any($1::int[]) group by status',
      [projectIds],
    );
    expect(statuses.rows.map((r) => [r.status, Number(r.n)])).toEqual([[1 /* PROCESSING */, TASKS]]);
    // ... and no worker holds more than the cap in progress.
    const perWorker = await h.db.pool.query<{ worker_id: number; n: string }>(
      `select a.worker_id, count(*) as n from task_assignment a join task t on t.id = a.task_id
        where not a.is_deleted and a.status = 0 and t.status not in (5, 6) and a.worker_id = any($1::int[]) group by a.worker_id`,
      [workers.map((w) => w.workerId)],
    );
    const overCap = perWorker.rows.filter((r) => Number(r.n) > MAX_IN_PROGRESS);
    expect(overCap).toEqual([]);
    expect(perWorker.rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(TASKS);

    console.info(
      `[races] ${calls.length} concurrent requestTask calls: ${elapsed.toFixed(0)} ms; ${fulfilled.length} assigned, ` +
        `${rejections.filter((r) => 'code' in r && r.code === ErrorCode.TASK_ASSIGNMENT_ERROR).length} at cap, ` +
        `${empty.length} no task`,
    );
  });
});
