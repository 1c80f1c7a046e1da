// How a project moves on: a task completes (one helper for a submission, an admin's skip and a
// machine's result), the tasks whose dependencies are now complete are created, and the project
// completes when nothing is left to do (spec §3.10). The caller of createSubsequentTasks holds the
// project's row lock, so two tasks completing at once cannot both miss a join.
import { creationPolicyError } from '../kernel/errors.js';
import type { JsonObject, Prerequisites } from '../kernel/json.js';
import { wrap, type EntityDictionary } from '@mikro-orm/postgresql';
import { withCommit } from '../db/round-trips.js';
import { AssignmentStatus, IterationStatus, ProjectStatus, TaskStatus } from '../kernel/status.js';
import type { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { applyAssignmentPolicy, emitStatusChange, workerIdsOf } from './assign.js';
import {
  asEntity,
  loadTogether,
  openIteration,
  prerequisitesFrom,
  projectLock,
  projectTasks,
  projectTasksLoad,
  refusedUnlessWritten,
  rowOf,
  type CompletionContext,
  type Load,
  type ProjectTasks,
  type TaskWork,
} from './load.js';
import { nothingToFlush, type Tx } from './transaction.js';

export const MACHINE_JOB = 'machine_step';

/** Queues a machine step's job in the caller's transaction: rolled back, it never runs. */
export async function queueMachineJob(tx: Tx, taskId: number, runAt?: Date): Promise<void> {
  await tx.em.execute(
    `select graphile_worker.add_job(?, json_build_object('taskId', ?::int), run_at => ?::timestamptz, job_key => ?, job_key_mode => 'replace')`,
    [MACHINE_JOB, taskId, (runAt ?? tx.engine.now()).toISOString(), `machine:${taskId}`],
  );
}

/**
 * A task is done: every live assignment is SUBMITTED and no iteration stays open (each open one ends
 * as a REQUESTED_REVIEW of its assignment's data), the task is COMPLETE, and what follows is created.
 * A submission closes its own iteration first (with what was submitted); this closes the rest.
 * `work`: the task's open iterations, when the caller loaded them with its assignments (taskWork).
 * `completion`: the project, locked, and its tasks, when the caller loaded them with the task's lock.
 */
export async function completeTask(
  tx: Tx,
  task: Task,
  assignments: readonly TaskAssignment[],
  work?: Pick<TaskWork, 'openIteration' | 'iterations'>,
  completion?: CompletionContext,
): Promise<void> {
  const now = tx.engine.now();
  const iterations = new Set(work?.iterations); // the caller's (a submission closed its own) are written too
  for (const a of assignments) {
    a.status = AssignmentStatus.SUBMITTED; // a FAILED machine step an admin skips is done too
    const open = work ? work.openIteration(a) : await openIteration(tx, a);
    if (open) {
      Object.assign(open, { status: IterationStatus.REQUESTED_REVIEW, submittedData: a.data, endDatetime: now });
      iterations.add(open);
    }
  }
  const previous = task.status;
  task.status = TaskStatus.COMPLETE;
  let project: Project;
  let loaded: ProjectTasks;
  if (completion) {
    // The project's lock and tasks came with the task's lock (lockTaskForCompletion): the tasks hold
    // this one, whose entities are the ones just changed, so the writes can go with the events and
    // COMMIT (or with whatever is sent next: new tasks).
    ({ project, loaded } = completion);
    await writeWork(tx, task, assignments, [...iterations]);
  } else {
    // The writes, the project's lock (the lock order stays task → project) and its tasks, read after
    // the writes, in one round trip. Nothing to flush before the read: the writes leave their rows
    // clean, and the callers change nothing else (writeWork's rule).
    [, project, loaded] = await loadTogether(
      tx,
      workWrite(tx, task, assignments, [...iterations], tx.engine.now()),
      projectLock(tx, { projectId: task.project.id }),
      projectTasksLoad(tx, { projectId: task.project.id }),
    );
  }
  const workerIds = workerIdsOf(assignments);
  emitStatusChange(tx, task, previous, workerIds);
  tx.emit({
    type: 'task.completed',
    projectId: task.project.id,
    taskId: task.id,
    payload: { step: tx.engine.catalog.step(task.step.id).def.slug, workerIds },
  });
  await createSubsequentTasks(tx, project, loaded);
}

/**
 * The writes of a submission or a completion, in one statement: the task's status (its version checked
 * and bumped, as the unit of work does), its assignments' status, data and machine-attempt fields, and
 * the ends of their iterations. A submission's goes with the transaction's events and COMMIT, and the
 * entities, which hold what it writes, are merged back from their own values (`rowOf`); the first time
 * on a connection (pg prepares it then) it runs now and its rows come back as the entities. Either way
 * they are clean, so the final flush has nothing of them to write, and a task whose version moved makes
 * the statement fail, so nothing sent with it commits. The rows must have no unflushed change in any
 * other column (the refresh would drop it): the callers change only these.
 */
export async function writeWork(
  tx: Tx,
  task: Task,
  assignments: readonly TaskAssignment[],
  iterations: readonly Iteration[],
): Promise<void> {
  const now = tx.engine.now();
  const write = workWrite(tx, task, assignments, iterations, now);
  const rows = await withCommit(tx.em, write.sql, write.params);
  if (rows) return write.read(rows);
  asEntity(tx, Task, rowOf(tx, task, { updated_at: now, version: task.version + 1 }), { refresh: true });
  for (const a of assignments) asEntity(tx, TaskAssignment, rowOf(tx, a), { refresh: true });
  for (const i of iterations) asEntity(tx, Iteration, rowOf(tx, i), { refresh: true });
}

const workWrite = (
  tx: Tx,
  task: Task,
  assignments: readonly TaskAssignment[],
  iterations: readonly Iteration[],
  now: Date,
): Load<void> => ({
  sql: WORK_SQL,
  params: [
    task.status,
    now,
    task.id,
    task.version,
    JSON.stringify(
      assignments.map((a) => ({
        id: a.id,
        status: a.status,
        data: a.data,
        last_error: a.lastError,
        lease_expires_at: a.leaseExpiresAt,
      })),
    ),
    JSON.stringify(
      iterations.map((i) => ({
        id: i.id,
        status: i.status,
        submitted_data: i.submittedData,
        end_datetime: i.endDatetime,
        feedback: i.feedback,
      })),
    ),
  ],
  read([row]: {
    task: EntityDictionary<Task>;
    assignments: EntityDictionary<TaskAssignment>[];
    iterations: EntityDictionary<Iteration>[];
  }[]) {
    asEntity(tx, Task, row!.task, { refresh: true });
    for (const a of row!.assignments) asEntity(tx, TaskAssignment, a, { refresh: true });
    for (const i of row!.iterations) asEntity(tx, Iteration, i, { refresh: true });
  },
});

// Every row is updated only when the task's is (`from t`): a moved version changes nothing, and the last
// branch refuses.
const WORK_SQL = `
with t as (update task set status = ?, updated_at = ?, version = version + 1
            where id = ? and version = ? returning *),
     a as (update task_assignment a
              set status = x.status, data = x.data, last_error = x.last_error, lease_expires_at = x.lease_expires_at
             from t, json_to_recordset(?::json)
                  as x(id int, status smallint, data jsonb, last_error text, lease_expires_at timestamptz)
            where a.id = x.id and a.task_id = t.id returning a.*),
     i as (update iteration i
              set status = x.status, submitted_data = x.submitted_data, end_datetime = x.end_datetime, feedback = x.feedback
             from t, json_to_recordset(?::json)
                  as x(id int, status smallint, submitted_data jsonb, end_datetime timestamptz, feedback text)
            where i.id = x.id returning i.*)
select row_to_json(t) as task,
       (select coalesce(json_agg(a), '[]') from a) as assignments,
       (select coalesce(json_agg(i), '[]') from i) as iterations
  from t
${refusedUnlessWritten('t', 3)}`;

/** `loaded`: the project's tasks, when the caller has read them in this transaction (none for a new project). */
export async function createSubsequentTasks(tx: Tx, project: Project, loaded?: ProjectTasks): Promise<Task[]> {
  const { version, stepIds } = tx.engine.catalog.version(project.version.id);
  const { tasks, assignments } = loaded ?? (await projectTasks(tx, project));
  const slugOf = (t: Task) => tx.engine.catalog.step(t.step.id).def.slug;
  const completed = new Set(tasks.filter((t) => t.status === TaskStatus.COMPLETE).map(slugOf));
  const existing = new Set(tasks.map(slugOf));
  let endsProject = false;
  const created: Task[] = [];

  for (const step of version.steps) {
    if (completed.has(step.slug) && step.completionEndsProject) endsProject = true;
    if (existing.has(step.slug) || !step.creationDependsOn.every((d) => completed.has(d))) continue;
    const prerequisites = prerequisitesFrom(tx, step.ancestors, tasks, assignments);
    if (!evaluateCreationPolicy(step.creationPolicy, prerequisites, project.projectData)) continue;
    const task = tx.em.create(Task, {
      project,
      step: stepIds.get(step.slug)!,
      status: TaskStatus.AWAITING_PROCESSING,
      startDatetime: tx.engine.now(),
    });
    created.push(task);
  }
  // The new tasks need their ids for the events below; often there are none (a project's last task,
  // a step waiting for another), and then nothing else is pending either (a pass over every entity).
  if (!nothingToFlush(tx.em)) await tx.em.flush();

  for (const task of created) {
    const step = tx.engine.catalog.step(task.step.id).def;
    tx.emit({
      type: 'task.created',
      projectId: project.id,
      taskId: task.id,
      payload: { step: step.slug, status: TaskStatus[task.status] as 'AWAITING_PROCESSING', isHuman: step.isHuman },
    });
    if (step.isHuman) await applyAssignmentPolicy(tx, task, project, step.assignmentPolicy.entryLevel, 0);
    else await queueMachineJob(tx, task.id);
  }

  const open =
    tasks.some((t) => t.status !== TaskStatus.COMPLETE && t.status !== TaskStatus.ABORTED) || created.length > 0;
  if ((endsProject || !open) && (project.status === ProjectStatus.ACTIVE || project.status === ProjectStatus.PAUSED)) {
    // With no task created here, the live assignments loaded above are all the project has: their workers
    // are those setProjectStatus would select.
    const workerIds = created.length === 0 ? [...new Set(workerIdsOf([...assignments.values()].flat()))] : undefined;
    await setProjectStatus(tx, project, ProjectStatus.COMPLETED, workerIds);
  }
  return created;
}

function evaluateCreationPolicy(policy: unknown, prerequisites: Prerequisites, projectData: JsonObject): boolean {
  try {
    if (typeof policy === 'function') return Boolean(policy(prerequisites, projectData));
    if ((policy as { policy?: string })?.policy === 'always_create') return true;
    throw new Error('Creation policy incorrectly specified.');
  } catch (error) {
    throw creationPolicyError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Changes a project's status; the event names every worker on the project (their dashboards change).
 * `workerIds`: those workers, when the caller has the project's live assignments loaded already.
 */
export async function setProjectStatus(
  tx: Tx,
  project: Project,
  status: ProjectStatus,
  workerIds?: number[],
): Promise<void> {
  const previous = project.status;
  if (previous === status) return;
  const wrapped = wrap(project, true);
  const touched = wrapped.isTouched();
  project.status = status;
  // Written with the events and COMMIT (one round trip), not by the unit of work: its flush built the
  // UPDATE through the query builder and sent it on its own, the one write of an accept that ends a
  // project that did (bench/cycle.ts). The entity's snapshot takes the new status, so the flush finds
  // nothing of it to write; any other change to the project is still the flush's. Sent before any
  // later statement of the transaction, so whatever reads the project afterwards sees the new status.
  // (A project not yet inserted has no snapshot: its INSERT will carry the status.) Untouched before,
  // it is untouched again: the commit then needs no flush (lifecycle/transaction.ts).
  const snapshot = wrapped.__originalEntityData;
  if (snapshot) {
    await withCommit(tx.em, 'update project set status = ? where id = ?', [status, project.id]);
    snapshot.status = status;
    wrapped.__touched = touched;
  }
  workerIds ??= (
    await tx.em.execute<{ worker_id: number }[]>(
      `select distinct a.worker_id from task_assignment a join task t on t.id = a.task_id
        where t.project_id = ? and a.worker_id is not null and not a.is_deleted`,
      [project.id],
    )
  ).map((r) => r.worker_id);
  tx.emit({
    type: 'project.status_changed',
    projectId: project.id,
    payload: {
      status: ProjectStatus[status] as keyof typeof ProjectStatus,
      previousStatus: ProjectStatus[previous] as keyof typeof ProjectStatus,
      workerIds,
    },
  });
}
