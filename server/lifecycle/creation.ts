// Creating the tasks whose dependencies are complete, and completing the project when nothing is
// left to do (spec §3.10). Runs at project creation and after every task completes; the caller holds
// the project's row lock, so two tasks completing at once cannot both miss a join.
import type { JsonObject } from '../workflow/definition.js';
import { EventType } from '../events/outbox.js';
import type { Project } from '../projects/project.entity.js';
import { Task, type TaskAssignment } from '../tasks/task.entity.js';
import { applyAssignmentPolicy } from './assign.js';
import type { Tx } from './context.js';
import { creationPolicyError } from './errors.js';
import { prerequisitesFrom, projectTasks } from './load.js';
import { ProjectStatus, TaskStatus } from './status.js';

export const MACHINE_JOB = 'machine_step';

/** Queues a machine step's job in the caller's transaction: rolled back, it never runs. */
export async function queueMachineJob(tx: Tx, taskId: number, runAt?: Date): Promise<void> {
  await tx.em.execute(`select graphile_worker.add_job(?, json_build_object('taskId', ?::int), run_at => ?::timestamptz)`, [
    MACHINE_JOB,
    taskId,
    (runAt ?? tx.engine.now()).toISOString(),
  ]);
}

export async function createSubsequentTasks(tx: Tx, project: Project, options: { isNew?: boolean } = {}): Promise<Task[]> {
  const { version, stepIds } = tx.engine.catalog.version(project.version.id);
  // A project created in this transaction has no tasks yet: nothing to read.
  const { tasks, assignments } = options.isNew ? { tasks: [], assignments: new Map<number, TaskAssignment[]>() } : await projectTasks(tx, project);
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
    const task = tx.em.create(Task, { project, step: stepIds.get(step.slug)!, status: TaskStatus.AWAITING_PROCESSING, startDatetime: tx.engine.now() });
    created.push(task);
  }
  await tx.em.flush();

  for (const task of created) {
    const step = tx.engine.catalog.step(task.step.id).def;
    tx.emit({ type: EventType.TASK_CREATED, projectId: project.id, taskId: task.id, payload: { step: step.slug, status: TaskStatus[task.status], isHuman: step.isHuman } });
    if (step.isHuman) await applyAssignmentPolicy(tx, task, project, step.assignmentPolicy.entryLevel, 0);
    else await queueMachineJob(tx, task.id);
  }

  const open = tasks.some((t) => t.status !== TaskStatus.COMPLETE && t.status !== TaskStatus.ABORTED) || created.length > 0;
  if ((endsProject || !open) && (project.status === ProjectStatus.ACTIVE || project.status === ProjectStatus.PAUSED)) {
    // With no task created here, the live assignments loaded above are all the project has: their workers
    // are those setProjectStatus would select.
    const workerIds =
      created.length === 0
        ? [...new Set([...assignments.values()].flat().map((a) => a.worker?.id).filter((id): id is number => id != null))]
        : undefined;
    await setProjectStatus(tx, project, ProjectStatus.COMPLETED, workerIds);
  }
  return created;
}

function evaluateCreationPolicy(policy: unknown, prerequisites: Record<string, JsonObject>, projectData: JsonObject): boolean {
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
export async function setProjectStatus(tx: Tx, project: Project, status: ProjectStatus, workerIds?: number[]): Promise<void> {
  const previous = project.status;
  if (previous === status) return;
  project.status = status;
  workerIds ??= (
    await tx.em.execute<{ worker_id: number }[]>(
      `select distinct a.worker_id from task_assignment a join task t on t.id = a.task_id
        where t.project_id = ? and a.worker_id is not null and not a.is_deleted`,
      [project.id],
    )
  ).map((r) => r.worker_id);
  tx.emit({
    type: EventType.PROJECT_STATUS_CHANGED,
    projectId: project.id,
    payload: { status: ProjectStatus[status], previousStatus: ProjectStatus[previous], workerIds },
  });
}
