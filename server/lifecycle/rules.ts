// The pure transition rules of the task lifecycle (spec §3.2–§3.6, §3.16, §3.18).
// No I/O here: the service loads rows, asks these functions, and applies their answers.
import type { ReviewPolicy } from '../workflow/definition.js';
import { refuse } from '../kernel/errors.js';
import {
  AssignmentStatus,
  CertificationRole,
  IterationStatus,
  ProjectStatus,
  TaskClass,
  TaskStatus,
} from '../kernel/status.js';

/** What a worker does with the task they hold: submit and accept send work up, reject sends it down. */
export enum SubmitAction {
  SUBMIT = 'SUBMIT',
  ACCEPT = 'ACCEPT',
  REJECT = 'REJECT',
}

export const iterationStatusFor = (action: SubmitAction): IterationStatus =>
  action === SubmitAction.REJECT ? IterationStatus.PROVIDED_REVIEW : IterationStatus.REQUESTED_REVIEW;

/**
 * Whether a submission is sent up for (another) review (spec §2.4): with N live assignments on the task,
 * review is needed iff maxReviews > N − 1 and a random draw falls under the rate. Re-rolled at every level.
 */
export function reviewNeeded(policy: ReviewPolicy, liveAssignments: number, random: () => number): boolean {
  if (policy.policy === 'no_review') return false;
  if (policy.policy === 'sampled_review') {
    const { rate, maxReviews } = policy;
    if (typeof rate !== 'number' || typeof maxReviews !== 'number') throw refuse('REVIEW_POLICY');
    return maxReviews > liveAssignments - 1 && random() < rate;
  }
  throw refuse('REVIEW_POLICY');
}

/** The task's next status after a submission (spec §3.4). `needsReview` is asked only where sampling applies. */
export function nextTaskStatus(status: TaskStatus, action: SubmitAction, needsReview: () => boolean): TaskStatus {
  const reject = action === SubmitAction.REJECT;
  switch (status) {
    case TaskStatus.PROCESSING:
      if (reject) throw refuse('NOT_REJECTABLE');
      return needsReview() ? TaskStatus.PENDING_REVIEW : TaskStatus.COMPLETE;
    case TaskStatus.REVIEWING:
      if (reject) return TaskStatus.POST_REVIEW_PROCESSING;
      return needsReview() ? TaskStatus.PENDING_REVIEW : TaskStatus.COMPLETE;
    case TaskStatus.POST_REVIEW_PROCESSING:
      // A middle reviewer who was returned work cannot reject further down: fix and send it back up.
      if (reject) throw refuse('NOT_REJECTABLE');
      return TaskStatus.REVIEWING;
    case TaskStatus.ABORTED:
      throw refuse(reject ? 'NOT_REJECTABLE' : 'NOT_SUBMITTABLE');
    case TaskStatus.AWAITING_PROCESSING:
    case TaskStatus.PENDING_REVIEW:
    case TaskStatus.COMPLETE:
      throw refuse('ILLEGAL_STATUS_SUBMIT');
  }
}

/** The level whose assignment receives the work after a submission that did not complete the task. */
export function receivingLevel(next: TaskStatus, submitterLevel: number): number | null {
  if (next === TaskStatus.POST_REVIEW_PROCESSING) return submitterLevel - 1;
  if (next === TaskStatus.REVIEWING) return submitterLevel + 1;
  return null;
}

// ---- certification ----------------------------------------------------------------------

export interface HeldCertification {
  certificationId: number;
  role: CertificationRole;
  taskClass: TaskClass;
}

export const roleForLevel = (level: number): CertificationRole =>
  level === 0 ? CertificationRole.ENTRY_LEVEL : CertificationRole.REVIEWER;

/**
 * A worker is certified for a step in a role when they hold every required certification in that role
 * (spec §3.2). Deliberate difference: REAL projects need REAL certifications, TRAINING projects accept
 * TRAINING or REAL ones (the original never consulted the project's task class).
 */
