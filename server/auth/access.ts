// Who may see what — asked by every read use case before it answers. Admins and integrators see
// every project; a worker sees the tasks they hold or may claim now, and the data of an assignment
// only while they are on the task: their own level, or a level below theirs (reviewers see the work
// they review). Each check takes the actor and the request's batched reader.
import { isAdmin, seesEverything, type Actor } from '../kernel/actor.js';
import { forbidden, refuse } from '../kernel/errors.js';
import { ProjectStatus, TaskStatus } from '../kernel/status.js';
import { isCertified, roleForLevel } from '../lifecycle/rules.js';
import type { Reader } from '../read/reader.js';
import type { Task, TaskAssignment } from '../tasks/task.entity.js';

export { isAdmin, seesEverything };

/** The actor, or UNAUTHENTICATED for an anonymous caller. */
export function requireActor(actor: Actor | null): Actor {
  if (!actor) throw refuse('NOT_LOGGED_IN');
  return actor;
}

export function requireSeesEverything(actor: Actor | null): Actor {
  const who = requireActor(actor);
  if (!seesEverything(who)) throw forbidden('Only project admins and integrators may do this.');
  return who;
}

/** The logged-in worker's id, or FORBIDDEN for other callers. */
export function requireWorkerActor(actor: Actor | null, what = 'Only workers may do this.'): number {
  const who = requireActor(actor);
  if (who.kind !== 'worker') throw forbidden(what);
  return who.workerId;
}

/** The viewer's live assignment on the task (at any level), if they hold one. */
export async function holdsTask(actor: Actor | null, reader: Reader, taskId: number): Promise<TaskAssignment | null> {
  if (actor?.kind !== 'worker') return null;
  const assignments = await reader.load.assignmentsByTask.load(taskId);
  return assignments.find((a) => a.worker?.id === actor.workerId) ?? null;
}

/** Whether the viewing worker could claim the task now (status, step, project and certification). */
export async function mayClaim(actor: Actor | null, reader: Reader, task: Task): Promise<boolean> {
  if (actor?.kind !== 'worker') return false;
  if (task.status !== TaskStatus.AWAITING_PROCESSING && task.status !== TaskStatus.PENDING_REVIEW) return false;
  const step = reader.catalog.step(task.step.id);
  if (!step.def.isHuman) return false;
  const project = await reader.load.project.load(task.project.id);
  if (!project || project.status !== ProjectStatus.ACTIVE) return false;
  const held = (await reader.load.certificationsByWorker.load(actor.workerId)).map((c) => ({
    certificationId: c.certification.id,
    role: c.role,
    taskClass: c.taskClass,
  }));
  const level = task.status === TaskStatus.AWAITING_PROCESSING ? 0 : 1;
  return isCertified(step.requiredCertificationIds, held, roleForLevel(level), project.taskClass);
}

export async function canSeeTask(actor: Actor | null, reader: Reader, task: Task): Promise<boolean> {
  if (seesEverything(actor)) return true;
  return (await holdsTask(actor, reader, task.id)) !== null || (await mayClaim(actor, reader, task));
}

/** The data of an assignment: to admins/integrators, its own worker, and workers at a higher level of the task. */
export async function canSeeAssignmentData(
  actor: Actor | null,
  reader: Reader,
  assignment: TaskAssignment,
): Promise<boolean> {
  if (seesEverything(actor)) return true;
  const mine = await holdsTask(actor, reader, assignment.task.id);
  return !!mine && mine.level >= assignment.level;
}

/** Whether the viewer may see a project: admins and integrators, and workers with an assignment in it. */
export async function canSeeProject(actor: Actor | null, reader: Reader, projectId: number): Promise<boolean> {
  if (seesEverything(actor)) return true;
  if (actor?.kind !== 'worker') return false;
  const rows = await reader.em.execute<{ n: number }[]>(
    `select count(*)::int as n from task_assignment a join task t on t.id = a.task_id
      where t.project_id = ? and a.worker_id = ? and not a.is_deleted`,
    [projectId, actor.workerId],
  );
  return (rows[0]?.n ?? 0) > 0;
}
