// The lifecycle service: every state change of Orchestra is one function here, one transaction
// each, with its permission check first. GraphQL, the compat REST API, the CLI and the job runner
// only translate their input and call these. Reading this file tells every action there is.
import { LockMode } from '@mikro-orm/postgresql';
import { requireAdmin, requireProjectManager, requireSystem, requireWorker, type Actor } from '../kernel/actor.js';
import { badInput, notFound, Reason, refuse } from '../kernel/errors.js';
import { isJsonObject, type JsonObject, type Prerequisites } from '../kernel/json.js';
import {
  AssignmentStatus,
  CertificationRole,
  IterationStatus,
  ProjectStatus,
  TaskClass,
  TaskStatus,
} from '../kernel/status.js';
import { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import type { MachineFunction } from '../workflow/definition.js';
import { checkFormData, formOf } from '../workflow/form.js';
import {
  applyAssignmentPolicy,
  assignsNobody,
  assignWorker,
  emitStatusChange,
  workerIdsOf,
  writeAssignment,
} from './assign.js';
import {
  currentAssignment,
  findWorker,
  heldCertifications,
  liveAssignments,
  loadProject,
  lockForClaim,
  lockForMachineAttempt,
  lockProject,
  lockTask,
  lockTaskForCompletion,
  lockTaskWithWork,
  lockWorkerForNextTask,
  prerequisitesFrom,
  claimContext,
  type TaskWork,
} from './load.js';
import { completeTask, createSubsequentTasks, queueMachineJob, setProjectStatus, writeWork } from './progress.js';
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
import { transact, type Engine, type Tx } from './transaction.js';

export interface CreateProjectInput {
  workflowSlug: string;
  versionSlug: string;
  description: string;
  priority?: number;
  taskClass?: TaskClass;
  projectData?: JsonObject;
  scratchpadUrl?: string | null;
  /** The project's own Slack incoming webhook (else its workflow's, if configured). */
  slackWebhookUrl?: string | null;
}

/** A worker named by an admin or integrator: by id or by username (exactly one). */
export interface WorkerRef {
  workerId?: number | null;
  username?: string | null;
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

/** Why requestTask gave no task (while the worker may take work: their limits are refusals). */
export enum NoTaskReason {
  /** No waiting task that the worker is certified for and not on already (or all are being claimed right now). */
  NO_TASK_AVAILABLE = 'NO_TASK_AVAILABLE',
}

/** What requestTask answers: the new assignment, or none and why ("nothing to do" is not an error). */
export type RequestTaskResult =
  { assignment: TaskAssignment; reason: null } | { assignment: null; reason: NoTaskReason };

/** One attempt of a machine step, taken: what its function runs with. */
export interface MachineAttempt {
  taskId: number;
  projectId: number;
  stepSlug: string;
  attempt: number;
  run: MachineFunction;
  timeoutMs: number;
  /** The attempt's lease: renew it well within this (ms) while the function runs. */
  leaseMs: number;
  projectData: JsonObject & { project_id: number };
  prerequisites: Prerequisites;
}

export type MachineOutcome = 'completed' | 'retry_scheduled' | 'failed' | 'skipped';

/** Longest feedback a reviewer may give with a submission. */
export const MAX_FEEDBACK_LENGTH = 20_000;

/** Largest task data or project data, as JSON. */
export const MAX_DATA_BYTES = 256 * 1024;
export const MAX_DESCRIPTION_LENGTH = 10_000;
const MAX_SLUG_LENGTH = 200;

function requireJsonObject(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) throw badInput(`${field} must be a JSON object.`);
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_DATA_BYTES)
    throw badInput(
      `${field} is ${bytes} bytes of JSON; at most ${MAX_DATA_BYTES} are allowed.`,
      { max: MAX_DATA_BYTES },
      Reason.TOO_LARGE,
    );
  return value;
}

function requireText(value: string | null | undefined, field: string, max: number): void {
  if (value != null && value.length > max)
    throw badInput(`${field} must have at most ${max} characters.`, { max }, Reason.TOO_LARGE);
}

