// The lifecycle service: every state change of Orchestra is one function here, one transaction
// each, with its permission check first. GraphQL, the compat REST API, the CLI and the machine
// runner only translate their input and call these. Reading this file tells every action there is.
import { LockMode } from '@mikro-orm/postgresql';
import type { JsonObject } from '../workflow/definition.js';
import { EventType } from '../events/outbox.js';
import { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { requireAdmin, requireProjectManager, requireWorker, type Actor } from './actor.js';
import { applyAssignmentPolicy, assignsNobody, assignWorker, emitStatusChange } from './assign.js';
import { transact, type Engine, type Tx } from './context.js';
import { ANY_OPEN_TASK_SQL, CERTIFIED_TASK_SQL, NEXT_TASK_SQL } from './pool.js';
import { createSubsequentTasks, queueMachineJob, setProjectStatus } from './creation.js';
import {
  badInput,
  Messages,
  machineExecutionError,
  noTaskAvailable,
  notFound,
  projectStatusError,
  taskAssignmentError,
  workerCertificationError,
} from './errors.js';
import {
  currentAssignment,
  findWorker,
  heldCertifications,
  heldCertificationsAndWorkload,
  liveAssignments,
  loadProject,
  lockProject,
  lockTask,
  lockWorker,
  openIteration,
} from './load.js';
import {
  checkSubmit,
  checkWorkerMayTakeWork,
  isCertified,
  iterationStatusFor,
  nextTaskStatus,
  planRevert,
  receivingLevel,
  reviewNeeded,
  roleForLevel,
  RevertChange,
  SubmitAction,
} from './rules.js';
import { AssignmentStatus, CertificationRole, IterationStatus, ProjectStatus, TaskClass, TaskStatus } from './status.js';

export interface CreateProjectInput {
  workflowSlug: string;
  versionSlug: string;
  description: string;
  priority?: number;
  taskClass?: TaskClass;
  projectData?: JsonObject;
  scratchpadUrl?: string | null;
}

export interface RevertInput {
  taskId: number;
  iterationId: number;
  revertBefore?: boolean;
  /** false = dry run: report what would change, change nothing. */
  commit?: boolean;
}

export interface RevertAudit {
  taskId: number;
  statusBefore: TaskStatus;
  revertedStatus: TaskStatus;
  committed: boolean;
  assignments: {
    assignmentId: number;
    level: number;
    workerId: number | null;
    change: RevertChange;
    iterations: { iterationId: number; status: IterationStatus; change: RevertChange }[];
  }[];
}

const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireJsonObject(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) throw badInput(`${field} must be a JSON object.`);
  return value;
}

export class LifecycleService {
  constructor(readonly engine: Engine) {}

