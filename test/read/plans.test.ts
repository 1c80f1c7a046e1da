// Guards on the plans of the reads that grow with the task table: with 100,000 waiting tasks,
// requestTask's query reads the partial index of waiting tasks in pool order (task_waiting_order), the
// dashboard's groups read the worker's own rows (1,000 completed tasks here) and its counts read the
// partial index task_claimable_count alone — none of them scans the task table. A later change of a
// query or an index that would make one read the whole table fails here. (Their speed is measured by
// bench/pool.ts and bench/dashboard.ts, not here.)
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskStatus } from '../../server/kernel/status.js';
import { nextTaskSql } from '../../server/lifecycle/pool.js';
import { DashboardState, SubmitAction } from '../../server/lifecycle/rules.js';
import { insertCompletedHistory, insertWaitingTasks } from '../support/bulk.js';
import { recordOrmStatements } from '../support/sql-count.js';
import { useHarness, type Harness } from '../support/harness.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const WAITING = 100_000;
const COMPLETED = 1_000;
let h: Harness;
let stepId: number;
let versionId: number;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

beforeAll(async () => {
  h = await useHarness({ workflows: [reviewWorkflow] });
  versionId = h.orchestra.catalog.versionId('review', 'v1')!;
  const { rows } = await h.db.pool.query<{ id: number }>(`select id from step where version_id = $1`, [versionId]);
  stepId = rows[0]!.id;
  await insertWaitingTasks(h.db.pool, { versionId, stepId, count: WAITING, label: 'pool' });
  await h.db.pool.query('analyze');
}, 120_000);

/**
 * The plan requestTask's query runs with: a prepared statement's generic plan (the one PostgreSQL keeps
 * once it has run a few times), the worker's id a parameter, the statuses written into the text.
 */
async function planOf(workerId: number, statuses: number[]): Promise<PlanNode[]> {
  const client = await h.db.pool.connect();
  try {
    let n = 0;
    const text = nextTaskSql(statuses).replace(/\?/g, () => `$${++n}`);
    await client.query(`prepare next_task_plan (int, int) as ${text}`);
    await client.query('set plan_cache_mode = force_generic_plan');
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `explain (format json) execute next_task_plan(${Number(workerId)}, ${Number(workerId)})`,
    );
    return nodes(rows[0]!['QUERY PLAN'][0].Plan);
  } finally {
    await client.query('deallocate next_task_plan; reset plan_cache_mode').catch(() => {});
    client.release();
  }
}

describe('the pool at 100,000 waiting tasks', () => {
  it('reads the waiting tasks in index order and never scans the task table', async () => {
    const w = await h.worker('pool_reader', [['review', 'writer', 'ENTRY_LEVEL']]);
    for (const statuses of [
      [TaskStatus.AWAITING_PROCESSING],
      [TaskStatus.AWAITING_PROCESSING, TaskStatus.PENDING_REVIEW],
    ]) {
      const plan = await planOf(w.workerId, statuses);
      expect(plan.filter((n) => n['Relation Name'] === 'task' && n['Node Type'].includes('Seq Scan'))).toEqual([]);
      expect(plan.some((n) => n['Index Name'] === 'task_waiting_order')).toBe(true);
      expect(plan.some((n) => n['Node Type'] === 'Sort')).toBe(false); // the index gives the order
    }
  });

  it('gives the best task first: highest priority, then the oldest project, as the project says', async () => {
    const w = await h.worker('pool_taker', [['review', 'writer', 'ENTRY_LEVEL']]);
    const { rows } = await h.db.pool.query(
      `select t.id from task t join project p on p.id = t.project_id where t.status = 0 and p.status = 0
        order by p.priority desc, p.start_datetime, t.start_datetime, t.id limit 1`,
    );
    const got = await h.lifecycle.requestTask(w);
    expect(got.assignment?.task.id).toBe(rows[0].id);
    // A project created now with a higher priority than any comes first.
    const urgent = await h.project('review', 'v1', { priority: 50 });
    const next = await h.lifecycle.requestTask(await h.worker('pool_taker2', [['review', 'writer', 'ENTRY_LEVEL']]));
    expect(next.assignment?.task.id).toBe(await h.taskId(urgent.id, 'write'));
    await h.lifecycle.submitTask(w, { taskId: got.assignment!.task.id, data: {}, action: SubmitAction.SUBMIT });
  });
});

describe('the dashboard at 100,000 waiting tasks', () => {
  it('reads a worker with 1,000 completed tasks from their own rows, and counts from an index alone', async () => {
    const w = await h.worker('dash_veteran', [['review', 'writer', 'ENTRY_LEVEL']]);
    await insertCompletedHistory(h.db.pool, { versionId, stepId, workerId: w.workerId, count: COMPLETED });
    await h.db.pool.query('vacuum analyze'); // as autovacuum would: a visibility map, so index-only scans are
    const { dashboard } = h.orchestra.reads;
    const reader = h.orchestra.reads.reader();
    const { result, sql } = await recordOrmStatements(async () => {
      const page = await dashboard.group(w, reader, dashboard.dashboard(w), DashboardState.COMPLETE, { first: 10 });
      const counts = await dashboard.availableTaskCounts(w, h.orchestra.reads.reader());
      return { page, counts };
    });
    // What the worker sees is right: their history, and every waiting task (none is theirs).
    expect(result.page.totalCount).toBe(COMPLETED);
    expect(result.page.nodes).toHaveLength(10);
    const { rows } = await h.db.pool.query(`select count(*)::int as n from task where status = 0`);
    expect(result.counts.entryLevel).toBe(rows[0].n);

    const reads = sql.filter((q) => /\b(task|task_assignment)\b/.test(q) && /^\s*(with|select)/i.test(q));
    expect(reads.length).toBeGreaterThanOrEqual(2); // the groups' statement and the counts'
    for (const q of reads) {
      const [row] = await h.db.orm.em
        .fork()
        .execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (format json) ${q}`);
      const plan = nodes(row!['QUERY PLAN'][0].Plan);
      expect(
        plan.filter((n) => n['Relation Name'] === 'task' && n['Node Type'].includes('Seq Scan')),
        q.slice(0, 200),
      ).toEqual([]);
      if (q.includes('project_active'))
        expect(
          plan.some((n) => n['Index Name'] === 'task_claimable_count' && n['Node Type'] === 'Index Only Scan'),
        ).toBe(true);
    }
  });

  it('counts follow their projects: the task of a paused project leaves the counts, and comes back', async () => {
    const w = await h.worker('dash_counter', [['review', 'writer', 'ENTRY_LEVEL']]);
    const counts = () => h.orchestra.reads.dashboard.availableTaskCounts(w, h.orchestra.reads.reader());
    const before = (await counts()).entryLevel;
    const project = await h.project('review', 'v1');
    expect((await counts()).entryLevel).toBe(before + 1);
    await h.orchestra.lifecycle.pauseProject(h.admin, project.id);
    expect((await counts()).entryLevel).toBe(before);
    await h.orchestra.lifecycle.resumeProject(h.admin, project.id);
    expect((await counts()).entryLevel).toBe(before + 1);
  });
});