export function isCertified(
  required: readonly number[],
  held: readonly HeldCertification[],
  role: CertificationRole,
  projectClass: TaskClass,
): boolean {
  return required.every((id) =>
    held.some(
      (c) =>
        c.certificationId === id &&
        c.role === role &&
        (c.taskClass === TaskClass.REAL || projectClass === TaskClass.TRAINING),
    ),
  );
}

// ---- claim ------------------------------------------------------------------------------

export interface ClaimFacts {
  taskStatus: TaskStatus;
  /** Live assignments of the task. */
  assignments: readonly { level: number; workerId: number | null }[];
  workerId: number;
  certified: (role: CertificationRole) => boolean;
}

/** Checks of a claim in the original's precedence (spec §3.3); returns the new assignment's level. */
export function checkClaim(f: ClaimFacts): { level: number; role: CertificationRole } {
  let role: CertificationRole;
  if (f.taskStatus === TaskStatus.AWAITING_PROCESSING) role = CertificationRole.ENTRY_LEVEL;
  else if (f.taskStatus === TaskStatus.PENDING_REVIEW) role = CertificationRole.REVIEWER;
  else throw refuse('STATUS_INCOMPATIBLE');
  if (role === CertificationRole.ENTRY_LEVEL && f.assignments.some((a) => a.level === 0)) {
    throw refuse('TASK_INCORRECT_STATE');
  }
  if (!f.certified(role)) throw refuse('NOT_CERTIFIED_TASK');
  if (f.assignments.some((a) => a.workerId === f.workerId)) throw refuse('ALREADY_ASSIGNED');
  return { level: f.assignments.length, role };
}

/** Limits on a worker taking new work themselves (claim, next task); admins assigning work bypass them. */
export function checkWorkerMayTakeWork(f: {
  hasReturnedWork: boolean;
  inProgress: number;
  maxInProgress: number;
}): void {
  if (f.hasReturnedWork) throw refuse('PENDING_FEEDBACK');
  if (f.inProgress >= f.maxInProgress) throw refuse('MAX_TASKS');
}

// ---- submit -----------------------------------------------------------------------------

export interface SubmitFacts {
  taskStatus: TaskStatus;
  submissionPrerequisitesComplete: boolean;
  /** The submitting worker's live assignments on the task (normally zero or one). */
  workerAssignments: readonly { status: AssignmentStatus }[];
}

/** Checks of a submission in the original's order (spec §3.5), before the next status is computed. */
export function checkSubmit(f: SubmitFacts): void {
  if (!f.submissionPrerequisitesComplete) throw refuse('SUBMISSION_PREREQUISITES');
  if (f.taskStatus === TaskStatus.COMPLETE) throw refuse('ALREADY_COMPLETED');
  if (f.workerAssignments.length !== 1) throw refuse('BROKEN_STATE');
  // An aborted task's assignments are ABORTED: the task's status answers (spec T18, "not in submittable state").
  if (f.workerAssignments[0]!.status !== AssignmentStatus.PROCESSING && f.taskStatus !== TaskStatus.ABORTED)
    throw refuse('NOT_ALLOWED_SUBMIT');
}

// ---- revert -----------------------------------------------------------------------------

export enum RevertChange {
  UNCHANGED = 0,
  REVERTED = 1,
  DELETED = 2,
}

export interface RevertIteration {
  id: number;
  assignmentId: number;
  status: IterationStatus;
  start: Date;
}

export interface RevertPlan {
  iterations: Map<number, RevertChange>;
  assignments: Map<number, RevertChange>;
  revertedStatus: TaskStatus;
}