  private run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return transact(this.engine, fn);
  }

  // ---- projects -------------------------------------------------------------------------

  /** Creates a project of a workflow version with its first tasks (spec §3.10). */
  async createProject(actor: Actor, input: CreateProjectInput): Promise<Project> {
    requireProjectManager(actor);
    const versionId = this.engine.catalog.versionId(input.workflowSlug, input.versionSlug);
    if (versionId === undefined) {
      throw badInput(`Unknown workflow version ${input.workflowSlug}/${input.versionSlug}.`);
    }
    const projectData = requireJsonObject(input.projectData ?? {}, 'projectData');
    if (input.priority !== undefined && !Number.isInteger(input.priority)) throw badInput('priority must be an integer.');
    return this.run(async (tx) => {
      const project = tx.em.create(Project, {
        version: versionId,
        shortDescription: input.description,
        priority: input.priority ?? 0,
        taskClass: input.taskClass ?? TaskClass.REAL,
        projectData,
        scratchpadUrl: input.scratchpadUrl ?? null,
        startDatetime: this.engine.now(),
      });
      await tx.em.flush();
      tx.emit({ type: EventType.PROJECT_CREATED, projectId: project.id, payload: { workflow: input.workflowSlug, version: input.versionSlug, priority: project.priority } });
      await createSubsequentTasks(tx, project, { isNew: true });
      return project;
    });
  }

  /** Admin: creates whatever tasks have become creatable (e.g. after a creation policy's facts changed). */
  async createSubsequentTasks(actor: Actor, projectId: number): Promise<Task[]> {
    requireAdmin(actor);
    return this.run(async (tx) => createSubsequentTasks(tx, await lockProject(tx, projectId)));
  }

  /**
   * Ends (aborts) a project: its open tasks are ABORTED and their open iterations end. Completed
   * tasks keep their status (the original aborted them too).
   */
  async endProject(actor: Actor, projectId: number): Promise<Project> {
    requireProjectManager(actor);
    return this.run(async (tx) => {
      // Lock order: tasks, then the project.
      const tasks = await tx.em.find(Task, { project: projectId }, { orderBy: { id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
      const project = await lockProject(tx, projectId);
      const open = tasks.filter((t) => t.status !== TaskStatus.COMPLETE && t.status !== TaskStatus.ABORTED);
      // Two statements for the whole project, not one per task: its assignments, and their open iterations.
      const assignments = open.length ? await tx.em.find(TaskAssignment, { task: { $in: open.map((t) => t.id) } }, { orderBy: { level: 'asc' } }) : [];
      if (assignments.length) {
        await tx.em.nativeUpdate(
          Iteration,
          { assignment: { $in: assignments.map((a) => a.id) }, status: IterationStatus.PROCESSING, endDatetime: null },
          { endDatetime: this.engine.now() },
        );
      }
      for (const task of open) {
        const previous = task.status;
        task.status = TaskStatus.ABORTED;
        emitStatusChange(tx, task, previous, workerIdsOf(assignments.filter((a) => a.task.id === task.id)));
      }
      await setProjectStatus(tx, project, ProjectStatus.ABORTED);
      return project;
    });
  }

  /** Pause, resume or complete a project by hand (spec §3.15). Task statuses do not change. */
  async setProjectStatus(actor: Actor, projectId: number, status: ProjectStatus): Promise<Project> {
    requireAdmin(actor);
    return this.run(async (tx) => {
      if (status === ProjectStatus.ABORTED) throw projectStatusError(Messages.USE_END_PROJECT);
      if (![ProjectStatus.ACTIVE, ProjectStatus.PAUSED, ProjectStatus.COMPLETED].includes(status)) throw projectStatusError(Messages.INVALID_PROJECT_STATUS);
      const project = await lockProject(tx, projectId);
      if (project.status === ProjectStatus.ABORTED) throw projectStatusError('An ended project cannot change status.');
      await setProjectStatus(tx, project, status);
      return project;
    });
  }

  async pauseProject(actor: Actor, projectId: number): Promise<Project> {
    return this.setProjectStatus(actor, projectId, ProjectStatus.PAUSED);
  }

  async resumeProject(actor: Actor, projectId: number): Promise<Project> {
    return this.setProjectStatus(actor, projectId, ProjectStatus.ACTIVE);
  }

  // ---- workers taking work --------------------------------------------------------------

  /** A worker claims a named task (spec §3.3), within their limits. */
  async claimTask(actor: Actor, taskId: number): Promise<TaskAssignment> {
    const workerId = requireWorker(actor);
    return this.run(async (tx) => {
      const worker = await lockWorker(tx, workerId);
      const task = await lockTask(tx, taskId);
      const project = await loadProject(tx, task);
      if (project.status !== ProjectStatus.ACTIVE) throw projectStatusError(Messages.PROJECT_NOT_ACTIVE);
      return assignWorker(tx, task, project, worker, { enforceLimits: true });
    });
  }

  /**
   * Pull model: gives the worker the best task they may take now — highest project priority, then
   * oldest project, then oldest task — among human tasks of active projects waiting for a worker in a
   * role they are certified for. Tasks being claimed by others are skipped, not waited for.
   */
  async requestTask(actor: Actor, options: { role?: CertificationRole } = {}): Promise<TaskAssignment> {
    const workerId = requireWorker(actor);
    return this.run(async (tx) => {
      const worker = await lockWorker(tx, workerId); // one request per worker at a time: keeps the cap exact
      // The worker's certifications come with the workload (one statement) and serve the claim checks below.
      const { held, workload } = await heldCertificationsAndWorkload(tx, workerId);
      checkWorkerMayTakeWork({ ...workload, maxInProgress: this.engine.config.maxInProgressTasks });
      const statuses =
        options.role === CertificationRole.ENTRY_LEVEL
          ? [TaskStatus.AWAITING_PROCESSING]
          : options.role === CertificationRole.REVIEWER
            ? [TaskStatus.PENDING_REVIEW]
            : [TaskStatus.AWAITING_PROCESSING, TaskStatus.PENDING_REVIEW];
      const [candidate] = await tx.em.execute<({ id: number } & Record<string, unknown>)[]>(NEXT_TASK_SQL, [workerId, statuses, workerId]);
      if (!candidate) {
        // Tasks the worker is certified for may all be locked by concurrent claims (skipped above):
        // that is "no task", not "not certified".
        const [busy] = await tx.em.execute<{ id: number }[]>(CERTIFIED_TASK_SQL, [workerId, statuses, workerId]);
        if (busy) throw noTaskAvailable(Messages.NO_TASK);
        const [any] = await tx.em.execute<{ id: number }[]>(ANY_OPEN_TASK_SQL, [statuses, workerId]);
        throw any ? workerCertificationError(Messages.NO_WORKER_CERTIFICATES) : noTaskAvailable(Messages.NO_TASK);
      }
      // NEXT_TASK_SQL returns the locked task row whole: mapped to the entity, not selected again.
      const task = tx.em.map(Task, candidate);
      const project = await loadProject(tx, task);
      return assignWorker(tx, task, project, worker, { enforceLimits: false /* checked above */, held });
    });
  }

  /** Saves the worker's working copy (spec §3.7). */
  async saveTask(actor: Actor, input: { taskId: number; data: unknown }): Promise<TaskAssignment> {
    const workerId = requireWorker(actor);
    const data = requireJsonObject(input.data, 'data');
    return this.run(async (tx) => {
      const task = await lockTask(tx, input.taskId);
      const mine = (await liveAssignments(tx, task)).find((a) => a.worker?.id === workerId);
      if (!mine) throw taskAssignmentError(Messages.NOT_ASSOCIATED);
      if (mine.status !== AssignmentStatus.PROCESSING || task.status === TaskStatus.ABORTED) throw taskAssignmentError(Messages.NOT_ALLOWED_SAVE);
      mine.data = data;
      return mine;
    });
  }

  /** Submit (level 0) / accept (reviewers) send work up; reject sends it down (spec §3.4–3.5). */
  async submitTask(actor: Actor, input: { taskId: number; data: unknown; action: SubmitAction }): Promise<Task> {
    const workerId = requireWorker(actor);
    const data = requireJsonObject(input.data, 'data');
    if (!Object.values(SubmitAction).includes(input.action)) throw badInput('Illegal command');
    return this.run((tx) => this.submitAs(tx, workerId, input.taskId, data, input.action));
  }

  private async submitAs(tx: Tx, workerId: number, taskId: number, data: JsonObject, action: SubmitAction): Promise<Task> {
    const task = await lockTask(tx, taskId);
    // The project row is read only where it is needed (a reviewer assignment policy; completion locks it):
    // a plain submission needs its id alone, which the task has.
    const projectId = task.project.id;
    const step = this.engine.catalog.step(task.step.id);
    const assignments = await liveAssignments(tx, task);
    const mine = assignments.filter((a) => a.worker?.id === workerId);
    checkSubmit({
      taskStatus: task.status,
      submissionPrerequisitesComplete: await this.submissionPrerequisitesComplete(tx, projectId, step.def.submissionDependsOn),
      workerAssignments: mine,
    });
    const submitter = mine[0]!;
    const next = nextTaskStatus(task.status, action, () => reviewNeeded(step.def.reviewPolicy, assignments.length, this.engine.random));

    const now = this.engine.now();
    submitter.data = data;
    submitter.status = AssignmentStatus.SUBMITTED;
    const iteration = await openIteration(tx, submitter);
    if (iteration) Object.assign(iteration, { status: iterationStatusFor(action), submittedData: data, endDatetime: now });
    const previous = task.status;
    task.status = next;

    const receiving = receivingLevel(next, submitter.level);
    if (receiving !== null) {
      const target = assignments.find((a) => a.level === receiving);
      if (!target) throw taskAssignmentError(`No assignment at level ${receiving} to receive the work.`);
      target.data = structuredClone(data);
      target.status = AssignmentStatus.PROCESSING;
      tx.em.create(Iteration, { assignment: target, startDatetime: now });
    }
    const workerIds = workerIdsOf(assignments);
    tx.emit({
      type: action === SubmitAction.REJECT ? EventType.TASK_RETURNED : EventType.TASK_SUBMITTED,
      projectId,
      taskId: task.id,
      payload: { workerId, level: submitter.level, action, workerIds, toLevel: receiving },
    });
    emitStatusChange(tx, task, previous, workerIds);

    if (next === TaskStatus.PENDING_REVIEW) {
      const policy = step.def.assignmentPolicy.reviewer;
      // anyone_certified (the default) assigns nobody: it needs neither the project row nor a flush here.
      if (!assignsNobody(tx, task, policy)) {
        await tx.em.flush();
        await applyAssignmentPolicy(tx, task, await loadProject(tx, task), policy, assignments.length);
      }
    } else if (next === TaskStatus.COMPLETE) {
      await this.afterCompletion(tx, task, projectId, workerIds);
    }
    return task;
  }

  private async submissionPrerequisitesComplete(tx: Tx, projectId: number, slugs: readonly string[]): Promise<boolean> {
    if (slugs.length === 0) return true;
    const rows = await tx.em.execute<{ n: string }[]>(
      `select count(*) as n from task t join step s on s.id = t.step_id where t.project_id = ? and t.status = ? and s.slug in (?)`, // em.execute inlines an array as a list: `any(?)` breaks
      [projectId, TaskStatus.COMPLETE, slugs as string[]],
    );
    return Number(rows[0]!.n) === new Set(slugs).size;
  }

  /** A task just completed: downstream tasks may now be created, and the project may be done. */
  private async afterCompletion(tx: Tx, task: Task, projectId: number, workerIds: number[]): Promise<void> {
    tx.emit({ type: EventType.TASK_COMPLETED, projectId, taskId: task.id, payload: { step: this.engine.catalog.step(task.step.id).def.slug, workerIds } });
    await tx.em.flush();
    await createSubsequentTasks(tx, await lockProject(tx, projectId));
  }

  // ---- admin ----------------------------------------------------------------------------

  /** Admin assigns a task to a worker: the checks of a claim, without the worker's own limits. */
  async assignTask(actor: Actor, input: { taskId: number; workerId: number }): Promise<TaskAssignment> {
    requireAdmin(actor);
    return this.run(async (tx) => {
      const worker = await findWorker(tx, { id: input.workerId });
      const task = await lockTask(tx, input.taskId);
      return assignWorker(tx, task, await loadProject(tx, task), worker, { enforceLimits: false });
    });
  }

  /** Admin gives an existing assignment to another worker; status, data and iterations stay (spec §3.8). */
  async reassignAssignment(actor: Actor, input: { assignmentId: number; workerId: number }): Promise<TaskAssignment> {
    requireAdmin(actor);
    return this.run(async (tx) => {
      const found = await tx.em.findOne(TaskAssignment, { id: input.assignmentId });
      if (!found) throw notFound('TaskAssignment', input.assignmentId);
      const task = await lockTask(tx, found.task.id);
      const assignment = await tx.em.findOneOrFail(TaskAssignment, { id: input.assignmentId }, { refresh: true });
      const worker = await findWorker(tx, { id: input.workerId });
      const project = await loadProject(tx, task);
      const step = this.engine.catalog.step(task.step.id);
      if (!step.def.isHuman || !isCertified(step.requiredCertificationIds, await heldCertifications(tx, worker.id), roleForLevel(assignment.level), project.taskClass)) {
        throw workerCertificationError(Messages.NOT_CERTIFIED_ASSIGNMENT);
      }
      const assignments = await liveAssignments(tx, task);
      if (assignments.some((a) => a.worker?.id === worker.id)) throw taskAssignmentError(Messages.ALREADY_ASSIGNED);
      const from = assignment.worker?.id ?? null;
      assignment.worker = worker;
      tx.emit({
        type: EventType.TASK_REASSIGNED,
        projectId: project.id,
        taskId: task.id,
        payload: { assignmentId: assignment.id, level: assignment.level, fromWorkerId: from, workerId: worker.id, workerIds: [...workerIdsOf(assignments), ...(from ? [from] : [])] },
      });
      return assignment;
    });
  }

  /**
   * Admin moves a task past its current holder (spec §3.9): a worker's PROCESSING assignment is
   * submitted on their behalf (review may still follow); a task nobody holds (or a machine task) is
   * completed outright. Unlike the original, completing outright also creates the tasks that follow.
   */
  async completeAndSkipTask(actor: Actor, taskId: number): Promise<Task> {
    requireAdmin(actor);
    return this.run(async (tx) => {
      const task = await lockTask(tx, taskId);
      const assignments = await liveAssignments(tx, task);
      const current = currentAssignment(assignments);
      if (current?.worker) {
        if (current.status !== AssignmentStatus.PROCESSING) return task;
        const data = { ...current.data, _orchestra_internal: { complete_and_skip_task: true } };
        return this.submitAs(tx, current.worker.id, task.id, data, SubmitAction.SUBMIT);
      }
      if (task.status === TaskStatus.COMPLETE || task.status === TaskStatus.ABORTED) throw taskAssignmentError(Messages.STATUS_INCOMPATIBLE);
      const previous = task.status;
      task.status = TaskStatus.COMPLETE;
      const now = this.engine.now();
      for (const a of assignments) {
        a.status = AssignmentStatus.SUBMITTED;
        // Close a machine step's open iteration as its own success would (the original left it PROCESSING
        // on a COMPLETE task, against its iteration invariants, spec §3.1).
        const open = await openIteration(tx, a);
        if (open) Object.assign(open, { status: IterationStatus.REQUESTED_REVIEW, submittedData: a.data, endDatetime: now });
      }
      emitStatusChange(tx, task, previous, []);
      await this.afterCompletion(tx, task, task.project.id, []);
      return task;
    });
  }

  /** Admin reverts a task to (or before) one of its iterations; without `commit` it is a dry run (spec §3.16). */
  async revertTask(actor: Actor, input: RevertInput): Promise<RevertAudit> {
    requireAdmin(actor);
    return this.run(async (tx) => {
      const task = await lockTask(tx, input.taskId);
      const assignments = await liveAssignments(tx, task);
      const iterations = assignments.length
        ? await tx.em.find(Iteration, { assignment: { $in: assignments.map((a) => a.id) } }, { orderBy: { startDatetime: 'asc', id: 'asc' } })
        : [];
      if (!iterations.some((i) => i.id === input.iterationId)) throw notFound('Iteration', input.iterationId);
      const plan = planRevert(
        iterations.map((i) => ({ id: i.id, assignmentId: i.assignment.id, status: i.status, start: i.startDatetime })),
        input.iterationId,
        input.revertBefore ?? false,
        task.status,
      );
      const audit: RevertAudit = {
        taskId: task.id,
        statusBefore: task.status,
        revertedStatus: plan.revertedStatus,
        committed: input.commit ?? false,
        assignments: assignments.map((a) => ({
          assignmentId: a.id,
          level: a.level,
          workerId: a.worker?.id ?? null,
          change: plan.assignments.get(a.id) ?? RevertChange.UNCHANGED,
          iterations: iterations
            .filter((i) => i.assignment.id === a.id)
            .map((i) => ({ iterationId: i.id, status: i.status, change: plan.iterations.get(i.id)! })),
        })),
      };
      if (!input.commit) return audit;

      for (const it of iterations) {
        const change = plan.iterations.get(it.id);
        if (change === RevertChange.DELETED) it.isDeleted = true;
        if (change === RevertChange.REVERTED) Object.assign(it, { status: IterationStatus.PROCESSING, endDatetime: null, submittedData: {} });
      }
      for (const a of assignments) {
        const change = plan.assignments.get(a.id);
        if (change === RevertChange.DELETED) a.isDeleted = true;
        if (change === RevertChange.REVERTED) {
          const remaining = iterations.filter((i) => i.assignment.id === a.id && !i.isDeleted);
          a.status = remaining[remaining.length - 1]?.status === IterationStatus.PROCESSING ? AssignmentStatus.PROCESSING : AssignmentStatus.SUBMITTED;
        }
      }
      const previous = task.status;
      task.status = plan.revertedStatus;
      tx.emit({ type: EventType.TASK_REVERTED, projectId: task.project.id, taskId: task.id, payload: { iterationId: input.iterationId, revertBefore: input.revertBefore ?? false, workerIds: workerIdsOf(assignments) } });
      emitStatusChange(tx, task, previous, workerIdsOf(assignments.filter((a) => !a.isDeleted)));
      return audit;
    });
  }

  /** Admin re-runs a machine step whose assignment FAILED after its retries. */
  async rerunMachineStep(actor: Actor, taskId: number): Promise<TaskAssignment> {
    requireAdmin(actor);
    return this.run(async (tx) => {
      const task = await lockTask(tx, taskId);
      if (this.engine.catalog.step(task.step.id).def.isHuman) throw machineExecutionError(Messages.STEP_NOT_MACHINE);
      const assignment = (await liveAssignments(tx, task))[0];
      if (!assignment || assignment.status !== AssignmentStatus.FAILED) throw machineExecutionError(Messages.MACHINE_NOT_FAILED);
      assignment.status = AssignmentStatus.PROCESSING;
      assignment.attempts = 0;
      await queueMachineJob(tx, task.id);
      return assignment;
    });
  }
}

function workerIdsOf(assignments: readonly TaskAssignment[]): number[] {
  return assignments.map((a) => a.worker?.id).filter((id): id is number => id != null);
}
