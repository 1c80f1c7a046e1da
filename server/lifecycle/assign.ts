// Giving a task to a worker — by their own claim, by the next-task pull, by an admin or by an
// assignment policy — always goes through `assignWorker`, so the checks of spec §3.3 hold everywhere.
import type { AssignmentPolicy } from '../workflow/definition.js';
import type { JsonObject } from '../kernel/json.js';
import type { Project } from '../projects/project.entity.js';
import type { EntityDictionary } from '@mikro-orm/postgresql';
import { prepared, withCommit } from '../db/round-trips.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { Worker } from '../workers/worker.entity.js';
import type { Tx } from './transaction.js';
import { assignmentPolicyError, OrchestraError, notFound, refuse } from '../kernel/errors.js';
import {
  asEntity,
  currentAssignment,
  heldCertifications,
  heldCertificationsAndWorkload,
  liveAssignments,
  prerequisitesOf,
  refusedUnlessWritten,
  rowOf,
  workload,
  type Workload,
} from './load.js';
import { checkClaim, checkWorkerMayTakeWork, isCertified, type HeldCertification } from './rules.js';
import { AssignmentStatus, IterationStatus, TaskStatus } from '../kernel/status.js';

export interface AssignOptions {
  /** Apply the worker's own limits (cap on work in progress, returned work first): claims, not admins. */
  enforceLimits: boolean;
  /** What the caller read already in this transaction (claimContext, next task): not read again. */
  assignments?: TaskAssignment[];
  held?: HeldCertification[];
  workload?: Workload;
  /** The new rows' ids, drawn with the caller's reads: the write then goes with the events and COMMIT. */
  ids?: AssignmentIds;
}

/** Creates the next assignment of a locked task for a worker (spec §3.3 effects). */
export async function assignWorker(
  tx: Tx,
  task: Task,
  project: Project,
  worker: Worker,
  options: AssignOptions,
): Promise<TaskAssignment> {
  const step = tx.engine.catalog.step(task.step.id);
  const assignments = options.assignments ?? (await liveAssignments(tx, task));
  // A claim needs the worker's certifications and workload: both in one statement. The checks keep
  // their order (claim rules first, then the worker's limits).
  let held: HeldCertification[];
  let load = options.workload;
  if (options.held) held = options.held;
  else if (options.enforceLimits && !load)
    ({ held, workload: load } = await heldCertificationsAndWorkload(tx, worker.id));
  else held = await heldCertifications(tx, worker.id);
  const { level } = checkClaim({
    taskStatus: task.status,
    assignments: assignments.map((a) => ({ level: a.level, workerId: a.worker?.id ?? null })),
    workerId: worker.id,
    certified: (role) => step.def.isHuman && isCertified(step.requiredCertificationIds, held, role, project.taskClass),
  });
  if (options.enforceLimits) {
    checkWorkerMayTakeWork({
      ...(load ?? (await workload(tx, worker.id))),
      maxInProgress: tx.engine.config.maxInProgressTasks,
    });
  }

  const now = tx.engine.now();
  const source = currentAssignment(assignments);
  const previous = task.status;
  const assignment = await writeAssignment(tx, task, {
    workerId: worker.id,
    level,
    data: source?.data ?? {},
    status: level === 0 ? TaskStatus.PROCESSING : TaskStatus.REVIEWING,
    now,
    ids: options.ids,
  });
  const workerIds = [...workerIdsOf(assignments), worker.id];
  tx.emit({
    type: 'task.assigned',
    projectId: project.id,
    taskId: task.id,
    payload: { workerId: worker.id, level, assignmentId: assignment.id, workerIds },
  });
  emitStatusChange(tx, task, previous, workerIds);
  return assignment;
}

/** Ids drawn for an assignment's rows before they are written (`nextval`, with the locks' round trip). */
export interface AssignmentIds {
  assignment: number;
  iteration: number;
}

