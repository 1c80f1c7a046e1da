// Every expected failure of Orchestra is an OrchestraError with a stable code.
// Names and messages follow the original (spec §5) so that clients and tests can rely on them.
// The GraphQL and REST doors map `code` to their own error shapes in one place each.

export const ErrorCode = {
  TASK_ASSIGNMENT_ERROR: 'TASK_ASSIGNMENT_ERROR',
  WORKER_CERTIFICATION_ERROR: 'WORKER_CERTIFICATION_ERROR',
  ILLEGAL_TASK_SUBMISSION: 'ILLEGAL_TASK_SUBMISSION',
  TASK_STATUS_ERROR: 'TASK_STATUS_ERROR',
  TASK_DEPENDENCY_ERROR: 'TASK_DEPENDENCY_ERROR',
  REVIEW_POLICY_ERROR: 'REVIEW_POLICY_ERROR',
  ASSIGNMENT_POLICY_ERROR: 'ASSIGNMENT_POLICY_ERROR',
  CREATION_POLICY_ERROR: 'CREATION_POLICY_ERROR',
  MACHINE_EXECUTION_ERROR: 'MACHINE_EXECUTION_ERROR',
  INVALID_REVERT_ERROR: 'INVALID_REVERT_ERROR',
  PROJECT_STATUS_ERROR: 'PROJECT_STATUS_ERROR',
  NO_TASK_AVAILABLE: 'NO_TASK_AVAILABLE',
  CERTIFICATION_ERROR: 'CERTIFICATION_ERROR',
  WORKFLOW_ERROR: 'WORKFLOW_ERROR',
  NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_INPUT',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  CONFLICT: 'CONFLICT',
  /** A subscriber fell too far behind; resubscribe with the last cursor received. */
  SLOW_SUBSCRIBER: 'SLOW_SUBSCRIBER',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class OrchestraError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'OrchestraError';
  }
}

const make = (code: ErrorCode) => (message: string, details?: Record<string, unknown>) =>
  new OrchestraError(code, message, details);

export const taskAssignmentError = make(ErrorCode.TASK_ASSIGNMENT_ERROR);
export const workerCertificationError = make(ErrorCode.WORKER_CERTIFICATION_ERROR);
export const illegalTaskSubmission = make(ErrorCode.ILLEGAL_TASK_SUBMISSION);
export const taskStatusError = make(ErrorCode.TASK_STATUS_ERROR);
export const taskDependencyError = make(ErrorCode.TASK_DEPENDENCY_ERROR);
export const reviewPolicyError = make(ErrorCode.REVIEW_POLICY_ERROR);
export const assignmentPolicyError = make(ErrorCode.ASSIGNMENT_POLICY_ERROR);
export const creationPolicyError = make(ErrorCode.CREATION_POLICY_ERROR);
export const machineExecutionError = make(ErrorCode.MACHINE_EXECUTION_ERROR);
export const invalidRevertError = make(ErrorCode.INVALID_REVERT_ERROR);
export const projectStatusError = make(ErrorCode.PROJECT_STATUS_ERROR);
export const noTaskAvailable = make(ErrorCode.NO_TASK_AVAILABLE);
export const certificationError = make(ErrorCode.CERTIFICATION_ERROR);
export const workflowError = make(ErrorCode.WORKFLOW_ERROR);
export const badInput = make(ErrorCode.BAD_INPUT);
export const forbidden = make(ErrorCode.FORBIDDEN);
export const conflict = make(ErrorCode.CONFLICT);

/** `<Entity> matching query does not exist.` is the original's not-found text. */
export const notFound = (entity: string, id?: number | string) =>
  new OrchestraError(ErrorCode.NOT_FOUND, `${entity} matching query does not exist.`, id === undefined ? undefined : { id });

/** The original's messages, in one place so tests and doors share them. */
export const Messages = {
  STATUS_INCOMPATIBLE: 'Status incompatible with new assignment',
  TASK_INCORRECT_STATE: 'Task is in incorrect state',
  NOT_CERTIFIED_TASK: 'Worker not certified for this task.',
  NOT_CERTIFIED_ASSIGNMENT: 'Worker not certified for this assignment.',
  ALREADY_ASSIGNED: 'Worker already assigned to this task.',
  NOT_ASSOCIATED: 'Worker is not associated with task',
  NOT_ALLOWED_SAVE: 'Worker is not allowed to save',
  BROKEN_STATE: 'Task assignment with worker is in broken state.',
  NOT_ALLOWED_SUBMIT: 'Worker is not allowed to submit',
  SUBMISSION_PREREQUISITES: 'Submission prerequisites are not complete.',
  ILLEGAL_STATUS_SUBMIT: 'Task has illegal status for submit.',
  NOT_SUBMITTABLE: 'Task not in submittable state.',
  NOT_REJECTABLE: 'Task not in rejectable state.',
  ALREADY_COMPLETED: 'Task already completed',
  PENDING_FEEDBACK: 'Worker has pending reviewer feedback that must be addressed.',
  MAX_TASKS: 'Worker assigned to max number of tasks.',
  NO_TASK: 'No task',
  NO_WORKER_CERTIFICATES: 'No worker certificates',
  REVIEW_POLICY: 'Review policy incorrectly specified.',
  ASSIGNMENT_POLICY: 'Assignment policy incorrectly specified.',
  NO_RELATED_STEPS: 'No related steps given',
  MACHINE_IN_POLICY: 'Machine step should not be member of assignment policy',
  DEPENDENCY_NOT_SATISFIED: 'Task depenency is not satisfied',
  REVERT_BEFORE_NOT_FIRST: "Cannot revert before an iteration that isn't the first of its assignment.",
  REVERT_ABORTED: 'Cannot revert aborted task.',
  USE_END_PROJECT: 'Try aborting the project with set_project_status. Use end_project instead.',
  INVALID_PROJECT_STATUS: 'Invalid project status.',
  PROJECT_NOT_ACTIVE: 'Project is not active.',
  STEP_NOT_MACHINE: 'Step worker type is not machine',
  MACHINE_ALREADY_COMPLETED: 'Task assignment already completed',
  MACHINE_NOT_FAILED: 'Machine step has not failed; only a FAILED machine step can be re-run.',
} as const;
