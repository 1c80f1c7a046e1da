// Who may see what. Admins and integrators see every project; a worker sees the tasks they hold or
// may claim now, and the data of an assignment only while they are on the task: their own level, or
// a level below theirs (reviewers see the work they review).
import type { GqlContext } from '../graphql/context.js';
import { isAdmin, type Actor } from '../lifecycle/actor.js';
import { forbidden } from '../lifecycle/errors.js';
import { isCertified, roleForLevel } from '../lifecycle/rules.js';
import { ProjectStatus, TaskStatus } from '../lifecycle/status.js';
import type { Task, TaskAssignment } from '../tasks/task.entity.js';
import { unauthenticated } from './service.js';

export function requireActor(ctx: GqlContext): Actor {
  if (!ctx.actor) throw unauthenticated();
  return ctx.actor;
}

/** Admins and integrator keys: see all projects, tasks and data. */
export function seesEverything(actor: Actor | null): boolean {
  return !!actor && (isAdmin(actor) || actor.kind === 'integrator');
}

export function requireSeesEverything(ctx: GqlContext): Actor {
  const actor = requireActor(ctx);
  if (!seesEverything(actor)) throw forbidden('Only project admins and integrators may do this.');
  return actor;
}

/** Whether the viewer holds a live assignment on the task (at any level). */
export async function holdsTask(ctx: GqlContext, taskId: number): Promise<TaskAssignment | null> {
  if (ctx.actor?.kind !== 'worker') return null;
  const workerId = ctx.actor.workerId;
  const assignments = await ctx.loaders.assignmentsByTask.load(taskId);
  return assignments.find((a) => a.worker?.id === workerId) ?? null;
}

/** Whether the viewing worker could claim the task now (status, step, project and certification). */
export async function mayClaim(ctx: GqlContext, task: Task): Promise<boolean> {
  if (ctx.actor?.kind !== 'worker') return false;
  if (task.status !== TaskStatus.AWAITING_PROCESSING && task.status !== TaskStatus.PENDING_REVIEW) return false;
  const step = ctx.app.engine.catalog.step(task.step.id);
  if (!step.def.isHuman) return false;
  const project = await ctx.loaders.project.load(task.project.id);
  if (!project || project.status !== ProjectStatus.ACTIVE) return false;
  const held = (await ctx.loaders.certificationsByWorker.load(ctx.actor.workerId)).map((c) => ({
    certificationId: c.certification.id,
    role: c.role,
    taskClass: c.taskClass,
  }));
  const level = task.status === TaskStatus.AWAITING_PROCESSING ? 0 : 1;
  return isCertified(step.requiredCertificationIds, held, roleForLevel(level), project.taskClass);
}

export async function canSeeTask(ctx: GqlContext, task: Task): Promise<boolean> {
  if (seesEverything(ctx.actor)) return true;
  return (await holdsTask(ctx, task.id)) !== null || (await mayClaim(ctx, task));
}

/** The data of an assignment: to admins/integrators, its own worker, and workers at a higher level of the task. */
export async function canSeeAssignmentData(ctx: GqlContext, assignment: TaskAssignment): Promise<boolean> {
  if (seesEverything(ctx.actor)) return true;
  const mine = await holdsTask(ctx, assignment.task.id);
  return !!mine && mine.level >= assignment.level;
}
