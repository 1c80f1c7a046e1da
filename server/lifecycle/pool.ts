// The pool of claimable work, in SQL: human tasks of active projects waiting for a worker
// (AWAITING_PROCESSING) or a reviewer (PENDING_REVIEW) that the worker is certified for in the role
// the status needs (REAL projects need REAL certifications; TRAINING projects take either), and that
// the worker is not on already. The worker's certifications are aggregated once (CTE `held`).
// Parameters are `?` placeholders for em.execute; `in (?)` takes an inlined list (never empty).

const HELD = `
with held as (
  select
    coalesce(array_agg(certification_id) filter (where role = 0 and task_class = 1), '{}') as entry_real,
    coalesce(array_agg(certification_id) filter (where role = 0), '{}') as entry_any,
    coalesce(array_agg(certification_id) filter (where role = 1 and task_class = 1), '{}') as review_real,
    coalesce(array_agg(certification_id) filter (where role = 1), '{}') as review_any
  from worker_certification where worker_id = ?
)`;

const WAITING = `
  from task t
  join project p on p.id = t.project_id
  join step s on s.id = t.step_id
 where t.status in (?) and p.status = 0 and s.is_human
   and not exists (select 1 from task_assignment a where a.task_id = t.id and a.worker_id = ? and not a.is_deleted)`;

const CERTIFIED = `
   and s.required_certification_ids <@ (case
         when t.status = 0 then (case when p.task_class = 1 then held.entry_real else held.entry_any end)
         else (case when p.task_class = 1 then held.review_real else held.review_any end) end)`;

/** Params: workerId, statuses, workerId. The best task for the worker (no lock). */
export const CERTIFIED_TASK_SQL = `${HELD}
select t.id ${WAITING.replace('from task t', 'from held cross join task t')} ${CERTIFIED}
 order by p.priority desc, p.start_datetime asc, t.start_datetime asc, t.id asc
 limit 1`;

/**
 * The same, locked; a task another worker is claiming right now is passed over, not waited for. Returns
 * the whole task row (requestTask maps it to the entity rather than selecting the row again).
 */
export const NEXT_TASK_SQL = `${CERTIFIED_TASK_SQL.replace('select t.id', 'select t.*')}
 for update of t skip locked`;

/** Params: statuses, workerId. Whether anything waits at all (to tell "not certified" from "nothing to do"). */
export const ANY_OPEN_TASK_SQL = `select t.id ${WAITING} limit 1`;

/** Params: workerId, statuses, workerId. How many tasks the worker may claim now, by role. */
export const COUNT_CLAIMABLE_SQL = `${HELD}
select count(*) filter (where t.status = 0)::int as entry_level, count(*) filter (where t.status = 2)::int as review
  ${WAITING.replace('from task t', 'from held cross join task t')} ${CERTIFIED}`;
