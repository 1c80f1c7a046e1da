// The pool of claimable work, in SQL: human tasks of active projects waiting for a worker
// (AWAITING_PROCESSING) or a reviewer (PENDING_REVIEW) that the worker is certified for in the role
// the status needs (REAL projects need REAL certifications; TRAINING projects take either), and that
// the worker is not on already. The worker's certifications are aggregated once (CTE `held`).
// Parameters are `?` placeholders for em.execute; `in (?)` takes an inlined list (never empty).

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

const IS_CERTIFIED = `s.required_certification_ids <@ (case
         when t.status = 0 then (case when p.task_class = 1 then held.entry_real else held.entry_any end)
         else (case when p.task_class = 1 then held.review_real else held.review_any end) end)`;
const CERTIFIED = `
   and ${IS_CERTIFIED}`;

/**
 * Params: workerId, statuses, workerId. The best task for the worker (no lock). The order — project
 * priority, project start, task start, id — is read from the task's own copies of its project's keys
 * (migration 20261202020000), the order of the partial index `task_waiting_order`, which holds exactly
 * the waiting tasks: the query reads its first rows and stops, whatever the size of the pool.
 */
export const CERTIFIED_TASK_SQL = `${HELD}
select t.id ${WAITING.replace('from task t', 'from held cross join task t')} ${CERTIFIED}
 order by t.priority desc, t.project_start asc, t.start_datetime asc, t.id asc
 limit 1`;

/**
 * The same, locked; a task another worker is claiming right now is passed over, not waited for. Returns
 * the task row's entity columns (requestTask maps it to the entity rather than selecting the row again).
 */
export const NEXT_TASK_SQL = `${CERTIFIED_TASK_SQL.replace(
  'select t.id',
  'select t.id, t.project_id, t.step_id, t.status, t.tags, t.start_datetime, t.updated_at, t.version',
)}
 for update of t skip locked`;

/**
 * Params: workerId, statuses, workerId. How many tasks the worker may claim now, by role, and how many
 * wait that they are not certified for (to tell "not certified" from "nothing to do").
 */
const COUNTS = `count(*) filter (where t.status = 0 and ${IS_CERTIFIED})::int as entry_level,
       count(*) filter (where t.status = 2 and ${IS_CERTIFIED})::int as review,
       count(*) filter (where t.status = 0)::int as waiting_entry_level,
       count(*) filter (where t.status = 2)::int as waiting_review`;
export const COUNT_CLAIMABLE_SQL = `${HELD}
select ${COUNTS}
  ${WAITING.replace('from task t', 'from held cross join task t')}`;

/**
 * Params: workerIds (an array, inlined), statuses. The same counts for many workers in one statement,
 * a row each with `worker_id`: when an event changes what is claimable, every worker watching their
 * counts is recounted at once rather than in a query each (which would queue behind one another).
 */
export const COUNT_CLAIMABLE_MANY_SQL = `
select w.worker_id, c.*
  from unnest(array[?]::int[]) as w(worker_id)
  cross join lateral (select ${HELD_COLUMNS} from worker_certification where worker_id = w.worker_id) held
  cross join lateral (
    select ${COUNTS}
    ${WAITING.replace('a.worker_id = ?', 'a.worker_id = w.worker_id')}
  ) c`;

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
