// Every expected failure of Orchestra is an OrchestraError. It carries three things:
// - `code`: the original's error category (spec §5), e.g. TASK_ASSIGNMENT_ERROR;
// - `reason`: a stable, machine-readable cause, e.g. ALREADY_ASSIGNED — integrators branch on it and
//   never on message strings;
// - `message`: the original's words where it had them, so that people and tests recognise them.
// Each door (GraphQL, the compat REST API, the CLI) maps `code` to its own shape in one exhaustive
// table; `details` add facts but can never overwrite the code or the reason.

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
  CERTIFICATION_ERROR: 'CERTIFICATION_ERROR',
  WORKFLOW_ERROR: 'WORKFLOW_ERROR',
  NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_INPUT',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  CONFLICT: 'CONFLICT',
  /** A subscriber fell too far behind; resubscribe with the last cursor received. */
  SLOW_SUBSCRIBER: 'SLOW_SUBSCRIBER',
  /** The operation asks too much (depth, cost, aliases, directives, tokens) or ran past its time budget. */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** Too many attempts (e.g. failed logins); `retryAfterSeconds` says when to try again. */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** The database cannot be reached right now; try again shortly. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Stable causes of refusals. Several messages may share one reason; a reason never changes meaning. */
export const Reason = {
  /** The task (or project, or assignment) is not in a status that allows this. */
  WRONG_STATE: 'WRONG_STATE',
  ALREADY_COMPLETED: 'ALREADY_COMPLETED',
  NOT_CERTIFIED: 'NOT_CERTIFIED',
  ALREADY_ASSIGNED: 'ALREADY_ASSIGNED',
  /** The worker holds no assignment on the task. */
  NOT_ASSIGNED: 'NOT_ASSIGNED',
  /** The worker's assignment is not the one being worked on now (submitted, failed, or the task ended). */
  ASSIGNMENT_CLOSED: 'ASSIGNMENT_CLOSED',
  /** The worker holds more than one assignment on the task (data damaged by hand). */
  BROKEN_STATE: 'BROKEN_STATE',
  PREREQUISITES_INCOMPLETE: 'PREREQUISITES_INCOMPLETE',
  /** The worker has as many tasks in progress as they may. */
  WIP_CAP: 'WIP_CAP',
  /** A reviewer returned work to the worker: that comes first. */
  RETURNED_WORK_WAITING: 'RETURNED_WORK_WAITING',
  NO_TASK_AVAILABLE: 'NO_TASK_AVAILABLE',
  PROJECT_NOT_ACTIVE: 'PROJECT_NOT_ACTIVE',
  INVALID_STATUS: 'INVALID_STATUS',
  NOT_A_MACHINE_STEP: 'NOT_A_MACHINE_STEP',
  REVERT_NOT_ALLOWED: 'REVERT_NOT_ALLOWED',
  /** A workflow's policy is malformed, or a policy function failed. */
  POLICY_FAILED: 'POLICY_FAILED',
  CERTIFICATION_PREREQUISITES: 'CERTIFICATION_PREREQUISITES',
  WORKFLOW_INVALID: 'WORKFLOW_INVALID',
  NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_INPUT',
  INVALID_ID: 'INVALID_ID',
  INVALID_CURSOR: 'INVALID_CURSOR',
  NOT_PERMITTED: 'NOT_PERMITTED',
  NOT_LOGGED_IN: 'NOT_LOGGED_IN',
  BAD_CREDENTIALS: 'BAD_CREDENTIALS',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  /** Someone else changed the same rows at the same time; the request can be retried. */
  CONCURRENT_CHANGE: 'CONCURRENT_CHANGE',
  DUPLICATE: 'DUPLICATE',
  SLOW_SUBSCRIBER: 'SLOW_SUBSCRIBER',
  DEPTH_LIMIT: 'DEPTH_LIMIT',
  COST_LIMIT: 'COST_LIMIT',
  ALIAS_LIMIT: 'ALIAS_LIMIT',
  DIRECTIVE_LIMIT: 'DIRECTIVE_LIMIT',
  TOKEN_LIMIT: 'TOKEN_LIMIT',
  INTROSPECTION_LIMIT: 'INTROSPECTION_LIMIT',
  TIME_BUDGET: 'TIME_BUDGET',
  SUBSCRIPTION_LIMIT: 'SUBSCRIPTION_LIMIT',
  /** Submitted data does not fit the step's form: `fields` lists each field's problem. */
  FIELD_ERRORS: 'FIELD_ERRORS',
  /** A text or JSON value is longer, larger or deeper than allowed. */
  TOO_LARGE: 'TOO_LARGE',
  THROTTLED: 'THROTTLED',
  /** Self-registration is switched off. */
  REGISTRATION_CLOSED: 'REGISTRATION_CLOSED',
  /** An activation or reset link: unknown, expired, or used already. */
  LINK_INVALID: 'LINK_INVALID',
  LINK_EXPIRED: 'LINK_EXPIRED',
  LINK_USED: 'LINK_USED',
  /** The account has not followed its activation link yet. */
  NOT_ACTIVATED: 'NOT_ACTIVATED',
  /** An idempotency key sent again with a different request. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export class OrchestraError extends Error {
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason: Reason,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'OrchestraError';
    // Facts only: a detail named like the error's own fields would make the error lie about itself.
    const { code: _code, reason: _reason, message: _message, ...facts } = details;
    this.details = facts;
  }
}

interface RefusalRow {
  code: ErrorCode;
  reason: Reason;
  message: string;
}

const row = (code: ErrorCode, reason: Reason, message: string): RefusalRow => ({ code, reason, message });
const E = ErrorCode;
const R = Reason;

/**
 * The refusals of the lifecycle, one row each: the original's message (spec §5) with its category and
 * our reason. Reading this table tells every way a use case can say no.
 */
export const Refusal = {
  STATUS_INCOMPATIBLE: row(E.TASK_ASSIGNMENT_ERROR, R.WRONG_STATE, 'Status incompatible with new assignment'),
  TASK_INCORRECT_STATE: row(E.TASK_ASSIGNMENT_ERROR, R.WRONG_STATE, 'Task is in incorrect state'),
  NOT_CERTIFIED_TASK: row(E.WORKER_CERTIFICATION_ERROR, R.NOT_CERTIFIED, 'Worker not certified for this task.'),
  NOT_CERTIFIED_ASSIGNMENT: row(
    E.WORKER_CERTIFICATION_ERROR,
    R.NOT_CERTIFIED,
    'Worker not certified for this assignment.',
  ),
  ALREADY_ASSIGNED: row(E.TASK_ASSIGNMENT_ERROR, R.ALREADY_ASSIGNED, 'Worker already assigned to this task.'),
  NOT_ASSOCIATED: row(E.TASK_ASSIGNMENT_ERROR, R.NOT_ASSIGNED, 'Worker is not associated with task'),
  NOT_ALLOWED_SAVE: row(E.TASK_ASSIGNMENT_ERROR, R.ASSIGNMENT_CLOSED, 'Worker is not allowed to save'),
  BROKEN_STATE: row(E.TASK_ASSIGNMENT_ERROR, R.BROKEN_STATE, 'Task assignment with worker is in broken state.'),
  NOT_ALLOWED_SUBMIT: row(E.ILLEGAL_TASK_SUBMISSION, R.ASSIGNMENT_CLOSED, 'Worker is not allowed to submit'),
  SUBMISSION_PREREQUISITES: row(
    E.ILLEGAL_TASK_SUBMISSION,
    R.PREREQUISITES_INCOMPLETE,
    'Submission prerequisites are not complete.',
  ),
  ILLEGAL_STATUS_SUBMIT: row(E.ILLEGAL_TASK_SUBMISSION, R.WRONG_STATE, 'Task has illegal status for submit.'),
  NOT_SUBMITTABLE: row(E.ILLEGAL_TASK_SUBMISSION, R.WRONG_STATE, 'Task not in submittable state.'),
  NOT_REJECTABLE: row(E.ILLEGAL_TASK_SUBMISSION, R.WRONG_STATE, 'Task not in rejectable state.'),
  ALREADY_COMPLETED: row(E.TASK_STATUS_ERROR, R.ALREADY_COMPLETED, 'Task already completed'),
  PENDING_FEEDBACK: row(
    E.TASK_ASSIGNMENT_ERROR,
    R.RETURNED_WORK_WAITING,
    'Worker has pending reviewer feedback that must be addressed.',
  ),
  MAX_TASKS: row(E.TASK_ASSIGNMENT_ERROR, R.WIP_CAP, 'Worker assigned to max number of tasks.'),
  REVIEW_POLICY: row(E.REVIEW_POLICY_ERROR, R.POLICY_FAILED, 'Review policy incorrectly specified.'),
  ASSIGNMENT_POLICY: row(E.ASSIGNMENT_POLICY_ERROR, R.POLICY_FAILED, 'Assignment policy incorrectly specified.'),
  DEPENDENCY_NOT_SATISFIED: row(E.TASK_DEPENDENCY_ERROR, R.PREREQUISITES_INCOMPLETE, 'Task depenency is not satisfied'),
  REVERT_BEFORE_NOT_FIRST: row(
    E.INVALID_REVERT_ERROR,
    R.REVERT_NOT_ALLOWED,
    "Cannot revert before an iteration that isn't the first of its assignment.",
  ),
  REVERT_ABORTED: row(E.INVALID_REVERT_ERROR, R.REVERT_NOT_ALLOWED, 'Cannot revert aborted task.'),
  REVERT_FOREIGN_ITERATION: row(
    E.INVALID_REVERT_ERROR,
    R.REVERT_NOT_ALLOWED,
    'Iteration does not belong to this task.',
  ),
  USE_END_PROJECT: row(
    E.PROJECT_STATUS_ERROR,
    R.INVALID_STATUS,
    'Try aborting the project with set_project_status. Use end_project instead.',
  ),
  INVALID_PROJECT_STATUS: row(E.PROJECT_STATUS_ERROR, R.INVALID_STATUS, 'Invalid project status.'),
  PROJECT_ENDED: row(E.PROJECT_STATUS_ERROR, R.WRONG_STATE, 'An ended project cannot change status.'),
  PROJECT_NOT_ACTIVE: row(E.PROJECT_STATUS_ERROR, R.PROJECT_NOT_ACTIVE, 'Project is not active.'),
  STEP_NOT_MACHINE: row(E.MACHINE_EXECUTION_ERROR, R.NOT_A_MACHINE_STEP, 'Step worker type is not machine'),
  MACHINE_ALREADY_COMPLETED: row(E.MACHINE_EXECUTION_ERROR, R.ALREADY_COMPLETED, 'Task assignment already completed'),
  MACHINE_NOT_FAILED: row(
    E.MACHINE_EXECUTION_ERROR,
    R.WRONG_STATE,
    'Machine step has not failed; only a FAILED or stuck machine step can be re-run.',
  ),
  CONCURRENT_TASK_CHANGE: row(E.CONFLICT, R.CONCURRENT_CHANGE, 'The task was changed by someone else; try again.'),
  CONCURRENT_CHANGE: row(E.CONFLICT, R.CONCURRENT_CHANGE, 'The change conflicts with a concurrent one; try again.'),
  NOT_LOGGED_IN: row(E.UNAUTHENTICATED, R.NOT_LOGGED_IN, 'You must be logged in.'),
  BAD_CREDENTIALS: row(E.UNAUTHENTICATED, R.BAD_CREDENTIALS, 'Invalid username or password.'),
  BAD_API_KEY: row(E.UNAUTHENTICATED, R.BAD_CREDENTIALS, 'Invalid or revoked API key.'),
  SESSION_EXPIRED: row(E.UNAUTHENTICATED, R.SESSION_EXPIRED, 'Your session has expired; log in again.'),
  INVALID_CURSOR: row(E.BAD_INPUT, R.INVALID_CURSOR, 'Invalid cursor.'),
  ILLEGAL_COMMAND: row(E.BAD_INPUT, R.BAD_INPUT, 'Illegal command'),
  REGISTRATION_CLOSED: row(
    E.FORBIDDEN,
    R.REGISTRATION_CLOSED,
    'Registration is closed here: ask an admin of this Orchestra for an account.',
  ),
  LINK_INVALID: row(E.BAD_INPUT, R.LINK_INVALID, 'This link is not valid: copy the whole address from the e-mail.'),
  LINK_EXPIRED: row(E.BAD_INPUT, R.LINK_EXPIRED, 'This link has expired: ask for a new one.'),
  LINK_USED: row(E.BAD_INPUT, R.LINK_USED, 'This link was used already: each works once.'),
  NOT_ACTIVATED: row(
    E.UNAUTHENTICATED,
    R.NOT_ACTIVATED,
    'This account is not activated yet: follow the link in the e-mail we sent when you signed up.',
  ),
  WRONG_PASSWORD: row(E.BAD_INPUT, R.BAD_CREDENTIALS, 'The current password is not right.'),
  IDEMPOTENCY_KEY_REUSED: row(
    E.CONFLICT,
    R.IDEMPOTENCY_KEY_REUSED,
    'This Idempotency-Key was used for a different request: use a new key for a new request.',
  ),
  IDEMPOTENCY_KEY_INVALID: row(
    E.BAD_INPUT,
    R.BAD_INPUT,
    'An Idempotency-Key has 1–200 visible characters and needs credentials (a session or an API key).',
  ),
} as const satisfies Record<string, RefusalRow>;
export type RefusalName = keyof typeof Refusal;

/** The original's messages by name (tests and doors compare against them). */
export const Messages = Object.fromEntries(Object.entries(Refusal).map(([name, r]) => [name, r.message])) as {
  [K in RefusalName]: (typeof Refusal)[K]['message'];
};

/** A refusal of the table, with optional facts. */
export function refuse(name: RefusalName, details?: Record<string, unknown>): OrchestraError {
  const r = Refusal[name];
  return new OrchestraError(r.code, r.message, r.reason, details);
}

/** A refusal whose message is not one of the table's (e.g. the words of a failing policy function). */
export const refusal = (code: ErrorCode, reason: Reason) => (message: string, details?: Record<string, unknown>) =>
  new OrchestraError(code, message, reason, details);

export const badInput = (message: string, details?: Record<string, unknown>, reason: Reason = Reason.BAD_INPUT) =>
  new OrchestraError(ErrorCode.BAD_INPUT, message, reason, details);
export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new OrchestraError(ErrorCode.FORBIDDEN, message, Reason.NOT_PERMITTED, details);
export const conflict = (
  message: string,
  details?: Record<string, unknown>,
  reason: Reason = Reason.CONCURRENT_CHANGE,
) => new OrchestraError(ErrorCode.CONFLICT, message, reason, details);
export const assignmentPolicyError = refusal(ErrorCode.ASSIGNMENT_POLICY_ERROR, Reason.POLICY_FAILED);
export const creationPolicyError = refusal(ErrorCode.CREATION_POLICY_ERROR, Reason.POLICY_FAILED);
export const certificationError = refusal(ErrorCode.CERTIFICATION_ERROR, Reason.CERTIFICATION_PREREQUISITES);
export const workflowError = refusal(ErrorCode.WORKFLOW_ERROR, Reason.WORKFLOW_INVALID);
export const taskAssignmentError = refusal(ErrorCode.TASK_ASSIGNMENT_ERROR, Reason.WRONG_STATE);

/**
 * Not-found in the original's words where it had them (spec §4.3, §4.4), else Django's
 * "<Entity> matching query does not exist.".
 */
const NOT_FOUND_MESSAGES: Record<string, string> = {
  Task: 'No task for given id',
  Project: 'Project not found for the given id.',
  'Worker:username': 'Worker not found for the given username.',
};

export function notFound(entity: string, key?: number | string, by: 'id' | 'username' | 'slug' = 'id'): OrchestraError {
  const message =
    NOT_FOUND_MESSAGES[by === 'id' ? entity : `${entity}:${by}`] ?? `${entity} matching query does not exist.`;
  return new OrchestraError(
    ErrorCode.NOT_FOUND,
    message,
    Reason.NOT_FOUND,
    key === undefined ? {} : { entity, [by]: key },
  );
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|ECONNREFUSED|ECONNRESET|Timeout acquiring a connection|the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|terminating connection due to administrator command|Client has encountered a connection error|connection is closed|Connection ended unexpectedly|is not currently accepting connections/i;

/** Whether an error means the database cannot be reached now (it is restarting, or gone), rather than a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    e = (e as { cause?: unknown; previous?: unknown }).cause ?? (e as { previous?: unknown }).previous;
  }
  return false;
}

export const serviceUnavailable = () =>
  new OrchestraError(
    ErrorCode.SERVICE_UNAVAILABLE,
    'The database cannot be reached right now; try again in a moment.',
    Reason.DATABASE_UNAVAILABLE,
  );
