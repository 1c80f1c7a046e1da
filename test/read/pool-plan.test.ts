// A guard on the pool's query plan: with 100,000 waiting tasks, requestTask's query reads the partial
// index of waiting tasks in pool order (task_waiting_order) and never scans the task table; so a later
// change of the query or the index that would make it read the whole pool fails here. (Its speed is
// measured by bench/pool.ts, not here.)
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskStatus } from '../../server/kernel/status.js';
import { NEXT_TASK_SQL } from '../../server/lifecycle/pool.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { useHarness, type Harness } from '../support/harness.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const WAITING = 100_000;
let h: Harness;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

beforeAll(async () => {
  h = await useHarness({ workflows: [reviewWorkflow] });
  const versionId = h.orchestra.catalog.versionId('review', 'v1')!;
  const { rows } = await h.db.pool.query<{ id: number }>(`select id from step where version_id = $1`, [versionId]);
  await h.db.pool.query(
    `insert into project (version_id, status, short_description, priority, project_data, task_class, start_datetime)
     select $1, 0, 'pool ' || g, g % 10, '{}', 1, now() - (g || ' seconds')::interval from generate_series(1, $2) g`,
    [versionId, WAITING],
  );
  await h.db.pool.query(
    `insert into task (project_id, step_id, status, tags, start_datetime, version)
     select p.id, $1, 0, '[]', p.start_datetime, 1 from project p where p.short_description like 'pool %'`,
    [rows[0]!.id],
  );
  await h.db.pool.query('analyze');
}, 120_000);

async function planOf(workerId: number, statuses: number[]): Promise<PlanNode[]> {
  const [row] = await h.db.orm.em
    .fork()
    .execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (format json) ${NEXT_TASK_SQL}`, [
      workerId,
      statuses,
      workerId,
    ]);
  return nodes(row!['QUERY PLAN'][0].Plan);
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
