// Loading what a use case needs, with the locks it needs. Lock order, everywhere: worker → task(s) →
// project; keeping one order is what keeps concurrent use cases from deadlocking.
import {
  ReferenceKind,
  wrap,
  type EntityClass,
  type EntityDictionary,
  type EntityProperty,
} from '@mikro-orm/postgresql';
import type { JsonObject, Prerequisites } from '../kernel/json.js';
import { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { Worker } from '../workers/worker.entity.js';
import { together, type Statement } from '../db/round-trips.js';
import { prepared, preparable } from '../db/round-trips.js';
import type { Tx } from './transaction.js';
import { notFound, refuse } from '../kernel/errors.js';
import type { HeldCertification } from './rules.js';
import type { AssignmentIds } from './assign.js';
import { nextTaskSql } from './pool.js';
import { AssignmentStatus, IterationStatus, TaskStatus } from '../kernel/status.js';

/**
 * The rows of a plain SELECT as managed entities, exactly as em.find makes them (pending changes of the
 * entity's type flushed first, as FlushMode.AUTO does; rows mapped and merged into the identity map by
 * the entity factory), without MikroORM's query building: on the use cases' hot paths, building the query
 * cost more CPU than sending it (bench/lifecycle.ts). The SQL selects the table's columns (`*`) and
 * applies the entity's filters itself (`not is_deleted` for the `live` filter of assignments and iterations).
 */
async function findBySql<T extends object>(
  tx: Tx,
  entity: EntityClass<T>,
  sql: string,
  params: unknown[],
  options: { refresh?: boolean } = {},
): Promise<T[]> {
  await tx.em.tryFlush(entity, {});
  const rows = preparable(params)
    ? await prepared<EntityDictionary<T>>(tx.em, sql, params)
    : await tx.em.execute<EntityDictionary<T>[]>(sql, params);
  return rows.map((row) => asEntity(tx, entity, row, options));
}

/**
 * One row (a table's columns by name, from a SELECT or from `row_to_json`) as a managed entity, merged
 * into the identity map as em.find would. Timestamps may come as text (JSON): the hydrator parses them.
 */
export function asEntity<T extends object>(
  tx: Tx,
  entity: EntityClass<T>,
  row: EntityDictionary<T>,
  options: { refresh?: boolean } = {},
): T {
  const meta = tx.em.getMetadata().get<T>(entity.name);
  return tx.em.getEntityFactory().create(entity, tx.em.getDriver().mapResult(row, meta)!, {
    merge: true,
    refresh: options.refresh,
    convertCustomTypes: true,
  }) as T;
}

/**
 * An entity's row as its table holds it (every persisted column of its own, a relation by its id, JSON
 * values copied), with `changes` (by column) on top: what a write statement sent with the events and
 * COMMIT leaves, made without its answer. Merged with `refresh`, the entity is clean at those values.
 */
export function rowOf<T extends object>(tx: Tx, entity: T, changes: Record<string, unknown> = {}): EntityDictionary<T> {
  const row: Record<string, unknown> = {};
  for (const p of tx.em.getMetadata().get<T>(entity.constructor.name).props) {
    if (p.persist === false || !p.fieldNames?.length) continue;
    if (p.kind !== ReferenceKind.SCALAR && p.kind !== ReferenceKind.MANY_TO_ONE) continue;
    const value = (entity as Record<string, unknown>)[p.name];
    row[p.fieldNames[0]!] =
      p.kind === ReferenceKind.MANY_TO_ONE
        ? ((value as { id: number } | null)?.id ?? null)
        : value !== null && typeof value === 'object' && !(value instanceof Date)
          ? structuredClone(value)
          : value;
  }
  return { ...row, ...changes } as EntityDictionary<T>;
}

/**
 * The last branch of a write statement's SELECT (`columns` of them): when its CTE `written` wrote no row
 * (the task's version moved under it), orchestra_refuse raises (SQLSTATE OR001, which `transact` turns
 * into CONCURRENT_TASK_CHANGE), and the text the statement went in stops there, so nothing sent with it
 * (the events, COMMIT) runs.
 */
export const refusedUnlessWritten = (written: string, columns: number): string =>
  `union all select ${Array(columns).fill('null').join(', ')}
    where case when exists (select 1 from ${written}) then false else orchestra_refuse('CONCURRENT_TASK_CHANGE') end`;

/**
 * One statement of a use case's load (prepared: `?` placeholders, a fixed number of them) and what its
 * rows become. Loads run alone or several in one round trip (loadTogether).
 */
export interface Load<T> extends Statement {
  read(rows: unknown[]): T;
}

/**
 * Loads sent together, in one round trip (db/round-trips.ts `together`), each statement after the one
 * before and with its own snapshot: a read sent after a lock sees what the lock's last holder
 * committed, as when it waited for the lock's answer. The rows are read in order; a read that throws (a
 * missing row) stops the rest. The caller flushes first what the statements read (flush).
 */
export async function loadTogether<T extends unknown[]>(tx: Tx, ...loads: { [K in keyof T]: Load<T[K]> }): Promise<T> {
  const results = await together(tx.em, loads);
  return loads.map((load, i) => load.read(results[i]!)) as T;
}

/** Pending changes of these entity types written first, as em.find does before it reads (FlushMode.AUTO). */
async function flush(tx: Tx, ...entities: EntityClass<object>[]): Promise<void> {
  for (const entity of entities) await tx.em.tryFlush(entity, {});
}

const taskLock = (tx: Tx, taskId: number): Load<Task> => ({
  sql: 'select * from task where id = ? limit 1 for update',
  params: [taskId],
  read([row]: EntityDictionary<Task>[]) {
    if (!row) throw notFound('Task', taskId);
    return asEntity(tx, Task, row);
  },
});

export async function lockTask(tx: Tx, taskId: number): Promise<Task> {
  await flush(tx, Task);
  const [task] = await loadTogether(tx, taskLock(tx, taskId));
  return task;
}

/** A project's lock: by its id, or the project of a task (after the task's lock: the one order). */
export const projectLock = (tx: Tx, of: { projectId: number } | { taskId: number }): Load<Project> => ({
  sql: `select * from project where id = ${'projectId' in of ? '?' : OF_TASK} limit 1 for update`,
  params: ['projectId' in of ? of.projectId : of.taskId],
  read([row]: EntityDictionary<Project>[]) {
    if (!row) throw notFound('Project', 'projectId' in of ? of.projectId : `of task ${of.taskId}`);
    return asEntity(tx, Project, row, { refresh: true });
  },
});

export async function lockProject(tx: Tx, projectId: number): Promise<Project> {
  await flush(tx, Project);
  const [project] = await loadTogether(tx, projectLock(tx, { projectId }));
  return project;
}

/** The worker columns em.findOne selects: every persisted column but the lazy ones (the password hash). */
let workerColumns: string | undefined;
export function workerColumnList(tx: Pick<Tx, 'em'>, alias?: string): string {
  const owns = (p: EntityProperty) =>
    p.kind === ReferenceKind.SCALAR ||
    p.kind === ReferenceKind.MANY_TO_ONE ||
    (p.kind === ReferenceKind.ONE_TO_ONE && p.owner);
  workerColumns ??= tx.em
    .getMetadata()
    .get(Worker.name)
    .props.filter((p) => owns(p) && !p.lazy && p.persist !== false)
    .flatMap((p) => p.fieldNames)
    .map((f) => `"${f}"`)
    .join(', ');
  return alias ? workerColumns.replace(/(^|, )"/g, `$1${alias}."`) : workerColumns;
}

/**
 * A claim's two locks in one statement, in the one order (worker, then task): the worker's row is
 * locked by the CTE when the task's row is read, before the task's lock is taken (and waited for).
 * Null when either row is missing (the plain locks then say which).
 */
const workerAndTaskLock = (tx: Tx, workerId: number, taskId: number): Load<{ worker: Worker; task: Task } | null> => ({
  sql: `with w as materialized (select ${workerColumnList(tx)} from worker where id = ? for update)
     select (select row_to_json(w) from w) as locked_worker, t.* from task t where t.id = ? for update of t`,
  params: [workerId, taskId],
  read([row]: (EntityDictionary<Task> & { locked_worker: EntityDictionary<Worker> | null })[]) {
    if (!row?.locked_worker) return null;
    const { locked_worker, ...task } = row;
    return { worker: asEntity(tx, Worker, locked_worker), task: asEntity(tx, Task, task as EntityDictionary<Task>) };
  },
});

const workerLock = (tx: Tx, workerId: number): Load<Worker> => ({
  sql: `select ${workerColumnList(tx)} from worker where id = ? limit 1 for update`,
  params: [workerId],
  read([row]: EntityDictionary<Worker>[]) {
    if (!row) throw notFound('Worker', workerId);
    return asEntity(tx, Worker, row);
  },
});

export async function lockWorker(tx: Tx, workerId: number): Promise<Worker> {
  await flush(tx, Worker);
  const [worker] = await loadTogether(tx, workerLock(tx, workerId));
  return worker;
}

export async function findWorker(tx: Tx, where: { id: number } | { username: string }): Promise<Worker> {
  const worker = await tx.em.findOne(Worker, where);
  if (!worker) throw 'id' in where ? notFound('Worker', where.id) : notFound('Worker', where.username, 'username');
  return worker;
}

export async function loadProject(tx: Tx, task: Task): Promise<Project> {
  // Loaded already in this transaction: the identity map has it (as em.findOne would answer).
  if (wrap(task.project).isInitialized()) return task.project;
  const [project] = await findBySql(tx, Project, 'select * from project where id = ? limit 1', [task.project.id]);
  if (!project) throw notFound('Project', task.project.id);
  return project;
}

/** Live assignments of a task, by level. */
export async function liveAssignments(tx: Tx, task: Task): Promise<TaskAssignment[]> {
  return findBySql(
    tx,
    TaskAssignment,
    'select * from task_assignment where task_id = ? and not is_deleted order by level asc',
    [task.id],
  );
}

/** The original's "current assignment": the PROCESSING one, else the highest level, else none. */
export function currentAssignment(assignments: readonly TaskAssignment[]): TaskAssignment | null {
  return (
    assignments.find((a) => a.status === AssignmentStatus.PROCESSING) ?? assignments[assignments.length - 1] ?? null
  );
}

/** The open (PROCESSING) iteration of an assignment. */
export async function openIteration(tx: Tx, assignment: TaskAssignment): Promise<Iteration | null> {
  // The join keeps what the `live` filter of the iteration's assignment did in em.findOne.
  const [iteration] = await findBySql(
    tx,
    Iteration,
    `select i.* from iteration i join task_assignment a on a.id = i.assignment_id and not a.is_deleted
      where i.assignment_id = ? and i.status = ? and not i.is_deleted order by i.start_datetime desc, i.id desc limit 1`,
    [assignment.id, IterationStatus.PROCESSING],
  );
  return iteration ?? null;
}

/** A task's live assignments with the open iteration of each: what a submission and a completion change. */
export interface TaskWork {
  assignments: TaskAssignment[];
  /** The iteration of an assignment that is open now (this transaction's changes included), or null. */
  openIteration(assignment: TaskAssignment): Iteration | null;
  /** Every iteration that was open when loaded (closed since or not): what a completion writes. */
  iterations: Iteration[];
}

const TASK_WORK_SQL = `
select a.*, (select row_to_json(i) from iteration i
              where i.assignment_id = a.id and i.status = ? and not i.is_deleted
              order by i.start_datetime desc, i.id desc limit 1) as open_iteration
  from task_assignment a where a.task_id = ? and not a.is_deleted order by a.level asc`;

/**
 * liveAssignments and each one's openIteration in one statement (the task is locked by the caller, so
 * neither changes under it). Iterations opened later in the transaction are not in it: for the callers
 * that close work (submit, complete), which open none before they look.
 */
const taskWorkLoad = (tx: Tx, taskId: number): Load<TaskWork> => ({
  sql: TASK_WORK_SQL,
  params: [IterationStatus.PROCESSING, taskId],
  read(rows: (EntityDictionary<TaskAssignment> & { open_iteration: EntityDictionary<Iteration> | null })[]) {
    const open = new Map<number, Iteration>();
    const assignments = rows.map(({ open_iteration, ...row }) => {
      const assignment = asEntity(tx, TaskAssignment, row as EntityDictionary<TaskAssignment>);
      if (open_iteration) open.set(assignment.id, asEntity(tx, Iteration, open_iteration));
      return assignment;
    });
    return {
      assignments,
      iterations: [...open.values()],
      openIteration: (a) => {
        const iteration = open.get(a.id);
        return iteration?.status === IterationStatus.PROCESSING ? iteration : null;
      },
    };
  },
});

/** lockTask and taskWork in one round trip: what a submission starts from. */
export async function lockTaskWithWork(tx: Tx, taskId: number): Promise<{ task: Task; work: TaskWork }> {
  await flush(tx, Task, TaskAssignment, Iteration);
  const [task, work] = await loadTogether(tx, taskLock(tx, taskId), taskWorkLoad(tx, taskId));
  return { task, work };
}

/** What completing a task needs besides its work, read before its writes: its project, locked, and tasks. */
export interface CompletionContext {
  project: Project;
  loaded: ProjectTasks;
}

/**
 * lockTaskWithWork, and in the same round trip what a completion needs: the project's lock (after the
 * task's: the one order) and its tasks, read under that lock. For a submission that will most likely
 * complete the task (an accept), so that its writes can go with its events and COMMIT.
 */
export async function lockTaskForCompletion(
  tx: Tx,
  taskId: number,
): Promise<{ task: Task; work: TaskWork; completion: CompletionContext }> {
  await flush(tx, Task, TaskAssignment, Iteration, Project);
  const [task, work, project, loaded] = await loadTogether(
    tx,
    taskLock(tx, taskId),
    taskWorkLoad(tx, taskId),
    projectLock(tx, { taskId }),
    projectTasksLoad(tx, { taskId }),
  );
  return { task, work, completion: { project, loaded } };
}

// The worker's certifications are plain facts for the rules (rules.ts), never changed by the use case
// that reads them: a small raw query, no WorkerCertification entities to hydrate and track.
const HELD_SQL = `select certification_id as "certificationId", role, task_class as "taskClass" from worker_certification where worker_id = ?`;

export async function heldCertifications(tx: Tx, workerId: number): Promise<HeldCertification[]> {
  return prepared<HeldCertification>(tx.em, HELD_SQL, [workerId]);
}

export interface Workload {
  inProgress: number;
  hasReturnedWork: boolean;
}

/** A worker's workload; `worker` is the SQL naming them (a `?` parameter, or a column). */
const workloadSql = (worker: string) =>
  `select count(*) filter (where t.status not in (?, ?)) as in_progress, bool_or(t.status = ?) as returned
       from task_assignment a join task t on t.id = a.task_id
      where a.worker_id = ${worker} and a.status = ? and not a.is_deleted`;
const WORKLOAD_SQL = workloadSql('?');
const STATUS_PARAMS = [TaskStatus.COMPLETE, TaskStatus.ABORTED, TaskStatus.POST_REVIEW_PROCESSING];
const workloadParams = (workerId: number) => [...STATUS_PARAMS, workerId, AssignmentStatus.PROCESSING];
const toWorkload = (row: { in_progress: string | number; returned: boolean | null } | undefined): Workload => ({
  inProgress: Number(row?.in_progress ?? 0),
  hasReturnedWork: row?.returned === true,
});

/** workload() of many workers in one statement (params: workerIds, inlined). */
export async function workloads(tx: Pick<Tx, 'em'>, workerIds: number[]): Promise<Map<number, Workload>> {
  const rows = await tx.em.execute<{ worker_id: number; in_progress: string; returned: boolean | null }[]>(
    `select w.worker_id, l.* from unnest(array[?]::int[]) as w(worker_id)
       cross join lateral (${workloadSql('w.worker_id')}) l`,
    [workerIds, ...STATUS_PARAMS, AssignmentStatus.PROCESSING],
  );
  return new Map(rows.map((r) => [r.worker_id, toWorkload(r)]));
}

/** How much work a worker holds now: tasks in progress and whether returned work waits for them. */
export async function workload(tx: Pick<Tx, 'em'>, workerId: number): Promise<Workload> {
  const [row] = await prepared<{ in_progress: string; returned: boolean | null }>(
    tx.em,
    WORKLOAD_SQL,
    workloadParams(workerId),
  );
  return toWorkload(row);
}

/** What a claim reads once the worker and the task are locked. */
export interface ClaimContext {
  project: Project;
  assignments: TaskAssignment[];
  held: HeldCertification[];
  workload: Workload;
  /** Ids for the assignment and iteration a claim writes (assign.ts writeAssignment); unused when refused. */
  ids: AssignmentIds;
}

/**
 * The task's project and live assignments, the worker's certifications and workload: one statement, by
 * the task's id, read after the locks (so it sees what the last holder of the task's lock committed).
 * Null when there is no such task (or project).
 */
const claimContextLoad = (tx: Tx, taskId: number, workerId: number): Load<ClaimContext | null> => ({
  sql: `select (select row_to_json(p) from project p where p.id = ${OF_TASK}) as project,
            (select coalesce(json_agg(a order by a.level asc), '[]') from task_assignment a
              where a.task_id = ? and not a.is_deleted) as assignments,
            (select coalesce(json_agg(h), '[]') from (${HELD_SQL}) h) as held,
            w.in_progress, w.returned,
            nextval('task_assignment_id_seq')::int as assignment_id, nextval('iteration_id_seq')::int as iteration_id
       from (${WORKLOAD_SQL}) w`,
  params: [taskId, taskId, workerId, ...workloadParams(workerId)],
  read([row]: {
    project: EntityDictionary<Project> | null;
    assignments: EntityDictionary<TaskAssignment>[];
    held: HeldCertification[];
    in_progress: string;
    returned: boolean | null;
    assignment_id: number;
    iteration_id: number;
  }[]) {
    if (!row?.project) return null;
    return {
      project: asEntity(tx, Project, row.project),
      assignments: row.assignments.map((a) => asEntity(tx, TaskAssignment, a)),
      held: row.held,
      workload: toWorkload(row),
      ids: { assignment: row.assignment_id, iteration: row.iteration_id },
    };
  },
});

/** The claim context of a task the caller has locked (next task, an admin's assignment). */
export async function claimContext(tx: Tx, task: Task, workerId: number): Promise<ClaimContext> {
  await flush(tx, TaskAssignment);
  const [context] = await loadTogether(tx, claimContextLoad(tx, task.id, workerId));
  if (!context) throw notFound('Project', task.project.id);
  return context;
}

/**
 * A claim's locks (worker, then task) and its claim context, in one round trip. When a row is missing,
 * the plain locks, one by one, say which, as they always did.
 */
export async function lockForClaim(
  tx: Tx,
  workerId: number,
  taskId: number,
): Promise<{ worker: Worker; task: Task } & ClaimContext> {
  await flush(tx, Task, TaskAssignment);
  const [locked, context] = await loadTogether(
    tx,
    workerAndTaskLock(tx, workerId, taskId),
    claimContextLoad(tx, taskId, workerId),
  );
  if (!locked) {
    const worker = await lockWorker(tx, workerId);
    const task = await lockTask(tx, taskId);
    return { worker, task, ...(await claimContext(tx, task, workerId)) };
  }
  if (!context) throw notFound('Project', locked.task.project.id);
  return { ...locked, ...context };
}

/** heldCertifications and workload in one statement, for a worker taking work themselves (claim, next task). */
const heldAndWorkloadLoad = (workerId: number): Load<{ held: HeldCertification[]; workload: Workload }> => ({
  sql: `select (select coalesce(json_agg(h), '[]') from (${HELD_SQL}) h) as held, w.in_progress, w.returned from (${WORKLOAD_SQL}) w`,
  params: [workerId, ...workloadParams(workerId)],
  read([row]: { held: HeldCertification[]; in_progress: string; returned: boolean | null }[]) {
    return { held: row!.held, workload: toWorkload(row) };
  },
});

export async function heldCertificationsAndWorkload(
  tx: Tx,
  workerId: number,
): Promise<{ held: HeldCertification[]; workload: Workload }> {
  const [result] = await loadTogether(tx, heldAndWorkloadLoad(workerId));
  return result;
}

/**
 * A worker asking for their next task, in one round trip: their lock (one request per worker at a time),
 * their certifications and workload, and after them the best task among `statuses` they may take,
 * locked, tasks others are claiming passed over (pool.ts `nextTaskSql`); null when there is none. The
 * pool's query runs before the caller has checked the workload: a refused request rolls back, and its
 * task's lock goes with it.
 */
export async function lockWorkerForNextTask(
  tx: Tx,
  workerId: number,
  statuses: readonly TaskStatus[],
): Promise<{ worker: Worker; held: HeldCertification[]; workload: Workload; task: Task | null }> {
  await flush(tx, Worker, TaskAssignment, Task);
  const [worker, known, task] = await loadTogether(
    tx,
    workerLock(tx, workerId),
    heldAndWorkloadLoad(workerId),
    nextTaskLoad(tx, workerId, statuses),
  );
  return { worker, ...known, task };
}

const nextTaskLoad = (tx: Tx, workerId: number, statuses: readonly TaskStatus[]): Load<Task | null> => ({
  sql: nextTaskSql(statuses),
  params: [workerId, workerId],
  // The locked task row whole (its entity's columns): mapped to the entity, not selected again.
  read: ([row]: EntityDictionary<Task>[]) => (row ? tx.em.map(Task, row) : null),
});

/** The tasks of a project with their live assignments; `project` is the SQL naming the project. */
const projectTasksSql = (project: string) => `
select t.*, (select coalesce(json_agg(a order by a.level asc), '[]') from task_assignment a
              where a.task_id = t.id and not a.is_deleted) as live_assignments
  from task t where t.project_id = ${project} order by t.id asc`;
/** The project of a task, by the task's id: sent with the task's lock, it needs no answer first. */
const OF_TASK = '(select project_id from task where id = ?)';

export interface ProjectTasks {
  tasks: Task[];
  /** Each task's live assignments, by level. */
  assignments: Map<number, TaskAssignment[]>;
}

/**
 * Every task of a project with its live assignments, in one statement (projects have a handful of
 * tasks): the project by its id, or the project of a task.
 */
export const projectTasksLoad = (tx: Tx, of: { projectId: number } | { taskId: number }): Load<ProjectTasks> => ({
  sql: projectTasksSql('projectId' in of ? '?' : OF_TASK),
  params: ['projectId' in of ? of.projectId : of.taskId],
  read(rows: (EntityDictionary<Task> & { live_assignments: EntityDictionary<TaskAssignment>[] })[]) {
    const assignments = new Map<number, TaskAssignment[]>();
    const tasks = rows.map(({ live_assignments, ...row }) => {
      const task = asEntity(tx, Task, row as EntityDictionary<Task>);
      assignments.set(
        task.id,
        live_assignments.map((a) => asEntity(tx, TaskAssignment, a)),
      );
      return task;
    });
    return { tasks, assignments };
  },
});

export async function projectTasks(tx: Tx, project: Project): Promise<ProjectTasks> {
  await flush(tx, Task, TaskAssignment);
  const [loaded] = await loadTogether(tx, projectTasksLoad(tx, { projectId: project.id }));
  return loaded;
}

/**
 * Prerequisites of a step (spec §3.14): for every step in the transitive closure of its creation
 * dependencies, keyed by slug, the final data of that step's task (its highest-level assignment's data).
 */
export function prerequisitesFrom(
  tx: Tx,
  ancestors: readonly string[],
  tasks: readonly Task[],
  assignments: Map<number, TaskAssignment[]>,
): Prerequisites {
  const bySlug = new Map(tasks.map((t) => [tx.engine.catalog.step(t.step.id).def.slug, t]));
  const result: Prerequisites = {};
  for (const slug of ancestors) {
    const task = bySlug.get(slug);
    if (!task || task.status !== TaskStatus.COMPLETE) throw refuse('DEPENDENCY_NOT_SATISFIED', { step: slug });
    const own = assignments.get(task.id) ?? [];
    result[slug] = (own[own.length - 1]?.data ?? {}) as JsonObject;
  }
  return result;
}

export async function prerequisitesOf(tx: Tx, project: Project, ancestors: readonly string[]): Promise<Prerequisites> {
  if (ancestors.length === 0) return {};
  const { tasks, assignments } = await projectTasks(tx, project);
  return prerequisitesFrom(tx, ancestors, tasks, assignments);
}

/** What a machine step's attempt starts from: its task, locked, the project and the project's tasks. */
export interface MachineContext {
  task: Task;
  project: Project;
  /** The task's live assignments (its machine assignment, once an attempt began). */
  assignments: TaskAssignment[];
  /** The project's tasks, for the step's prerequisites. */
  tasks: ProjectTasks;
}

const projectOfTaskLoad = (tx: Tx, taskId: number): Load<Project> => ({
  sql: `select * from project where id = ${OF_TASK} limit 1`,
  params: [taskId],
  read([row]: EntityDictionary<Project>[]) {
    if (!row) throw notFound('Task', taskId);
    return asEntity(tx, Project, row);
  },
});

/** The task's lock, its project and the project's tasks, in one round trip (the reads after the lock). */
export async function lockForMachineAttempt(tx: Tx, taskId: number): Promise<MachineContext> {
  await flush(tx, Task, TaskAssignment, Project);
  const [task, project, tasks] = await loadTogether(
    tx,
    taskLock(tx, taskId),
    projectOfTaskLoad(tx, taskId),
    projectTasksLoad(tx, { taskId }),
  );
  return { task, project, assignments: tasks.assignments.get(task.id) ?? [], tasks };
}