/** A web address as Orchestra stores one: http or https, at most 2,048 characters. */
function requireUrl(value: string | null | undefined, field: string): void {
  if (value == null || value === '') return;
  requireText(value, field, 2_048);
  let ok: boolean;
  try {
    ok = ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw badInput(`${field} must be an http or https address.`);
}

function workerWhere(ref: WorkerRef): { id: number } | { username: string } {
  const byId = ref.workerId != null;
  const byName = ref.username != null;
  if (byId === byName) throw badInput('Name the worker by workerId or by username (one of them).');
  return byId ? { id: ref.workerId! } : { username: ref.username! };
}

export class LifecycleService {
  constructor(readonly engine: Engine) {}

  private run<T>(actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return transact(this.engine, actor, fn);
  }

  // ---- projects -------------------------------------------------------------------------

  /** Creates a project of a workflow version with its first tasks (spec §3.10). */
  async createProject(actor: Actor, input: CreateProjectInput): Promise<Project> {
    requireProjectManager(actor);
    requireText(input.workflowSlug, 'workflowSlug', MAX_SLUG_LENGTH);
    requireText(input.versionSlug, 'versionSlug', MAX_SLUG_LENGTH);
    requireText(input.description, 'description', MAX_DESCRIPTION_LENGTH);
    requireUrl(input.scratchpadUrl, 'scratchpadUrl');
    requireUrl(input.slackWebhookUrl, 'slackWebhookUrl');
    const versionId = this.engine.catalog.versionId(input.workflowSlug, input.versionSlug);
    if (versionId === undefined)
      throw notFound('WorkflowVersion', `${input.workflowSlug}/${input.versionSlug}`, 'slug');
    const projectData = requireJsonObject(input.projectData ?? {}, 'projectData');
    if (input.priority !== undefined && !Number.isInteger(input.priority))
      throw badInput('priority must be an integer.');
    return this.run(actor, async (tx) => {
      const project = tx.em.create(Project, {
        version: versionId,
        shortDescription: input.description,
        priority: input.priority ?? 0,
        taskClass: input.taskClass ?? TaskClass.REAL,
        projectData,
        scratchpadUrl: input.scratchpadUrl ?? null,
        slackWebhookUrl: input.slackWebhookUrl || null,
        startDatetime: this.engine.now(),
      });
      await tx.em.flush();
      tx.emit({
        type: 'project.created',
        projectId: project.id,
        payload: { workflow: input.workflowSlug, version: input.versionSlug, priority: project.priority },
      });
      // Created in this transaction: it has no tasks yet, nothing to read.
      await createSubsequentTasks(tx, project, { tasks: [], assignments: new Map() });
      return project;
    });
  }

  /** Admin: creates whatever tasks have become creatable (e.g. after a creation policy's facts changed). */
  async createSubsequentTasks(actor: Actor, projectId: number): Promise<Task[]> {
    requireAdmin(actor);
    return this.run(actor, async (tx) => createSubsequentTasks(tx, await lockProject(tx, projectId)));
  }

  /**
   * Ends (aborts) a project: its open tasks are ABORTED, their open iterations end and their live
   * assignments stop being PROCESSING (ABORTED). Completed tasks keep their status (the original
   * aborted them too).
   */
  async endProject(actor: Actor, projectId: number): Promise<Project> {
    requireProjectManager(actor);
    return this.run(actor, async (tx) => {
      // Lock order: tasks, then the project.
      const tasks = await tx.em.find(
        Task,
        { project: projectId },
        { orderBy: { id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      const project = await lockProject(tx, projectId);
      const open = tasks.filter((t) => t.status !== TaskStatus.COMPLETE && t.status !== TaskStatus.ABORTED);
      // Two statements for the whole project, not one per task: its assignments, and their open iterations.
      const assignments = open.length
        ? await tx.em.find(TaskAssignment, { task: { $in: open.map((t) => t.id) } }, { orderBy: { level: 'asc' } })
        : [];
      if (assignments.length) {
        await tx.em.nativeUpdate(
          Iteration,
          { assignment: { $in: assignments.map((a) => a.id) }, status: IterationStatus.PROCESSING, endDatetime: null },
          { endDatetime: this.engine.now() },
        );
      }
      for (const a of assignments) if (a.status === AssignmentStatus.PROCESSING) a.status = AssignmentStatus.ABORTED;
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
    if (status === ProjectStatus.ABORTED) throw refuse('USE_END_PROJECT');
    if (![ProjectStatus.ACTIVE, ProjectStatus.PAUSED, ProjectStatus.COMPLETED].includes(status))
      throw refuse('INVALID_PROJECT_STATUS');
    return this.run(actor, async (tx) => {
      const project = await lockProject(tx, projectId);
      if (project.status === ProjectStatus.ABORTED) throw refuse('PROJECT_ENDED');
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
    return this.run(actor, async (tx) => {
      const { worker, task, project, ...known } = await lockForClaim(tx, workerId, taskId);
      requireActive(project);
      return assignWorker(tx, task, project, worker, { enforceLimits: true, ...known });
    });
  }

  /**
   * Pull model: gives the worker the best task they may take now — highest project priority, then
   * oldest project, then oldest task — among human tasks of active projects waiting for a worker in a
   * role they are certified for. Tasks being claimed by others are skipped, not waited for. When there
   * is none, the answer says so (NO_TASK_AVAILABLE); the worker's own limits are refusals.
   */
  async requestTask(actor: Actor, options: { role?: CertificationRole } = {}): Promise<RequestTaskResult> {
    const workerId = requireWorker(actor);
    return this.run(actor, async (tx) => {
      const statuses =
        options.role === CertificationRole.ENTRY_LEVEL
          ? [TaskStatus.AWAITING_PROCESSING]
          : options.role === CertificationRole.REVIEWER
            ? [TaskStatus.PENDING_REVIEW]
            : [TaskStatus.AWAITING_PROCESSING, TaskStatus.PENDING_REVIEW];
      // The worker's lock (one request per worker at a time: keeps the cap exact), with their
      // certifications and workload, which serve the claim checks below, and the best task for them.
      const { worker, held, workload, task } = await lockWorkerForNextTask(tx, workerId, statuses);
      checkWorkerMayTakeWork({ ...workload, maxInProgress: this.engine.config.maxInProgressTasks });
      // Tasks the worker is not certified for are no candidates; tasks others are claiming right now are
      // skipped. Either way there is nothing for this worker now.
      if (!task) return { assignment: null, reason: NoTaskReason.NO_TASK_AVAILABLE };
      const { project, assignments, ids } = await claimContext(tx, task, workerId);
      return {
        assignment: await assignWorker(tx, task, project, worker, {
          enforceLimits: false /* checked above */,
          held,
          assignments,
          ids,
        }),
        reason: null,
      };
    });
  }

  /** Saves the worker's working copy (spec §3.7). */
  async saveTask(actor: Actor, input: { taskId: number; data: unknown }): Promise<TaskAssignment> {
    const workerId = requireWorker(actor);
    const data = requireJsonObject(input.data, 'data');
    return this.run(actor, async (tx) => {
      const task = await lockTask(tx, input.taskId);
      const mine = (await liveAssignments(tx, task)).find((a) => a.worker?.id === workerId);
      if (!mine) throw refuse('NOT_ASSOCIATED');
      if (mine.status !== AssignmentStatus.PROCESSING || task.status === TaskStatus.ABORTED)
        throw refuse('NOT_ALLOWED_SAVE');
      mine.data = data;
      return mine;
    });
  }

  /**
   * Submit (level 0) / accept (reviewers) send work up; reject sends it down (spec §3.4–3.5). A reviewer
   * may add feedback for the worker below (kept with their iteration, shown in the task's history).
   */
  async submitTask(
    actor: Actor,
    input: { taskId: number; data: unknown; action: SubmitAction; feedback?: string | null },
  ): Promise<Task> {
    const workerId = requireWorker(actor);
    const data = requireJsonObject(input.data, 'data');
    if (!Object.values(SubmitAction).includes(input.action)) throw refuse('ILLEGAL_COMMAND');
    const feedback = input.feedback?.trim() || null;
    if (feedback && feedback.length > MAX_FEEDBACK_LENGTH)
      throw badInput(`feedback must have at most ${MAX_FEEDBACK_LENGTH} characters.`);
    return this.run(actor, (tx) =>
      this.submitAs(tx, workerId, input.taskId, data, input.action, feedback, { checkForm: true }),
    );
  }

  private async submitAs(
    tx: Tx,
    workerId: number,
    taskId: number,
    data: JsonObject,
    action: SubmitAction,
    feedback: string | null,
    options: { checkForm: boolean },
  ): Promise<Task> {
    // An accept most likely completes the task: the project's lock and tasks come with the task's lock,
    // so that the completion's writes go with its events and COMMIT (two round trips, not three). Any
    // other submission reads the project row only where it is needed (a reviewer assignment policy;
    // completing a step without review locks it then): its id alone, which the task has.
    const { task, work, completion } =
      action === SubmitAction.ACCEPT
        ? await lockTaskForCompletion(tx, taskId)
        : { ...(await lockTaskWithWork(tx, taskId)), completion: undefined };
    const projectId = task.project.id;
    const step = this.engine.catalog.step(task.step.id);
    const { assignments } = work;
    const mine = assignments.filter((a) => a.worker?.id === workerId);
    checkSubmit({
      taskStatus: task.status,
      submissionPrerequisitesComplete: await this.submissionPrerequisitesComplete(
        tx,
        projectId,
        step.def.submissionDependsOn,
      ),
      workerAssignments: mine,
    });
    // Work sent on must fit the step's form (a reviewer returning work may send it back unfinished).
    const form = formOf(step.def.ui);
    if (options.checkForm && form && action !== SubmitAction.REJECT) {
      const fields = checkFormData(form, data, { complete: true });
      if (fields.length) {
        throw badInput(
          `Some fields need a fix: ${fields.map((f) => f.message).join(' ')}`,
          { fields },
          Reason.FIELD_ERRORS,
        );
      }
    }
    const submitter = mine[0]!;
    const next = nextTaskStatus(task.status, action, () =>
      reviewNeeded(step.def.reviewPolicy, assignments.length, this.engine.random),
    );

    const now = this.engine.now();
    submitter.data = data;
    submitter.status = AssignmentStatus.SUBMITTED;
    const iteration = work.openIteration(submitter);
    if (iteration)
      Object.assign(iteration, { status: iterationStatusFor(action), submittedData: data, endDatetime: now, feedback });
    const previous = task.status;
    task.status = next;

    const receiving = receivingLevel(next, submitter.level);
    const target = receiving === null ? null : assignments.find((a) => a.level === receiving);
    if (receiving !== null) {
      if (!target) throw refuse('BROKEN_STATE', { level: receiving });
      target.data = structuredClone(data);
      target.status = AssignmentStatus.PROCESSING;
      tx.em.create(Iteration, { assignment: target, startDatetime: now });
    }
    const workerIds = workerIdsOf(assignments);
    const common = { workerId, level: submitter.level, workerIds, iterationId: iteration?.id ?? null };
    if (action === SubmitAction.REJECT) {
      tx.emit({
        type: 'task.returned',
        projectId,
        taskId: task.id,
        payload: {
          ...common,
          action,
          toLevel: receiving!,
          toWorkerId: target?.worker?.id ?? null,
          hasFeedback: feedback !== null,
        },
      });
    } else {
      tx.emit({
        type: 'task.submitted',
        projectId,
        taskId: task.id,
        payload: { ...common, action, toLevel: receiving },
      });
    }

    if (next === TaskStatus.COMPLETE) {
      task.status = previous; // completeTask records the change from the status the task had
      await completeTask(tx, task, assignments, work, completion);
      return task;
    }
    await writeWork(tx, task, target ? [submitter, target] : [submitter], iteration ? [iteration] : []);
    emitStatusChange(tx, task, previous, workerIds);
    if (next === TaskStatus.PENDING_REVIEW) {
      const policy = step.def.assignmentPolicy.reviewer;
      // anyone_certified (the default) assigns nobody: it needs no project row. (writeWork has written
      // the submission: a reviewer's assignment starts from the task as stored.)
      if (!assignsNobody(tx, task, policy)) {
        await applyAssignmentPolicy(tx, task, await loadProject(tx, task), policy, assignments.length);
      }
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

  // ---- admin ----------------------------------------------------------------------------

  /** Admin assigns a task to a worker: the checks of a claim (paused projects too), without the worker's own limits. */
  async assignTask(actor: Actor, input: { taskId: number } & WorkerRef): Promise<TaskAssignment> {
    requireAdmin(actor);
    const who = workerWhere(input);
    return this.run(actor, async (tx) => {
      const worker = await findWorker(tx, who);
      const task = await lockTask(tx, input.taskId);
      const { project, assignments, held, ids } = await claimContext(tx, task, worker.id);
      requireActive(project);
      return assignWorker(tx, task, project, worker, { enforceLimits: false, assignments, held, ids });
    });
  }

  /** Admin gives an existing assignment to another worker; status, data and iterations stay (spec §3.8). */
  async reassignAssignment(actor: Actor, input: { assignmentId: number } & WorkerRef): Promise<TaskAssignment> {
    requireAdmin(actor);
    const who = workerWhere(input);
    return this.run(actor, async (tx) => {
      const found = await tx.em.findOne(TaskAssignment, { id: input.assignmentId });
      if (!found) throw notFound('TaskAssignment', input.assignmentId);
      const task = await lockTask(tx, found.task.id);
      const assignment = await tx.em.findOneOrFail(TaskAssignment, { id: input.assignmentId }, { refresh: true });
      const worker = await findWorker(tx, who);
      const project = await loadProject(tx, task);
      const step = this.engine.catalog.step(task.step.id);
      if (
        !step.def.isHuman ||
        !isCertified(
          step.requiredCertificationIds,
          await heldCertifications(tx, worker.id),
          roleForLevel(assignment.level),
          project.taskClass,
        )
      ) {
        throw refuse('NOT_CERTIFIED_ASSIGNMENT');
      }
      const assignments = await liveAssignments(tx, task);
      if (assignments.some((a) => a.worker?.id === worker.id)) throw refuse('ALREADY_ASSIGNED');
      const from = assignment.worker?.id ?? null;
      assignment.worker = worker;
      tx.emit({
        type: 'task.reassigned',
        projectId: project.id,
        taskId: task.id,
        payload: {
          assignmentId: assignment.id,
          level: assignment.level,
          fromWorkerId: from,
          workerId: worker.id,
          workerIds: [...workerIdsOf(assignments), ...(from ? [from] : [])],
        },
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
    return this.run(actor, async (tx) => {
      const task = await lockTask(tx, taskId);
      const assignments = await liveAssignments(tx, task);
      const current = currentAssignment(assignments);
      if (current?.worker) {
        if (current.status !== AssignmentStatus.PROCESSING) return task;
        const data = { ...current.data, _orchestra_internal: { complete_and_skip_task: true } };
        // The admin skips the step: its form is not asked for.
        return this.submitAs(tx, current.worker.id, task.id, data, SubmitAction.SUBMIT, null, { checkForm: false });
      }
      if (task.status === TaskStatus.COMPLETE || task.status === TaskStatus.ABORTED)
        throw refuse('STATUS_INCOMPATIBLE');
      await completeTask(tx, task, assignments);
      return task;
    });
  }

  /** Admin reverts a task to (or before) one of its iterations; without `commit` it is a dry run (spec §3.16). */
  async revertTask(actor: Actor, input: RevertInput): Promise<RevertAudit> {
    requireAdmin(actor);
    return this.run(actor, async (tx) => {
      const task = await lockTask(tx, input.taskId);
      const assignments = await liveAssignments(tx, task);
      const iterations = assignments.length
        ? await tx.em.find(
            Iteration,
            { assignment: { $in: assignments.map((a) => a.id) } },
            { orderBy: { startDatetime: 'asc', id: 'asc' } },
          )
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
        if (change === RevertChange.REVERTED)
          Object.assign(it, {
            status: IterationStatus.PROCESSING,
            endDatetime: null,
            submittedData: {},
            feedback: null,
          });
      }
      for (const a of assignments) {
        const change = plan.assignments.get(a.id);
        if (change === RevertChange.DELETED) a.isDeleted = true;
        if (change === RevertChange.REVERTED) {
          const remaining = iterations.filter((i) => i.assignment.id === a.id && !i.isDeleted);
          a.status =
            remaining[remaining.length - 1]?.status === IterationStatus.PROCESSING
              ? AssignmentStatus.PROCESSING
              : AssignmentStatus.SUBMITTED;
        }
      }
      const previous = task.status;
      task.status = plan.revertedStatus;
      tx.emit({
        type: 'task.reverted',
        projectId: task.project.id,
        taskId: task.id,
        payload: {
          iterationId: input.iterationId,
          revertBefore: input.revertBefore ?? false,
          workerIds: workerIdsOf(assignments),
        },
      });
      emitStatusChange(tx, task, previous, workerIdsOf(assignments.filter((a) => !a.isDeleted)));
      return audit;
    });
  }

  // ---- machine steps --------------------------------------------------------------------

  /** Admin re-runs a machine step whose assignment FAILED after its retries. */
  async rerunMachineStep(actor: Actor, taskId: number): Promise<TaskAssignment> {
    requireAdmin(actor);
    return this.run(actor, async (tx) => {
      const task = await lockTask(tx, taskId);
      if (this.engine.catalog.step(task.step.id).def.isHuman) throw refuse('STEP_NOT_MACHINE');
      if (task.status === TaskStatus.COMPLETE) throw refuse('MACHINE_ALREADY_COMPLETED');
      const assignment = (await liveAssignments(tx, task))[0];
      const rerunnable =
        assignment && (assignment.status === AssignmentStatus.FAILED || isStuck(assignment, this.engine.now()));
      if (!rerunnable || task.status === TaskStatus.ABORTED) throw refuse('MACHINE_NOT_FAILED');
      assignment.status = AssignmentStatus.PROCESSING;
      assignment.attempts = 0;
      assignment.leaseExpiresAt = null;
      await queueMachineJob(tx, task.id);
      return assignment;
    });
  }

  /**
   * Takes the next attempt of a machine task (spec §3.13): its level-0 assignment is created on the first
   * attempt (task PROCESSING, one iteration), and the attempt is counted. Null when there is nothing to
   * run: the task is done, aborted or human, or its assignment FAILED and waits for an admin's re-run.
   */
  async startMachineAttempt(actor: Actor, taskId: number): Promise<MachineAttempt | null> {
    requireSystem(actor);
    return this.run(actor, async (tx) => {
      // The task's lock, its project and the project's tasks (the prerequisites) in one round trip.
      const { task, project, assignments, tasks } = await lockForMachineAttempt(tx, taskId);
      const step = this.engine.catalog.step(task.step.id);
      if (step.def.isHuman || !step.def.run) return null;
      if (task.status === TaskStatus.COMPLETE || task.status === TaskStatus.ABORTED) return null;
      let assignment = assignments[0];
      const now = this.engine.now();
      const leaseExpiresAt = new Date(now.getTime() + this.engine.config.machine.leaseMs);
      if (!assignment) {
        // The first attempt: the task, its machine assignment and first iteration in one statement.
        const previous = task.status;
        assignment = await writeAssignment(tx, task, {
          workerId: null,
          level: 0,
          data: {},
          status: TaskStatus.PROCESSING,
          now,
          machine: { attempts: 1, leaseExpiresAt },
        });
        emitStatusChange(tx, task, previous, []);
      } else if (assignment.status !== AssignmentStatus.PROCESSING) {
        return null;
      } else if (assignment.leaseExpiresAt !== null && assignment.leaseExpiresAt > now) {
        return null; // an attempt is running (its lease is live): a second job never runs it twice at once
      } else {
        assignment.attempts += 1;
        assignment.leaseExpiresAt = leaseExpiresAt;
      }
      return {
        taskId: task.id,
        projectId: project.id,
        stepSlug: step.def.slug,
        attempt: assignment.attempts,
        run: step.def.run,
        timeoutMs: step.def.timeoutMs ?? this.engine.config.machine.timeoutMs,
        leaseMs: this.engine.config.machine.leaseMs,
        projectData: { ...project.projectData, project_id: project.id },
        prerequisites: prerequisitesFrom(tx, step.def.ancestors, tasks.tasks, tasks.assignments),
      };
    });
  }

  /**
   * Stores a machine step's result and completes its task (creating what follows). A result of an
   * attempt that is no longer current is dropped: the project ended while the function ran (ending it
   * aborted the assignment), or the step was re-run meanwhile.
   */
  async recordMachineResult(
    actor: Actor,
    input: { taskId: number; attempt: number; result: unknown },
  ): Promise<MachineOutcome> {
    requireSystem(actor);
    if (!isJsonObject(input.result))
      return this.recordMachineFailure(actor, { ...input, error: 'Machine step must return a JSON object.' });
    const result = input.result;
    return this.run(actor, async (tx) => {
      const { task, assignment, work } = await this.currentAttempt(tx, input.taskId, input.attempt);
      if (!assignment) return 'skipped';
      assignment.data = result;
      assignment.lastError = null;
      assignment.leaseExpiresAt = null;
      await completeTask(tx, task, [assignment], work);
      return 'completed';
    });
  }

  /** A machine step's attempt failed: the next attempt is scheduled with backoff, or after the last one the assignment is FAILED. */
  async recordMachineFailure(
    actor: Actor,
    input: {
      taskId: number;
      attempt: number;
      error: string;
      /** recovery: only while its lease has run out */ onlyIfStuck?: boolean;
    },
  ): Promise<MachineOutcome> {
    requireSystem(actor);
    const error = input.error.slice(0, 4000) || 'Machine step failed.';
    return this.run(actor, async (tx) => {
      const { task, assignment } = await this.currentAttempt(tx, input.taskId, input.attempt);
      if (!assignment || (input.onlyIfStuck && !isStuck(assignment, this.engine.now()))) return 'skipped';
      const step = this.engine.catalog.step(task.step.id);
      const now = this.engine.now();
      assignment.lastError = error;
      assignment.leaseExpiresAt = null;
      const maxAttempts = step.def.maxAttempts ?? this.engine.config.machine.maxAttempts;
      if (assignment.attempts < maxAttempts && task.status !== TaskStatus.ABORTED) {
        const delay = this.engine.config.machine.retryBaseDelayMs * 2 ** (assignment.attempts - 1);
        const runAt = new Date(now.getTime() + delay);
        await queueMachineJob(tx, task.id, runAt);
        tx.emit({
          type: 'machine.retry_scheduled',
          projectId: task.project.id,
          taskId: task.id,
          payload: { step: step.def.slug, attempt: assignment.attempts, error, runAt: runAt.toISOString() },
        });
        return 'retry_scheduled';
      }
      assignment.status = AssignmentStatus.FAILED;
      tx.emit({
        type: 'machine.failed',
        projectId: task.project.id,
        taskId: task.id,
        payload: { step: step.def.slug, attempts: assignment.attempts, error },
      });
      return 'failed';
    });
  }

  /** The attempt still runs: its lease is extended. False when it is no longer the current attempt (stop it). */
  async renewMachineLease(actor: Actor, input: { taskId: number; attempt: number }): Promise<boolean> {
    requireSystem(actor);
    const until = new Date(this.engine.now().getTime() + this.engine.config.machine.leaseMs);
    const rows = await this.engine.orm.em
      .fork()
      .execute<{ id: number }[]>(
        `update task_assignment set lease_expires_at = ? where task_id = ? and attempts = ? and status = ? and worker_id is null and not is_deleted returning id`,
        [until, input.taskId, input.attempt, AssignmentStatus.PROCESSING],
      );
    return rows.length > 0;
  }

  /**
   * Machine steps whose running attempt's lease ran out — the process running it died (a crash, a kill) —
   * count that attempt as failed: the next attempt is scheduled, or after the last one the step is
   * FAILED. Run by every process that runs jobs, now and then; returns the tasks it recovered.
   */
  async recoverStuckMachineSteps(actor: Actor): Promise<number[]> {
    requireSystem(actor);
    const stuck = await this.engine.orm.em.fork().execute<{ task_id: number; attempts: number }[]>(
      `select task_id, attempts from task_assignment
          where status = ? and lease_expires_at < ? and worker_id is null and not is_deleted order by task_id limit 100`,
      [AssignmentStatus.PROCESSING, this.engine.now()],
    );
    const recovered: number[] = [];
    // Open machine tasks with no attempt running and no job that will run one: their job was taken by
    // a process that died before it began the attempt (graphile-worker keeps such a job locked for hours).
    const orphaned = await this.engine.orm.em.fork().execute<{ id: number }[]>(
      `select t.id from task t join step s on s.id = t.step_id
          where not s.is_human and t.status in (?, ?) and t.start_datetime < ?
            and not exists (select 1 from task_assignment a where a.task_id = t.id and not a.is_deleted
                             and (a.status <> ? or a.lease_expires_at is not null))
            and not exists (select 1 from graphile_worker.jobs j where j.key = 'machine:' || t.id
                             and (j.locked_at is null or j.locked_at > ?))
          order by t.id limit 100`,
      [
        TaskStatus.AWAITING_PROCESSING,
        TaskStatus.PROCESSING,
        new Date(this.engine.now().getTime() - this.engine.config.machine.leaseMs),
        AssignmentStatus.PROCESSING,
        new Date(this.engine.now().getTime() - this.engine.config.machine.leaseMs),
      ],
    );
    for (const { id } of orphaned) {
      await this.run(actor, (tx) => queueMachineJob(tx, id));
      recovered.push(id);
    }
    for (const { task_id: taskId, attempts } of stuck) {
      const error = 'The process running this attempt stopped before it finished (its lease ran out).';
      if (
        (await this.recordMachineFailure(actor, { taskId, attempt: attempts, error, onlyIfStuck: true })) !== 'skipped'
      ) {
        recovered.push(taskId);
      }
    }
    return recovered;
  }

  /** The machine task's PROCESSING assignment when `attempt` is its current attempt (else no assignment). */
  private async currentAttempt(
    tx: Tx,
    taskId: number,
    attempt: number,
  ): Promise<{ task: Task; assignment: TaskAssignment | null; work: TaskWork }> {
    // The lock and the task's assignments with their open iterations (what a completion closes) in one round trip.
    const { task, work } = await lockTaskWithWork(tx, taskId);
    const assignment = work.assignments[0];
    const current =
      assignment && assignment.status === AssignmentStatus.PROCESSING && assignment.attempts === attempt
        ? assignment
        : null;
    return { task, assignment: current, work };
  }
}

/** A machine step's running attempt whose lease ran out: the process running it is gone. */
export const isStuck = (a: TaskAssignment, now: Date): boolean =>
  a.status === AssignmentStatus.PROCESSING && a.worker === null && a.leaseExpiresAt !== null && a.leaseExpiresAt < now;

/** A claim and an admin's assignment answer alike when the project is paused or ended. */
function requireActive(project: Project): void {
  if (project.status !== ProjectStatus.ACTIVE) throw refuse('PROJECT_NOT_ACTIVE');
}
