// The original's enumerations (spec §1.1): NAMEs are our API names, integers are what rows store,
// display strings are what the original's REST API returns.

export enum TaskStatus {
  AWAITING_PROCESSING = 0,
  PROCESSING = 1,
  PENDING_REVIEW = 2,
  REVIEWING = 3,
  POST_REVIEW_PROCESSING = 4,
  COMPLETE = 5,
  ABORTED = 6,
}

export enum AssignmentStatus {
  PROCESSING = 0,
  SUBMITTED = 1,
  FAILED = 2,
  /** Ours: the task was aborted (its project ended) while this assignment was being worked on. */
  ABORTED = 3,
}

export enum IterationStatus {
  PROCESSING = 0,
  REQUESTED_REVIEW = 1,
  PROVIDED_REVIEW = 2,
}

export enum ProjectStatus {
  ACTIVE = 0,
  ABORTED = 2,
  PAUSED = 3,
  COMPLETED = 4,
}

export enum TaskClass {
  TRAINING = 0,
  REAL = 1,
}

export enum CertificationRole {
  ENTRY_LEVEL = 0,
  REVIEWER = 1,
}

export const TaskStatusDisplay: Record<TaskStatus, string> = {
  [TaskStatus.AWAITING_PROCESSING]: 'Awaiting Processing',
  [TaskStatus.PROCESSING]: 'Processing',
  [TaskStatus.PENDING_REVIEW]: 'Pending Review',
  [TaskStatus.REVIEWING]: 'Reviewing',
  [TaskStatus.POST_REVIEW_PROCESSING]: 'Post-review Processing',
  [TaskStatus.COMPLETE]: 'Complete',
  [TaskStatus.ABORTED]: 'Aborted',
};

export const AssignmentStatusDisplay: Record<AssignmentStatus, string> = {
  [AssignmentStatus.PROCESSING]: 'Processing',
  [AssignmentStatus.SUBMITTED]: 'Submitted',
  [AssignmentStatus.FAILED]: 'Failed',
  [AssignmentStatus.ABORTED]: 'Aborted',
};

export const IterationStatusDisplay: Record<IterationStatus, string> = {
  [IterationStatus.PROCESSING]: 'Processing',
  [IterationStatus.REQUESTED_REVIEW]: 'Requested Review',
  [IterationStatus.PROVIDED_REVIEW]: 'Provided Review',
};

export const ProjectStatusDisplay: Record<ProjectStatus, string> = {
  [ProjectStatus.ACTIVE]: 'Active',
  [ProjectStatus.ABORTED]: 'Aborted',
  [ProjectStatus.PAUSED]: 'Paused',
  [ProjectStatus.COMPLETED]: 'Completed',
};

/** Task statuses in which a task is finished: nothing more happens to it. */
export const CLOSED_TASK_STATUSES: readonly TaskStatus[] = [TaskStatus.COMPLETE, TaskStatus.ABORTED];
