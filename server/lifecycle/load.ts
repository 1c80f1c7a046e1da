// Loading what a use case needs, with the locks it needs. Lock order, everywhere: worker → task(s) →
// project; keeping one order is what keeps concurrent use cases from deadlocking.
import { LockMode } from '@mikro-orm/postgresql';
import type { JsonObject, Prerequisites } from '../workflow/definition.js';
import { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { Worker, WorkerCertification } from '../workers/worker.entity.js';
import type { Tx } from './context.js';
import { Messages, notFound, taskDependencyError } from './errors.js';
import type { HeldCertification } from './rules.js';
import { AssignmentStatus, IterationStatus, TaskStatus } from './status.js';

export async function lockTask(tx: Tx, taskId: number): Promise<Task> {
  const task = await tx.em.findOne(Task, { id: taskId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!task) throw notFound('Task', taskId);
  return task;
}

export async function lockProject(tx: Tx, projectId: number): Promise<Project> {
  const project = await tx.em.findOne(Project, { id: projectId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!project) throw notFound('Project', projectId);
  return project;
}

export async function lockWorker(tx: Tx, workerId: number): Promise<Worker> {
  const worker = await tx.em.findOne(Worker, { id: workerId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!worker) throw notFound('Worker', workerId);
  return worker;
}

export async function findWorker(tx: Tx, where: { id: number } | { username: string }): Promise<Worker> {
  const worker = await tx.em.findOne(Worker, where);
  if (!worker) throw notFound('Worker', 'id' in where ? where.id : where.username);
  return worker;
}

export async function loadProject(tx: Tx, task: Task): Promise<Project> {
  return tx.em.findOneOrFail(Project, { id: task.project.id });
}

/** Live assignments of a task, by level. */
export async function liveAssignments(tx: Tx, task: Task): Promise<TaskAssignment[]> {
  return tx.em.find(TaskAssignment, { task }, { orderBy: { level: 'asc' } });
}

/** The original's "current assignment": the PROCESSING one, else the highest level, else none. */
export function currentAssignment(assignments: readonly TaskAssignment[]): TaskAssignment | null {
  return assignments.find((a) => a.status === AssignmentStatus.PROCESSING) ?? assignments[assignments.length - 1] ?? null;
}

/** The open (PROCESSING) iteration of an assignment. */
export async function openIteration(tx: Tx, assignment: TaskAssignment): Promise<Iteration | null> {
  return tx.em.findOne(Iteration, { assignment, status: IterationStatus.PROCESSING }, { orderBy: { startDatetime: 'desc', id: 'desc' } });
}

export async function heldCertifications(tx: Tx, workerId: number): Promise<HeldCertification[]> {
  const rows = await tx.em.find(WorkerCertification, { worker: workerId });
  return rows.map((r) => ({ certificationId: r.certification.id, role: r.role, taskClass: r.taskClass }));
}

/** How much work a worker holds now: tasks in progress and whether returned work waits for them. */
export async function workload(tx: Tx, workerId: number): Promise<{ inProgress: number; hasReturnedWork: boolean }> {
  const [row] = await tx.em.execute<{ in_progress: string; returned: boolean | null }[]>(
    `select count(*) filter (where t.status not in (?, ?)) as in_progress, bool_or(t.status = ?) as returned
       from task_assignment a join task t on t.id = a.task_id
      where a.worker_id = ? and a.status = ? and not a.is_deleted`,
    [TaskStatus.COMPLETE, TaskStatus.ABORTED, TaskStatus.POST_REVIEW_PROCESSING, workerId, AssignmentStatus.PROCESSING],
  );
  return { inProgress: Number(row?.in_progress ?? 0), hasReturnedWork: row?.returned === true };
}

/** Every task of a project with its live assignments (projects have a handful of tasks: two queries). */
export async function projectTasks(tx: Tx, project: Project): Promise<{ tasks: Task[]; assignments: Map<number, TaskAssignment[]> }> {
  const tasks = await tx.em.find(Task, { project }, { orderBy: { id: 'asc' } });
  const assignments = new Map<number, TaskAssignment[]>(tasks.map((t) => [t.id, []]));
  if (tasks.length) {
    const rows = await tx.em.find(TaskAssignment, { task: { $in: tasks.map((t) => t.id) } }, { orderBy: { level: 'asc' } });
    for (const a of rows) assignments.get(a.task.id)!.push(a);
  }
  return { tasks, assignments };
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
    if (!task || task.status !== TaskStatus.COMPLETE) throw taskDependencyError(Messages.DEPENDENCY_NOT_SATISFIED, { step: slug });
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