/**
 * The writes of an assignment, in one statement: the task's new status (its version checked and bumped,
 * as the unit of work does), the assignment and its first iteration. The task must have no unflushed
 * change (every caller has just locked it or flushed). A worker's assignment, or a machine step's (no
 * worker), which starts with its first attempt and that attempt's lease.
 *
 * With the rows' ids drawn already (`values.ids`: a claim's, a next task's), the statement goes with
 * the transaction's events and COMMIT, one round trip fewer: the entities are made from the values it
 * writes (every column of the three rows; `test/lifecycle/prepared-statements.test.ts` compares them
 * with the rows read back), and a task whose version moved makes the statement fail, so that nothing
 * sent with it commits. Without ids, or the first time on a connection (pg prepares it then), it runs
 * now and its rows come back as the entities. Either way the entities are clean: the transaction's
 * final flush has nothing of them to write.
 */
export async function writeAssignment(
  tx: Tx,
  task: Task,
  values: {
    workerId: number | null;
    level: number;
    data: JsonObject;
    status: TaskStatus;
    now: Date;
    machine?: { attempts: number; leaseExpiresAt: Date };
    ids?: AssignmentIds;
  },
): Promise<TaskAssignment> {
  const attempts = values.machine?.attempts ?? 0;
  const leaseExpiresAt = values.machine?.leaseExpiresAt ?? null;
  const params = [
    values.status,
    values.now,
    task.id,
    task.version,
    values.ids?.assignment ?? null,
    values.workerId,
    values.level,
    JSON.stringify(values.data),
    values.now,
    attempts,
    leaseExpiresAt,
    values.ids?.iteration ?? null,
    IterationStatus.PROCESSING,
  ];
  type Written = {
    task: EntityDictionary<Task>;
    assignment: EntityDictionary<TaskAssignment>;
    iteration: EntityDictionary<Iteration>;
  };
  const rows = values.ids
    ? await withCommit<Written>(tx.em, ASSIGN_SQL, params)
    : await prepared<Written>(tx.em, ASSIGN_SQL, params);
  const row: Written = rows
    ? rows[0]!
    : {
        task: rowOf(tx, task, { status: values.status, updated_at: values.now, version: task.version + 1 }),
        assignment: {
          id: values.ids!.assignment,
          task_id: task.id,
          worker_id: values.workerId,
          status: AssignmentStatus.PROCESSING,
          level: values.level,
          data: structuredClone(values.data),
          start_datetime: values.now,
          is_deleted: false,
          attempts,
          last_error: null,
          lease_expires_at: leaseExpiresAt,
        } as EntityDictionary<TaskAssignment>,
        iteration: {
          id: values.ids!.iteration,
          assignment_id: values.ids!.assignment,
          status: IterationStatus.PROCESSING,
          start_datetime: values.now,
          end_datetime: null,
          submitted_data: {},
          is_deleted: false,
          feedback: null,
        } as EntityDictionary<Iteration>,
      };
  asEntity(tx, Task, row.task, { refresh: true });
  const assignment = asEntity(tx, TaskAssignment, row.assignment);
  asEntity(tx, Iteration, row.iteration);
  return assignment;
}

// The ids are the drawn ones, or the sequences' next; the last branch is the version check.
const ASSIGN_SQL = `
with t as (update task set status = ?, updated_at = ?, version = version + 1
            where id = ? and version = ? returning *),
     a as (insert into task_assignment (id, task_id, worker_id, status, level, data, start_datetime, is_deleted, attempts, lease_expires_at)
           select coalesce(?::int, nextval('task_assignment_id_seq')::int), t.id, ?::int, ${AssignmentStatus.PROCESSING}, ?::int, ?::jsonb,
                  ?::timestamptz, false, ?::int, ?::timestamptz from t returning *),
     i as (insert into iteration (id, assignment_id, status, start_datetime, submitted_data, is_deleted)
           select coalesce(?::int, nextval('iteration_id_seq')::int), a.id, ?, a.start_datetime, '{}', false from a returning *)
select row_to_json(t) as task, row_to_json(a) as assignment, row_to_json(i) as iteration from t, a, i
${refusedUnlessWritten('i', 3)}`;