/** Which iterations and assignments a revert to (or before) an iteration removes or resets (spec §3.16). */
export function planRevert(
  iterations: readonly RevertIteration[],
  targetId: number,
  revertBefore: boolean,
  taskStatus: TaskStatus,
): RevertPlan {
  const target = iterations.find((i) => i.id === targetId);
  if (!target) throw refuse('REVERT_FOREIGN_ITERATION');
  const byStart = [...iterations].sort((a, b) => a.start.getTime() - b.start.getTime() || a.id - b.id);
  const ofAssignment = byStart.filter((i) => i.assignmentId === target.assignmentId);
  if (revertBefore && ofAssignment[0]!.id !== target.id) throw refuse('REVERT_BEFORE_NOT_FIRST');
  if (taskStatus === TaskStatus.ABORTED) throw refuse('REVERT_ABORTED');

  const targetIndex = byStart.findIndex((i) => i.id === target.id);
  const changes = new Map<number, RevertChange>();
  byStart.forEach((it, index) => {
    let change = RevertChange.UNCHANGED;
    if (revertBefore) change = index >= targetIndex ? RevertChange.DELETED : RevertChange.UNCHANGED;
    else if (index === targetIndex) change = RevertChange.REVERTED;
    else if (index > targetIndex) change = RevertChange.DELETED;
    changes.set(it.id, change);
  });

  const assignments = new Map<number, RevertChange>();
  for (const assignmentId of new Set(byStart.map((i) => i.assignmentId))) {
    const own = byStart.filter((i) => i.assignmentId === assignmentId).map((i) => changes.get(i.id)!);
    assignments.set(
      assignmentId,
      own.every((c) => c === RevertChange.DELETED)
        ? RevertChange.DELETED
        : own.some((c) => c !== RevertChange.UNCHANGED)
          ? RevertChange.REVERTED
          : RevertChange.UNCHANGED,
    );
  }

  // The status the task returns to, read from the iterations that remain, newest first.
  const remaining = byStart.filter((i) => changes.get(i.id) !== RevertChange.DELETED).reverse();
  let revertedStatus: TaskStatus;
  if (remaining.length === 0) revertedStatus = TaskStatus.AWAITING_PROCESSING;
  else if (revertBefore) revertedStatus = TaskStatus.PENDING_REVIEW;
  else if (remaining.length === 1) revertedStatus = TaskStatus.PROCESSING;
  else
    revertedStatus =
      remaining[1]!.status === IterationStatus.REQUESTED_REVIEW
        ? TaskStatus.REVIEWING
        : TaskStatus.POST_REVIEW_PROCESSING;
  return { iterations: changes, assignments, revertedStatus };
}

// ---- dashboard --------------------------------------------------------------------------

export enum DashboardState {
  RETURNED = 'RETURNED',
  IN_PROGRESS = 'IN_PROGRESS',
  PENDING_REVIEW = 'PENDING_REVIEW',
  PENDING_PROCESSING = 'PENDING_PROCESSING',
  PAUSED = 'PAUSED',
  COMPLETE = 'COMPLETE',
}

/**
 * Where one of a worker's assignments shows on their dashboard (spec §3.18), or null when it shows nowhere
 * (aborted tasks and projects). Unlike the original, submitted work of a paused project shows as PAUSED
 * rather than nowhere.
 */
export function dashboardState(f: {
  assignmentStatus: AssignmentStatus;
  level: number;
  taskStatus: TaskStatus;
  projectStatus: ProjectStatus;
  /** Whether a live assignment below this one's level is PROCESSING (work was sent back below). */
  lowerLevelProcessing: boolean;
}): DashboardState | null {
  if (f.taskStatus === TaskStatus.ABORTED) return null;
  if (f.taskStatus === TaskStatus.COMPLETE || f.projectStatus === ProjectStatus.COMPLETED)
    return DashboardState.COMPLETE;
  if (f.projectStatus === ProjectStatus.ABORTED) return null;
  if (f.projectStatus === ProjectStatus.PAUSED) return DashboardState.PAUSED;
  if (f.assignmentStatus === AssignmentStatus.PROCESSING) {
    return f.taskStatus === TaskStatus.POST_REVIEW_PROCESSING ? DashboardState.RETURNED : DashboardState.IN_PROGRESS;
  }
  if (f.assignmentStatus === AssignmentStatus.SUBMITTED) {
    return f.lowerLevelProcessing ? DashboardState.PENDING_PROCESSING : DashboardState.PENDING_REVIEW;
  }
  return null;
}
