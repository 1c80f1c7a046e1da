// Many rows at once, in SQL, for the tests and benchmarks that need a big task table: waiting tasks (a
// project each, priorities and ages spread) and a worker's history of completed tasks. The task's copies
// of its project's order and state come from the triggers, as for every writer.
import type pg from 'pg';
import { AssignmentStatus, ProjectStatus, TaskStatus } from '../../server/kernel/status.js';

/** `count` waiting tasks of a one-step version, each in a project of its own. */
export async function insertWaitingTasks(
  pool: pg.Pool,
  { versionId, stepId, count, label = 'waiting' }: { versionId: number; stepId: number; count: number; label?: string },
): Promise<void> {
  await pool.query(
    `with p as (
       insert into project (version_id, status, short_description, priority, project_data, task_class, start_datetime)
       select $1, ${ProjectStatus.ACTIVE}, $4 || ' ' || g, (g * 7919) % 10, '{}', 1, now() - (g || ' seconds')::interval
         from generate_series(1, $2) g returning id, start_datetime)
     insert into task (project_id, step_id, status, tags, start_datetime, version)
     select p.id, $3, ${TaskStatus.AWAITING_PROCESSING}, '[]', p.start_datetime, 1 from p`,
    [versionId, count, stepId, label],
  );
}

/** `count` completed projects whose one task the worker did (a SUBMITTED assignment each). */
export async function insertCompletedHistory(
  pool: pg.Pool,
  { versionId, stepId, workerId, count }: { versionId: number; stepId: number; workerId: number; count: number },
): Promise<void> {
  await pool.query(
    `with p as (
       insert into project (version_id, status, short_description, priority, project_data, task_class, start_datetime)
       select $1, ${ProjectStatus.COMPLETED}, 'done ' || g, 0, '{}', 1, now() - (g || ' minutes')::interval
         from generate_series(1, $2) g returning id, start_datetime),
     t as (
       insert into task (project_id, step_id, status, tags, start_datetime, version)
       select p.id, $3, ${TaskStatus.COMPLETE}, '[]', p.start_datetime, 3 from p returning id)
     insert into task_assignment (task_id, worker_id, status, level, data, start_datetime, is_deleted, attempts)
     select t.id, $4, ${AssignmentStatus.SUBMITTED}, 0, '{}', now(), false, 0 from t`,
    [versionId, count, stepId, workerId],
  );
}
