// The pool of claimable work, in SQL: human tasks of active projects waiting for a worker
// (AWAITING_PROCESSING) or a reviewer (PENDING_REVIEW) that the worker is certified for in the role
// the status needs (REAL projects need REAL certifications; TRAINING projects take either), and that
// the worker is not on already. The worker's certifications are aggregated once (CTE `held`).
// Parameters are `?` placeholders for em.execute; `in (?)` takes an inlined list (never empty).
import type { TaskStatus } from '../kernel/status.js';

const HELD_COLUMNS = `
    coalesce(array_agg(certification_id) filter (where role = 0 and task_class = 1), '{}') as entry_real,
    coalesce(array_agg(certification_id) filter (where role = 0), '{}') as entry_any,
    coalesce(array_agg(certification_id) filter (where role = 1 and task_class = 1), '{}') as review_real,
    coalesce(array_agg(certification_id) filter (where role = 1), '{}') as review_any`;
const HELD = `
with held as (select ${HELD_COLUMNS} from worker_certification where worker_id = ?)`;

const WAITING = `
  from task t
  join project p on p.id = t.project_id
  join step s on s.id = t.step_id
 where t.status in (?) and p.status = 0 and s.is_human
   and not exists (select 1 from task_assignment a where a.task_id = t.id and a.worker_id = ? and not a.is_deleted)`;

/** The step's certifications are among those the worker holds for the role the status needs. */
const isCertified = (status: string, taskClass: string) => `s.required_certification_ids <@ (case
         when ${status} = 0 then (case when ${taskClass} = 1 then held.entry_real else held.entry_any end)
         else (case when ${taskClass} = 1 then held.review_real else held.review_any end) end)`;
const IS_CERTIFIED = isCertified('t.status', 'p.task_class');
const CERTIFIED = `
   and ${IS_CERTIFIED}`;

/**
 * The best task for the worker (no lock; its `in (?)` of statuses is written in by nextTaskSql). The order — project
 * priority, project start, task start, id — is read from the task's own copies of its project's keys
 * (migration 20261202020000), the order of the partial index `task_waiting_order`, which holds exactly
 * the waiting tasks: the query reads its first rows and stops, whatever the size of the pool.
 */
const CERTIFIED_TASK_SQL = `${HELD}
select t.id ${WAITING.replace('from task t', 'from held cross join task t')} ${CERTIFIED}
 order by t.priority desc, t.project_start asc, t.start_datetime asc, t.id asc
 limit 1`;

/**
 * The same, locked; a task another worker is claiming right now is passed over, not waited for. Returns
 * the task row's entity columns (requestTask maps it to the entity rather than selecting the row again).
 * Params: workerId, workerId. The statuses are written into the text, one text per set of them (three
 * at most): each is a prepared statement, parsed and planned once per connection (planning this query
 * took 0.8 ms, four times its run: bench/pool.ts), and its generic plan still sees the constant
 * `status in (0, 2)` that lets it read the partial index (a parameter would not prove it).
 */
export function nextTaskSql(statuses: readonly TaskStatus[]): string {
  const key = [...new Set(statuses)].sort((a, b) => a - b);
  if (key.length === 0 || key.some((s) => !Number.isInteger(s))) throw new Error('nextTaskSql: statuses');
  let sql = nextTaskTexts.get(key.join());
  if (!sql) {
    sql = `${CERTIFIED_TASK_SQL.replace(
      'select t.id',
      'select t.id, t.project_id, t.step_id, t.status, t.tags, t.start_datetime, t.updated_at, t.version',
    ).replace('t.status in (?)', `t.status in (${key.join(', ')})`)}
 for update of t skip locked`;
    nextTaskTexts.set(key.join(), sql);
  }
  return sql;
}
const nextTaskTexts = new Map<string, string>();

/**
 * The task of each assignment `a`, as `t`, looked up one by one by primary key (`offset 0` keeps the
 * planner from flattening the subquery into a join). As a join, the planner's costs (random reads at four
 * times a sequential one) make it hash-join a seq scan of the whole task table once a worker has a few
 * hundred assignments — 14 ms at 100,000 tasks, growing with the table, while the probes are 1,000 cached
 * index reads. The dashboard's statements read the worker's rows through it.
 */
export const TASK_OF_ASSIGNMENT = 'cross join lateral (select * from task where id = a.task_id offset 0) t';

/**
 * Params: workerIds (an array, inlined), the same again. For each worker, how many tasks they may claim
 * now, by role, and how many wait that they are not certified for (to tell "not certified" from "nothing
 * to do"): a row each with `worker_id`. Many workers in one statement — when an event changes what is
 * claimable, every worker watching their counts is recounted at once. The waiting tasks are counted by
 * (step, status, task class) from the partial index `task_claimable_count` alone (migration
 * 20261202030000: no task or project row is read), the same for every worker; each worker's count is
 * then the groups their certifications cover, less the waiting tasks they are on already.
 */
export const COUNT_CLAIMABLE_MANY_SQL = `
with waiting as (
  select step_id, status, project_task_class as task_class, count(*)::int as n
    from task where status in (0, 2) and project_active
   group by step_id, status, project_task_class),
on_already as (
  select a.worker_id, t.step_id, t.status, t.project_task_class as task_class, count(*)::int as n
    from task_assignment a
    ${TASK_OF_ASSIGNMENT}
   where a.worker_id = any(array[?]::int[]) and not a.is_deleted and t.status in (0, 2) and t.project_active
   group by a.worker_id, t.step_id, t.status, t.project_task_class)
select w.worker_id,
       coalesce(sum(g.free) filter (where g.status = 0 and ${isCertified('g.status', 'g.task_class')}), 0)::int as entry_level,
       coalesce(sum(g.free) filter (where g.status = 2 and ${isCertified('g.status', 'g.task_class')}), 0)::int as review,
       coalesce(sum(g.free) filter (where g.status = 0), 0)::int as waiting_entry_level,
       coalesce(sum(g.free) filter (where g.status = 2), 0)::int as waiting_review
  from unnest(array[?]::int[]) as w(worker_id)
  cross join lateral (select ${HELD_COLUMNS} from worker_certification where worker_id = w.worker_id) held
  cross join lateral (
    -- each waiting group, less the worker's own tasks in it
    select waiting.*, waiting.n - coalesce(o.n, 0) as free
      from waiting
      left join on_already o on o.worker_id = w.worker_id and o.step_id = waiting.step_id
                             and o.status = waiting.status and o.task_class = waiting.task_class) g
  join step s on s.id = g.step_id and s.is_human
 group by w.worker_id`;

/**
 * Params (pg, `$1`): taskId. The workers who may claim the task now (it waits, its project is active, they are
 * certified for the role its status needs and not on it yet) and asked to hear of new tasks: the
 * recipients of "new tasks available". Only workers with a preference row qualify — hearing of new
 * tasks is opt-in.
 */
export const WORKERS_WHO_MAY_CLAIM_SQL = `
select w.id as worker_id
  from task t
  join project p on p.id = t.project_id
  join step s on s.id = t.step_id
  join communication_preference cp on cp.kind = 'NEW_TASKS_AVAILABLE' and (cp.email or cp.slack)
  join worker w on w.id = cp.worker_id and w.is_active
  cross join lateral (select ${HELD_COLUMNS} from worker_certification where worker_id = w.id) held
 where t.id = $1 and t.status in (0, 2) and p.status = 0 and s.is_human
   and not exists (select 1 from task_assignment a where a.task_id = t.id and a.worker_id = w.id and not a.is_deleted)
   and ${IS_CERTIFIED}
 order by w.id`;