type TaskStatusName = keyof typeof TaskStatus;

export function emitStatusChange(tx: Tx, task: Task, previous: TaskStatus, workerIds: number[]): void {
  tx.emit({
    type: 'task.status_changed',
    projectId: task.project.id,
    taskId: task.id,
    payload: {
      status: TaskStatus[task.status] as TaskStatusName,
      previousStatus: TaskStatus[previous] as TaskStatusName,
      step: tx.engine.catalog.step(task.step.id).def.slug,
      workerIds,
    },
  });
}

/** The workers of some assignments (machine assignments have none). */
export function workerIdsOf(assignments: readonly TaskAssignment[]): number[] {
  return assignments.map((a) => a.worker?.id).filter((id): id is number => id != null);
}

/**
 * Whether applyAssignmentPolicy would assign nobody without looking at anything: machine steps and
 * anyone_certified (the default). Lets a caller skip loading what the policy would need.
 */
export function assignsNobody(tx: Tx, task: Task, policy: AssignmentPolicy): boolean {
  return (
    !tx.engine.catalog.step(task.step.id).def.isHuman ||
    (typeof policy !== 'function' && policy.policy === 'anyone_certified')
  );
}

/**
 * Runs a step's assignment policy for the level a task waits at (entry level when created, the next
 * reviewer when it enters PENDING_REVIEW). Built-in policies follow spec §2.4; a function policy names
 * usernames to try in order. A policy that is malformed or throws fails the whole use case.
 */
export async function applyAssignmentPolicy(
  tx: Tx,
  task: Task,
  project: Project,
  policy: AssignmentPolicy,
  level: number,
): Promise<void> {
  const step = tx.engine.catalog.step(task.step.id);
  if (!step.def.isHuman) return;
  let candidates: string[];
  let mustSucceed = false;
  if (typeof policy === 'function') {
    let answer: string[] | null | undefined;
    try {
      answer = policy({
        projectId: project.id,
        projectData: project.projectData,
        stepSlug: step.def.slug,
        level,
        prerequisites: await prerequisitesOf(tx, project, step.def.ancestors),
      });
    } catch (error) {
      throw assignmentPolicyError(error instanceof Error ? error.message : String(error));
    }
    candidates = answer ?? [];
  } else if (policy.policy === 'anyone_certified') {
    return;
  } else if (policy.policy === 'specified_worker') {
    candidates = [policy.username];
    mustSucceed = true;
  } else if (policy.policy === 'previously_completed_steps') {
    candidates = await previousWorkers(tx, project, policy.relatedSteps);
  } else {
    throw refuse('ASSIGNMENT_POLICY');
  }

  for (const username of candidates) {
    const worker = await tx.em.findOne(Worker, { username });
    try {
      if (!worker) throw notFound('Worker', username, 'username');
      await assignWorker(tx, task, project, worker, { enforceLimits: false });
      return;
    } catch (error) {
      // specified_worker must assign (its errors surface); the other policies try the next candidate.
      if (mustSucceed) throw assignmentPolicyError(error instanceof Error ? error.message : String(error));
      if (!(error instanceof OrchestraError)) throw error;
    }
  }
}

/** Level-0 workers of the given steps' tasks in the project, in the order the steps are listed. */
async function previousWorkers(tx: Tx, project: Project, relatedSteps: readonly string[]): Promise<string[]> {
  const rows = await tx.em.execute<{ slug: string; username: string }[]>(
    `select s.slug, w.username from task t
       join step s on s.id = t.step_id
       join task_assignment a on a.task_id = t.id and a.level = 0 and not a.is_deleted
       join worker w on w.id = a.worker_id
      where t.project_id = ? and s.slug in (?)`, // em.execute inlines an array as a list: `any(?)` breaks (relatedSteps is never empty)
    [project.id, relatedSteps as string[]],
  );
  const bySlug = new Map(rows.map((r) => [r.slug, r.username]));
  return relatedSteps.map((s) => bySlug.get(s)).filter((u): u is string => !!u);
}
