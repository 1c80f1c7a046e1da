// Read use cases of tasks: a task, its data as the viewer may see it, its prerequisites, and the
// task overview a worker opens to work (spec §3.19). Each starts with its access check.
import { canSeeAssignmentData, canSeeTask, holdsTask, requireActor } from '../auth/access.js';
import { isAdmin, seesEverything, type Actor } from '../kernel/actor.js';
import { forbidden, notFound, refuse } from '../kernel/errors.js';
import type { JsonObject, Prerequisites } from '../kernel/json.js';
import { AssignmentStatus, TaskStatus } from '../kernel/status.js';
import type { Reader } from '../read/reader.js';
import type { Project } from '../projects/project.entity.js';
import type { Iteration, Task, TaskAssignment } from './task.entity.js';

export interface TaskOverview {
  assignment: TaskAssignment;
  task: Task;
  /** The data of the viewer's own level (for an admin: the highest level's). */
  data: JsonObject;
  prerequisites: Prerequisites;
  isReviewer: boolean;
  isReadOnly: boolean;
  isProjectAdmin: boolean;
}

/** The original's "current assignment": the PROCESSING one, else the highest level, else none. */
export function currentAssignmentOf(assignments: readonly TaskAssignment[]): TaskAssignment | null {
  return (
    assignments.find((a) => a.status === AssignmentStatus.PROCESSING) ?? assignments[assignments.length - 1] ?? null
  );
}

/**
 * Prerequisites of a task (spec §3.14) from the reader: for every upstream step, the final data of its
 * task. Null when an upstream task is not complete (after a revert): there is nothing to show yet.
 */
async function prerequisitesFor(reader: Reader, project: Project, task: Task): Promise<Prerequisites | null> {
  const ancestors = reader.catalog.step(task.step.id).def.ancestors;
  if (ancestors.length === 0) return {};
  const tasks = await reader.load.tasksByProject.load(project.id);
  const bySlug = new Map(tasks.map((t) => [reader.catalog.step(t.step.id).def.slug, t]));
  const result: Prerequisites = {};
  for (const slug of ancestors) {
    const upstream = bySlug.get(slug);
    if (!upstream || upstream.status !== TaskStatus.COMPLETE) return null;
    const own = await reader.load.assignmentsByTask.load(upstream.id);
    result[slug] = own[own.length - 1]?.data ?? {};
  }
  return result;
}

export class TaskQueries {
  /** A task the viewer holds or may claim (admins and integrators: any). */
  async task(actor: Actor | null, reader: Reader, id: number): Promise<Task> {
    requireActor(actor);
    const task = await reader.load.task.load(id);
    if (!task) throw notFound('Task', id);
    if (!(await canSeeTask(actor, reader, task))) throw forbidden('You may not see this task.');
    return task;
  }

  /** The task's live assignments by level (the viewer sees the task already: its assignments are no secret). */
  assignments(reader: Reader, task: Task): Promise<TaskAssignment[]> {
    return reader.load.assignmentsByTask.load(task.id);
  }

  async currentAssignment(reader: Reader, task: Task): Promise<TaskAssignment | null> {
    return currentAssignmentOf(await reader.load.assignmentsByTask.load(task.id));
  }

  /** The current assignment's data, or null when the viewer may not see it. */
  async latestData(actor: Actor | null, reader: Reader, task: Task): Promise<JsonObject | null> {
    const current = await this.currentAssignment(reader, task);
    if (!current || !(await canSeeAssignmentData(actor, reader, current))) return null;
    return current.data;
  }

  /** An assignment's working copy, or null when the viewer may not see it. */
  async assignmentData(actor: Actor | null, reader: Reader, assignment: TaskAssignment): Promise<JsonObject | null> {
    return (await canSeeAssignmentData(actor, reader, assignment)) ? assignment.data : null;
  }

  iterations(reader: Reader, assignment: TaskAssignment): Promise<Iteration[]> {
    return reader.load.iterationsByAssignment.load(assignment.id);
  }

  /** What was sent up or down when the iteration ended: to those who may see its assignment's data. */
  async iterationData(actor: Actor | null, reader: Reader, iteration: Iteration): Promise<JsonObject | null> {
    const assignment = await reader.load.assignment.load(iteration.assignment.id);
    return assignment && (await canSeeAssignmentData(actor, reader, assignment)) ? iteration.submittedData : null;
  }

  /**
   * What the worker said with the work they sent (a reviewer's feedback when returning it): to everyone
   * on the task — the worker who got the work back above all — and to admins and integrators.
   */
  async iterationFeedback(actor: Actor | null, reader: Reader, iteration: Iteration): Promise<string | null> {
    if (iteration.feedback === null) return null;
    const assignment = await reader.load.assignment.load(iteration.assignment.id);
    if (!assignment) return null;
    return seesEverything(actor) || (await holdsTask(actor, reader, assignment.task.id)) ? iteration.feedback : null;
  }

  /** Final data of every upstream step, to the task's workers, admins and integrators (null otherwise, or when upstream is not complete). */
  async prerequisites(actor: Actor | null, reader: Reader, task: Task): Promise<Prerequisites | null> {
    if (!seesEverything(actor) && !(await holdsTask(actor, reader, task.id))) return null;
    const project = await reader.load.project.load(task.project.id);
    return project ? prerequisitesFor(reader, project, task) : null;
  }

  /** A task as the viewer works on it: their level's data and the prerequisites (spec §3.19). */
  async overview(actor: Actor | null, reader: Reader, taskId: number): Promise<TaskOverview> {
    const who = requireActor(actor);
    const task = await reader.load.task.load(taskId);
    if (!task) throw notFound('Task', taskId);
    const assignments = await reader.load.assignmentsByTask.load(task.id);
    const highest = assignments[assignments.length - 1];
    let assignment = who.kind === 'worker' ? assignments.find((a) => a.worker?.id === who.workerId) : undefined;
    let forcedReadOnly = false;
    if (!assignment && seesEverything(who) && highest) {
      assignment = highest;
      forcedReadOnly = true;
    }
    if (!assignment) throw refuse('NOT_ASSOCIATED');
    const project = (await reader.load.project.load(task.project.id))!;
    return {
      assignment,
      task,
      data: assignment.data,
      prerequisites: (await prerequisitesFor(reader, project, task)) ?? {},
      isReviewer: assignment === highest && assignment.level > 0,
      isReadOnly:
        forcedReadOnly || assignment.status !== AssignmentStatus.PROCESSING || task.status === TaskStatus.ABORTED,
      isProjectAdmin: isAdmin(who),
    };
  }

  /** For a subscription to one task: the viewer must hold it (admins and integrators: any task). */
  async requireTaskAccess(actor: Actor | null, reader: Reader, taskId: number): Promise<void> {
    requireActor(actor);
    const task = await reader.load.task.load(taskId);
    if (!task) throw notFound('Task', taskId);
    if (!seesEverything(actor) && !(await holdsTask(actor, reader, taskId)))
      throw forbidden('You may not see this task.');
  }

  /** An event's task, when the viewer holds it (admins and integrators: any). */
  async taskOfEvent(actor: Actor | null, reader: Reader, taskId: number): Promise<Task | null> {
    if (!seesEverything(actor) && !(await holdsTask(actor, reader, taskId))) return null;
    return reader.load.task.load(taskId);
  }
}
