// Machine steps run as graphile-worker jobs, queued in the transaction that created the task.
// One attempt = (1) a short transaction that takes the task and gathers its inputs, (2) the step's
// function, outside any transaction (it may take long), (3) a transaction that stores the result and
// creates what follows — or, on error, schedules the next attempt with backoff, and after the last
// attempt marks the assignment FAILED with the error kept, for an admin to re-run.
import { run, type Runner } from 'graphile-worker';
import type pg from 'pg';
import { silentLogger } from '../db/database.js';
import { EventType } from '../events/outbox.js';
import { transact, type Engine } from '../lifecycle/context.js';
import { MACHINE_JOB, createSubsequentTasks, queueMachineJob } from '../lifecycle/creation.js';
import { liveAssignments, loadProject, lockProject, lockTask, openIteration, prerequisitesOf } from '../lifecycle/load.js';
import { emitStatusChange } from '../lifecycle/assign.js';
import { AssignmentStatus, IterationStatus, ProjectStatus, TaskStatus } from '../lifecycle/status.js';
import { Iteration, TaskAssignment } from '../tasks/task.entity.js';
import type { JsonObject, MachineFunction, Prerequisites } from '../workflow/definition.js';

export type AttemptOutcome = 'completed' | 'retry_scheduled' | 'failed' | 'skipped';

interface Started {
  run: MachineFunction;
  projectData: JsonObject & { project_id: number };
  prerequisites: Prerequisites;
}

/** Runs one attempt of a machine task. Exported for the job handler and for tests. */
export async function executeMachineStep(engine: Engine, taskId: number): Promise<AttemptOutcome> {
  const started = await transact(engine, async (tx): Promise<Started | null> => {
    const task = await lockTask(tx, taskId);
    const step = engine.catalog.step(task.step.id);
    if (step.def.isHuman || !step.def.run) return null;
    if (task.status === TaskStatus.COMPLETE || task.status === TaskStatus.ABORTED) return null;
    const project = await loadProject(tx, task);
    let assignment = (await liveAssignments(tx, task))[0];
    const now = engine.now();
    if (!assignment) {
      assignment = tx.em.create(TaskAssignment, { task, worker: null, level: 0, startDatetime: now });
      tx.em.create(Iteration, { assignment, startDatetime: now });
      const previous = task.status;
      task.status = TaskStatus.PROCESSING;
      emitStatusChange(tx, task, previous, []);
    } else if (assignment.status !== AssignmentStatus.PROCESSING) {
      return null; // SUBMITTED: done already; FAILED: waits for an admin's re-run
    }
    assignment.attempts += 1;
    return {
      run: step.def.run,
      projectData: { ...project.projectData, project_id: project.id },
      prerequisites: await prerequisitesOf(tx, project, step.def.ancestors),
    };
  });
  if (!started) return 'skipped';

  let result: JsonObject | undefined;
  let failure: string | undefined;
  try {
    const value = await started.run(structuredClone(started.projectData), structuredClone(started.prerequisites));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) failure = 'Machine step must return a JSON object.';
    else result = JSON.parse(JSON.stringify(value)) as JsonObject; // proves it is JSON and detaches it
  } catch (error) {
    failure = error instanceof Error ? error.message || error.name : String(error);
  }

  return transact(engine, async (tx): Promise<AttemptOutcome> => {
    const task = await lockTask(tx, taskId);
    const assignment = (await liveAssignments(tx, task))[0];
    if (!assignment || assignment.status !== AssignmentStatus.PROCESSING) return 'skipped';
    const project = await loadProject(tx, task);
    const step = engine.catalog.step(task.step.id);
    const now = engine.now();

    if (failure !== undefined) {
      assignment.lastError = failure;
      const maxAttempts = step.def.maxAttempts ?? engine.config.machine.maxAttempts;
      if (assignment.attempts < maxAttempts && task.status !== TaskStatus.ABORTED) {
        const delay = engine.config.machine.retryBaseDelayMs * 2 ** (assignment.attempts - 1);
        const runAt = new Date(now.getTime() + delay);
        await queueMachineJob(tx, task.id, runAt);
        tx.emit({ type: EventType.MACHINE_STEP_RETRY_SCHEDULED, projectId: project.id, taskId: task.id, payload: { attempt: assignment.attempts, error: failure, runAt: runAt.toISOString() } });
        return 'retry_scheduled';
      }
      assignment.status = AssignmentStatus.FAILED;
      tx.emit({ type: EventType.MACHINE_STEP_FAILED, projectId: project.id, taskId: task.id, payload: { attempts: assignment.attempts, error: failure, step: step.def.slug } });
      return 'failed';
    }

    assignment.data = result!;
    assignment.status = AssignmentStatus.SUBMITTED;
    assignment.lastError = null;
    const iteration = await openIteration(tx, assignment);
    if (iteration) Object.assign(iteration, { status: IterationStatus.REQUESTED_REVIEW, submittedData: result!, endDatetime: now });
    const previous = task.status;
    if (task.status === TaskStatus.ABORTED || project.status === ProjectStatus.ABORTED) {
      task.status = TaskStatus.ABORTED; // the project ended while the function ran: keep the result, go no further
      if (previous !== task.status) emitStatusChange(tx, task, previous, []);
      return 'completed';
    }
    task.status = TaskStatus.COMPLETE;
    emitStatusChange(tx, task, previous, []);
    tx.emit({ type: EventType.TASK_COMPLETED, projectId: project.id, taskId: task.id, payload: { step: step.def.slug, workerIds: [] } });
    await tx.em.flush();
    await createSubsequentTasks(tx, await lockProject(tx, project.id));
    return 'completed';
  });
}

/** Starts graphile-worker in this process, taking machine-step jobs. */
export async function startMachineRunner(engine: Engine, pool: pg.Pool): Promise<Runner> {
  return run({
    pgPool: pool,
    concurrency: engine.config.machine.concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: silentLogger,
    parsedCronItems: [],
    taskList: {
      [MACHINE_JOB]: async (payload) => {
        const { taskId } = payload as { taskId: number };
        await executeMachineStep(engine, taskId);
      },
    },
  });
}
