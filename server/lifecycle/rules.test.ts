// Table tests of the pure lifecycle rules (spec §2.4, §3.2–§3.6, §3.16, §3.17, §3.18). No database.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { ReviewPolicy } from '../workflow/definition.js';
import { ErrorCode, Messages, OrchestraError } from '../kernel/errors.js';
import {
  checkClaim,
  checkSubmit,
  checkWorkerMayTakeWork,
  dashboardState,
  DashboardState,
  isCertified,
  iterationStatusFor,
  nextTaskStatus,
  planRevert,
  receivingLevel,
  RevertChange,
  reviewNeeded,
  roleForLevel,
  SubmitAction,
  type HeldCertification,
  type RevertIteration,
} from './rules.js';
import {
  AssignmentStatus,
  CertificationRole,
  IterationStatus,
  ProjectStatus,
  TaskClass,
  TaskStatus,
} from '../kernel/status.js';

const { AWAITING_PROCESSING, PROCESSING, PENDING_REVIEW, REVIEWING, POST_REVIEW_PROCESSING, COMPLETE, ABORTED } =
  TaskStatus;
const { SUBMIT, ACCEPT, REJECT } = SubmitAction;
const { UNCHANGED, REVERTED, DELETED } = RevertChange;
const { ENTRY_LEVEL, REVIEWER } = CertificationRole;

/** The OrchestraError thrown by fn (fails the test when fn returns normally or throws something else). */
function caught(fn: () => unknown): OrchestraError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OrchestraError);
    return error as OrchestraError;
  }
  throw new Error('expected an OrchestraError, nothing was thrown');
}

type Failure = { code: ErrorCode; message: string };
const fail = (code: ErrorCode, message: string): Failure => ({ code, message });
const ILLEGAL_STATUS = fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.ILLEGAL_STATUS_SUBMIT);
const NOT_REJECTABLE = fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.NOT_REJECTABLE);
const NOT_SUBMITTABLE = fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.NOT_SUBMITTABLE);

// ---- next status (spec §3.4) ------------------------------------------------------------

/**
 * Every cell of the §3.4 table, once with review needed and once without. `samples` says whether the
 * review policy is consulted at all (only submit/accept from PROCESSING or REVIEWING, spec §3.6).
 */
type Cell = [
  status: TaskStatus,
  action: SubmitAction,
  review: boolean,
  expected: TaskStatus | Failure,
  samples: boolean,
];
const cells: Cell[] = [];
for (const review of [true, false]) {
  for (const action of [SUBMIT, ACCEPT]) {
    cells.push(
      [AWAITING_PROCESSING, action, review, ILLEGAL_STATUS, false],
      [PENDING_REVIEW, action, review, ILLEGAL_STATUS, false],
      [COMPLETE, action, review, ILLEGAL_STATUS, false],
      [PROCESSING, action, review, review ? PENDING_REVIEW : COMPLETE, true],
      [REVIEWING, action, review, review ? PENDING_REVIEW : COMPLETE, true],
      [POST_REVIEW_PROCESSING, action, review, REVIEWING, false],
      [ABORTED, action, review, NOT_SUBMITTABLE, false],
    );
  }
  cells.push(
    [AWAITING_PROCESSING, REJECT, review, ILLEGAL_STATUS, false],
    [PENDING_REVIEW, REJECT, review, ILLEGAL_STATUS, false],
    [COMPLETE, REJECT, review, ILLEGAL_STATUS, false],
    [PROCESSING, REJECT, review, NOT_REJECTABLE, false],
    [REVIEWING, REJECT, review, POST_REVIEW_PROCESSING, false],
    [POST_REVIEW_PROCESSING, REJECT, review, NOT_REJECTABLE, false],
    [ABORTED, REJECT, review, NOT_REJECTABLE, false],
  );
}

describe('nextTaskStatus (spec §3.4)', () => {
  it('has a row for every status × action × review-needed', () => {
    const statuses = Object.values(TaskStatus).filter((v) => typeof v === 'number');
    expect(cells).toHaveLength(statuses.length * Object.values(SubmitAction).length * 2);
  });

  it.each(
    cells.map(([status, action, review, expected, samples]) => ({
      status: TaskStatus[status],
      action,
      review,
      expected,
      samples,
      s: status,
    })),
  )('$status + $action (review needed: $review)', ({ s, action, review, expected, samples }) => {
    const needsReview = vi.fn(() => review);
    if (typeof expected === 'number') {
      expect(TaskStatus[nextTaskStatus(s, action, needsReview)]).toBe(TaskStatus[expected]);
    } else {
      expect(caught(() => nextTaskStatus(s, action, needsReview))).toMatchObject(expected);
    }
    expect(needsReview).toHaveBeenCalledTimes(samples ? 1 : 0);
  });

  it('maps actions to iteration statuses and receiving levels', () => {
    expect(iterationStatusFor(SUBMIT)).toBe(IterationStatus.REQUESTED_REVIEW);
    expect(iterationStatusFor(ACCEPT)).toBe(IterationStatus.REQUESTED_REVIEW);
    expect(iterationStatusFor(REJECT)).toBe(IterationStatus.PROVIDED_REVIEW);
    expect(receivingLevel(REVIEWING, 1)).toBe(2);
    expect(receivingLevel(POST_REVIEW_PROCESSING, 2)).toBe(1);
    expect(receivingLevel(PENDING_REVIEW, 0)).toBeNull();
    expect(receivingLevel(COMPLETE, 3)).toBeNull();
  });
});

// ---- review policy (spec §2.4, §3.6) ----------------------------------------------------

const sampled = (rate: number, maxReviews: number): ReviewPolicy => ({ policy: 'sampled_review', rate, maxReviews });

describe('reviewNeeded (spec §2.4)', () => {
  it.each<[string, ReviewPolicy, number, number | null, boolean]>([
    // name, policy, live assignments, draw (null = no draw may be taken), expected
    ['no_review never reviews', { policy: 'no_review' }, 1, null, false],
    ['no_review at a reviewer level', { policy: 'no_review' }, 3, null, false],
    ['rate 1 reviews on any draw', sampled(1, 1), 1, 0.999999, true],
    ['rate 1 reviews on draw 0', sampled(1, 1), 1, 0, true],
    ['rate 0 never reviews, even on draw 0', sampled(0, 1), 1, 0, false],
    ['rate 0.5, draw below', sampled(0.5, 1), 1, 0.49, true],
    ['rate 0.5, draw at the rate', sampled(0.5, 1), 1, 0.5, false],
    ['rate 0.5, draw above', sampled(0.5, 1), 1, 0.51, false],
    ['max 1: entry level goes up (1 > 0)', sampled(1, 1), 1, 0.1, true],
    ['max 1: first reviewer completes (1 > 1 false)', sampled(1, 1), 2, null, false],
    ['max 2: first reviewer goes up (2 > 1)', sampled(1, 2), 2, 0.1, true],
    ['max 2: second reviewer completes (2 > 2 false)', sampled(1, 2), 3, null, false],
    ['max 3: re-rolled at the second level, draw above', sampled(0.5, 3), 2, 0.7, false],
    ['max 0: never reviewed', sampled(1, 0), 1, null, false],
  ])('%s', (_name, policy, live, draw, expected) => {
    const random = vi.fn(() => draw ?? 0);
    expect(reviewNeeded(policy, live, random)).toBe(expected);
    // No draw is consumed when the cap (or no_review) already decides: queued test draws stay in step.
    expect(random).toHaveBeenCalledTimes(draw === null ? 0 : 1);
  });

  it.each<[string, unknown]>([
    ['empty policy', {}],
    ['unknown policy name', { policy: 'always_review' }],
    ['sampled_review without rate', { policy: 'sampled_review', maxReviews: 1 }],
    ['sampled_review without maxReviews', { policy: 'sampled_review', rate: 1 }],
    ['sampled_review with a string rate', { policy: 'sampled_review', rate: '1', maxReviews: 1 }],
    ['sampled_review with the original snake_case key', { policy: 'sampled_review', rate: 1, max_reviews: 1 }],
  ])('malformed (%s) → REVIEW_POLICY_ERROR', (_name, policy) => {
    expect(caught(() => reviewNeeded(policy as ReviewPolicy, 1, () => 0))).toMatchObject({
      code: ErrorCode.REVIEW_POLICY_ERROR,
      message: 'Review policy incorrectly specified.',
    });
  });
});

// ---- certification (spec §3.2, DESIGN deliberate difference) ------------------------------

const cert = (
  certificationId: number,
  role: CertificationRole,
  taskClass: TaskClass = TaskClass.REAL,
): HeldCertification => ({ certificationId, role, taskClass });

describe('isCertified (spec §3.2)', () => {
  it.each<[string, number[], HeldCertification[], CertificationRole, TaskClass, boolean]>([
    ['no requirements: anyone, even without certifications', [], [], ENTRY_LEVEL, TaskClass.REAL, true],
    ['no requirements: any level, including review', [], [], REVIEWER, TaskClass.REAL, true],
    ['no requirements: training project too', [], [], REVIEWER, TaskClass.TRAINING, true],
    ['holds the one entry-level certification', [1], [cert(1, ENTRY_LEVEL)], ENTRY_LEVEL, TaskClass.REAL, true],
    ['holds nothing', [1], [], ENTRY_LEVEL, TaskClass.REAL, false],
    ['holds another certification', [1], [cert(2, ENTRY_LEVEL)], ENTRY_LEVEL, TaskClass.REAL, false],
    [
      'entry-level certification does not qualify for review',
      [1],
      [cert(1, ENTRY_LEVEL)],
      REVIEWER,
      TaskClass.REAL,
      false,
    ],
    [
      'reviewer certification qualifies for review',
      [1],
      [cert(1, ENTRY_LEVEL), cert(1, REVIEWER)],
      REVIEWER,
      TaskClass.REAL,
      true,
    ],
    [
      'roles are exact: reviewer alone does not qualify for entry level',
      [1],
      [cert(1, REVIEWER)],
      ENTRY_LEVEL,
      TaskClass.REAL,
      false,
    ],
    ['every required certification is needed', [1, 2], [cert(1, ENTRY_LEVEL)], ENTRY_LEVEL, TaskClass.REAL, false],
    [
      'all required certifications held',
      [1, 2],
      [cert(1, ENTRY_LEVEL), cert(2, ENTRY_LEVEL)],
      ENTRY_LEVEL,
      TaskClass.REAL,
      true,
    ],
    [
      'both held but one only as entry level, asked for review',
      [1, 2],
      [cert(1, REVIEWER), cert(2, ENTRY_LEVEL)],
      REVIEWER,
      TaskClass.REAL,
      false,
    ],
    [
      'REAL project refuses a TRAINING certification',
      [1],
      [cert(1, ENTRY_LEVEL, TaskClass.TRAINING)],
      ENTRY_LEVEL,
      TaskClass.REAL,
      false,
    ],
    [
      'TRAINING project accepts a TRAINING certification',
      [1],
      [cert(1, ENTRY_LEVEL, TaskClass.TRAINING)],
      ENTRY_LEVEL,
      TaskClass.TRAINING,
      true,
    ],
    [
      'TRAINING project accepts a REAL certification',
      [1],
      [cert(1, ENTRY_LEVEL, TaskClass.REAL)],
      ENTRY_LEVEL,
      TaskClass.TRAINING,
      true,
    ],
    [
      'REAL project: one REAL and one TRAINING certification is not enough',
      [1, 2],
      [cert(1, ENTRY_LEVEL), cert(2, ENTRY_LEVEL, TaskClass.TRAINING)],
      ENTRY_LEVEL,
      TaskClass.REAL,
      false,
    ],
    [
      'TRAINING project: mixed classes are enough',
      [1, 2],
      [cert(1, ENTRY_LEVEL), cert(2, ENTRY_LEVEL, TaskClass.TRAINING)],
      ENTRY_LEVEL,
      TaskClass.TRAINING,
      true,
    ],
    [
      'TRAINING reviewer certification, REAL project',
      [1],
      [cert(1, ENTRY_LEVEL), cert(1, REVIEWER, TaskClass.TRAINING)],
      REVIEWER,
      TaskClass.REAL,
      false,
    ],
  ])('%s', (_name, required, held, role, projectClass, expected) => {
    expect(isCertified(required, held, role, projectClass)).toBe(expected);
  });

  it('maps levels to roles: 0 → entry level, every other level → reviewer', () => {
    expect([0, 1, 2, 5].map(roleForLevel)).toEqual([ENTRY_LEVEL, REVIEWER, REVIEWER, REVIEWER]);
  });
});

// ---- claim (spec §3.3) ----------------------------------------------------------------------

const ME = 7;
const OTHER = 8;
const THIRD = 9;

describe('checkClaim precedence (spec §3.3, §8.16)', () => {
  type Row = [
    name: string,
    status: TaskStatus,
    assignments: { level: number; workerId: number | null }[],
    certifiedFor: CertificationRole[],
    expected: { level: number; role: CertificationRole } | Failure,
  ];
  const STATUS_INCOMPATIBLE = fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.STATUS_INCOMPATIBLE);
  const INCORRECT_STATE = fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.TASK_INCORRECT_STATE);
  const NOT_CERTIFIED = fail(ErrorCode.WORKER_CERTIFICATION_ERROR, Messages.NOT_CERTIFIED_TASK);
  const ALREADY = fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.ALREADY_ASSIGNED);
  const everything = [ENTRY_LEVEL, REVIEWER];

  it.each<Row>([
    // 1. status first, whatever else is wrong
    ...[PROCESSING, REVIEWING, POST_REVIEW_PROCESSING, COMPLETE, ABORTED].map((s): Row => [
      `${TaskStatus[s]}: status incompatible (before certification and already-assigned)`,
      s,
      [{ level: 0, workerId: ME }],
      [],
      STATUS_INCOMPATIBLE,
    ]),
    // 2. an AWAITING task that already has a level-0 assignment, before certification
    [
      'AWAITING with a level-0 assignment, not certified',
      AWAITING_PROCESSING,
      [{ level: 0, workerId: OTHER }],
      [],
      INCORRECT_STATE,
    ],
    [
      'AWAITING with my own level-0 assignment',
      AWAITING_PROCESSING,
      [{ level: 0, workerId: ME }],
      everything,
      INCORRECT_STATE,
    ],
    // 3. certification in the role the status needs, before already-assigned
    ['AWAITING, not certified', AWAITING_PROCESSING, [], [], NOT_CERTIFIED],
    ['AWAITING, certified only as reviewer', AWAITING_PROCESSING, [], [REVIEWER], NOT_CERTIFIED],
    [
      'PENDING_REVIEW, certified only as entry level',
      PENDING_REVIEW,
      [{ level: 0, workerId: OTHER }],
      [ENTRY_LEVEL],
      NOT_CERTIFIED,
    ],
    [
      'PENDING_REVIEW, entry-level worker of this task re-claiming: certification error first',
      PENDING_REVIEW,
      [{ level: 0, workerId: ME }],
      [ENTRY_LEVEL],
      NOT_CERTIFIED,
    ],
    // 4. already on the task
    [
      'PENDING_REVIEW, certified reviewer already at level 0',
      PENDING_REVIEW,
      [{ level: 0, workerId: ME }],
      everything,
      ALREADY,
    ],
    [
      'PENDING_REVIEW, certified reviewer already at level 1',
      PENDING_REVIEW,
      [
        { level: 0, workerId: OTHER },
        { level: 1, workerId: ME },
      ],
      everything,
      ALREADY,
    ],
    // success: level = number of live assignments
    [
      'AWAITING, certified entry level → level 0',
      AWAITING_PROCESSING,
      [],
      [ENTRY_LEVEL],
      { level: 0, role: ENTRY_LEVEL },
    ],
    [
      'PENDING_REVIEW after level 0 → level 1',
      PENDING_REVIEW,
      [{ level: 0, workerId: OTHER }],
      [REVIEWER],
      { level: 1, role: REVIEWER },
    ],
    [
      'PENDING_REVIEW after levels 0, 1 → level 2',
      PENDING_REVIEW,
      [
        { level: 0, workerId: OTHER },
        { level: 1, workerId: THIRD },
      ],
      [REVIEWER],
      { level: 2, role: REVIEWER },
    ],
  ])('%s', (_name, taskStatus, assignments, certifiedFor, expected) => {
    const certified = vi.fn((role: CertificationRole) => certifiedFor.includes(role));
    const facts = { taskStatus, assignments, workerId: ME, certified };
    if ('code' in expected) expect(caught(() => checkClaim(facts))).toMatchObject(expected);
    else expect(checkClaim(facts)).toEqual(expected);
  });

  it('asks for the role the status needs, once', () => {
    const certified = vi.fn(() => true);
    checkClaim({ taskStatus: AWAITING_PROCESSING, assignments: [], workerId: ME, certified });
    checkClaim({ taskStatus: PENDING_REVIEW, assignments: [{ level: 0, workerId: OTHER }], workerId: ME, certified });
    expect(certified.mock.calls).toEqual([[ENTRY_LEVEL], [REVIEWER]]);
  });
});

describe('checkWorkerMayTakeWork (spec §3.17, DESIGN cap)', () => {
  it.each<[string, { hasReturnedWork: boolean; inProgress: number; maxInProgress: number }, Failure | null]>([
    ['nothing held', { hasReturnedWork: false, inProgress: 0, maxInProgress: 3 }, null],
    ['under the cap', { hasReturnedWork: false, inProgress: 2, maxInProgress: 3 }, null],
    [
      'at the cap',
      { hasReturnedWork: false, inProgress: 3, maxInProgress: 3 },
      fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.MAX_TASKS),
    ],
    [
      'over the cap',
      { hasReturnedWork: false, inProgress: 4, maxInProgress: 3 },
      fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.MAX_TASKS),
    ],
    [
      'cap of 1, one held',
      { hasReturnedWork: false, inProgress: 1, maxInProgress: 1 },
      fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.MAX_TASKS),
    ],
    [
      'returned work waits',
      { hasReturnedWork: true, inProgress: 1, maxInProgress: 3 },
      fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.PENDING_FEEDBACK),
    ],
    [
      'returned work and at the cap: returned work first',
      { hasReturnedWork: true, inProgress: 3, maxInProgress: 3 },
      fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.PENDING_FEEDBACK),
    ],
  ])('%s', (_name, facts, expected) => {
    if (expected) expect(caught(() => checkWorkerMayTakeWork(facts))).toMatchObject(expected);
    else expect(() => checkWorkerMayTakeWork(facts)).not.toThrow();
  });
});

// ---- submit (spec §3.5) ---------------------------------------------------------------------

describe('checkSubmit order (spec §3.5)', () => {
  const P = { status: AssignmentStatus.PROCESSING };
  const S = { status: AssignmentStatus.SUBMITTED };
  const F = { status: AssignmentStatus.FAILED };
  it.each<[string, TaskStatus, boolean, { status: AssignmentStatus }[], Failure | null]>([
    [
      'prerequisites first, even on a completed task without my assignment',
      COMPLETE,
      false,
      [],
      fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.SUBMISSION_PREREQUISITES),
    ],
    [
      'prerequisites incomplete on a processing task',
      PROCESSING,
      false,
      [P],
      fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.SUBMISSION_PREREQUISITES),
    ],
    [
      'completed task, before the assignment checks',
      COMPLETE,
      true,
      [],
      fail(ErrorCode.TASK_STATUS_ERROR, Messages.ALREADY_COMPLETED),
    ],
    [
      'completed task with my submitted assignment',
      COMPLETE,
      true,
      [S],
      fail(ErrorCode.TASK_STATUS_ERROR, Messages.ALREADY_COMPLETED),
    ],
    ['no assignment of mine', PROCESSING, true, [], fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.BROKEN_STATE)],
    ['two assignments of mine', REVIEWING, true, [P, S], fail(ErrorCode.TASK_ASSIGNMENT_ERROR, Messages.BROKEN_STATE)],
    [
      'my assignment is submitted',
      PENDING_REVIEW,
      true,
      [S],
      fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.NOT_ALLOWED_SUBMIT),
    ],
    [
      'my assignment failed',
      PROCESSING,
      true,
      [F],
      fail(ErrorCode.ILLEGAL_TASK_SUBMISSION, Messages.NOT_ALLOWED_SUBMIT),
    ],
    ['my assignment is processing', PROCESSING, true, [P], null],
    [
      'aborted task, assignment still processing: passes here, refused by nextTaskStatus (T18)',
      ABORTED,
      true,
      [P],
      null,
    ],
  ])('%s', (_name, taskStatus, submissionPrerequisitesComplete, workerAssignments, expected) => {
    const facts = { taskStatus, submissionPrerequisitesComplete, workerAssignments };
    if (expected) expect(caught(() => checkSubmit(facts))).toMatchObject(expected);
    else expect(() => checkSubmit(facts)).not.toThrow();
  });
});

// ---- revert (spec §3.16) --------------------------------------------------------------------

/**
 * The two-level walk of spec §3.5 stopped while the second reviewer re-reviews: assignments A0, A1, A2;
 * iterations i0 (A0 up), i1 (A1 up), i2 (A2 down), i3 (A1 up again), i4 (A2, processing). Task REVIEWING.
 */
const A0 = 100;
const A1 = 101;
const A2 = 102;
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));
const walk: RevertIteration[] = [
  { id: 10, assignmentId: A0, status: IterationStatus.REQUESTED_REVIEW, start: at(0) },
  { id: 11, assignmentId: A1, status: IterationStatus.REQUESTED_REVIEW, start: at(1) },
  { id: 12, assignmentId: A2, status: IterationStatus.PROVIDED_REVIEW, start: at(2) },
  { id: 13, assignmentId: A1, status: IterationStatus.REQUESTED_REVIEW, start: at(3) },
  { id: 14, assignmentId: A2, status: IterationStatus.PROCESSING, start: at(4) },
];

describe('planRevert (spec §3.16)', () => {
  type Row = [
    name: string,
    target: number,
    before: boolean,
    iterations: RevertChange[],
    assignments: [number, number, number],
    status: TaskStatus,
  ];
  it.each<Row>([
    // revert to an iteration: it is reset, later ones go; the status is read from what remains
    [
      'to the first iteration: only it remains → PROCESSING',
      10,
      false,
      [REVERTED, DELETED, DELETED, DELETED, DELETED],
      [REVERTED, DELETED, DELETED],
      PROCESSING,
    ],
    [
      "to the first reviewer's first iteration: second-newest went up → REVIEWING",
      11,
      false,
      [UNCHANGED, REVERTED, DELETED, DELETED, DELETED],
      [UNCHANGED, REVERTED, DELETED],
      REVIEWING,
    ],
    [
      "to the second reviewer's rejection → REVIEWING",
      12,
      false,
      [UNCHANGED, UNCHANGED, REVERTED, DELETED, DELETED],
      [UNCHANGED, REVERTED, REVERTED],
      REVIEWING,
    ],
    [
      'to the fix after the rejection: second-newest came down → POST_REVIEW_PROCESSING',
      13,
      false,
      [UNCHANGED, UNCHANGED, UNCHANGED, REVERTED, DELETED],
      [UNCHANGED, REVERTED, REVERTED],
      POST_REVIEW_PROCESSING,
    ],
    [
      'to the open iteration: nothing deleted',
      14,
      false,
      [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED, REVERTED],
      [UNCHANGED, UNCHANGED, REVERTED],
      REVIEWING,
    ],
    // revert before the first iteration of an assignment: it and everything after go
    [
      'before the very first iteration: nothing remains → AWAITING_PROCESSING',
      10,
      true,
      [DELETED, DELETED, DELETED, DELETED, DELETED],
      [DELETED, DELETED, DELETED],
      AWAITING_PROCESSING,
    ],
    [
      'before the first reviewer → PENDING_REVIEW',
      11,
      true,
      [UNCHANGED, DELETED, DELETED, DELETED, DELETED],
      [UNCHANGED, DELETED, DELETED],
      PENDING_REVIEW,
    ],
    [
      'before the second reviewer → PENDING_REVIEW, first reviewer reverted',
      12,
      true,
      [UNCHANGED, UNCHANGED, DELETED, DELETED, DELETED],
      [UNCHANGED, REVERTED, DELETED],
      PENDING_REVIEW,
    ],
  ])('%s', (_name, target, before, iterations, assignments, status) => {
    const plan = planRevert(walk, target, before, REVIEWING);
    expect(walk.map((i) => plan.iterations.get(i.id))).toEqual(iterations);
    expect([A0, A1, A2].map((a) => plan.assignments.get(a))).toEqual(assignments);
    expect(TaskStatus[plan.revertedStatus]).toBe(TaskStatus[status]);
  });

  it.each<[string, number, boolean, TaskStatus, Failure]>([
    [
      'before a non-first iteration of its assignment',
      13,
      true,
      REVIEWING,
      fail(ErrorCode.INVALID_REVERT_ERROR, Messages.REVERT_BEFORE_NOT_FIRST),
    ],
    [
      'before the open non-first iteration',
      14,
      true,
      REVIEWING,
      fail(ErrorCode.INVALID_REVERT_ERROR, Messages.REVERT_BEFORE_NOT_FIRST),
    ],
    ['an aborted task', 11, false, ABORTED, fail(ErrorCode.INVALID_REVERT_ERROR, 'Cannot revert aborted task.')],
    [
      'an aborted task, before a first iteration',
      11,
      true,
      ABORTED,
      fail(ErrorCode.INVALID_REVERT_ERROR, 'Cannot revert aborted task.'),
    ],
    [
      'an aborted task, before a non-first iteration: the non-first check comes first',
      13,
      true,
      ABORTED,
      fail(ErrorCode.INVALID_REVERT_ERROR, Messages.REVERT_BEFORE_NOT_FIRST),
    ],
    [
      'an iteration of another task',
      99,
      false,
      REVIEWING,
      fail(ErrorCode.INVALID_REVERT_ERROR, 'Iteration does not belong to this task.'),
    ],
  ])('refuses %s', (_name, target, before, status, expected) => {
    expect(caught(() => planRevert(walk, target, before, status))).toMatchObject(expected);
  });

  it('the message for a non-first iteration is the original one', () => {
    expect(Messages.REVERT_BEFORE_NOT_FIRST).toBe(
      "Cannot revert before an iteration that isn't the first of its assignment.",
    );
  });

  it('orders by start time, not by input order or id; equal starts by id', () => {
    const shuffled = [walk[3]!, walk[0]!, walk[4]!, walk[2]!, walk[1]!];
    const a = planRevert(walk, 12, false, REVIEWING);
    const b = planRevert(shuffled, 12, false, REVIEWING);
    expect([...b.iterations.entries()].sort()).toEqual([...a.iterations.entries()].sort());
    expect(b.revertedStatus).toBe(a.revertedStatus);
    // Ids out of start order: the iteration with the larger id but earlier start is older.
    const reordered: RevertIteration[] = [
      { id: 2, assignmentId: A0, status: IterationStatus.REQUESTED_REVIEW, start: at(0) },
      { id: 1, assignmentId: A1, status: IterationStatus.PROCESSING, start: at(1) },
    ];
    const plan = planRevert(reordered, 2, false, REVIEWING);
    expect(plan.iterations.get(1)).toBe(DELETED);
    expect(plan.revertedStatus).toBe(PROCESSING);
    // Same start (same millisecond): the lower id is older, so reverting to id 1 deletes id 2.
    const tied = reordered.map((i) => ({ ...i, start: at(0) }));
    expect(planRevert(tied, 1, false, REVIEWING).iterations.get(2)).toBe(DELETED);
    expect(planRevert(tied, 2, false, REVIEWING).iterations.get(1)).toBe(UNCHANGED);
  });

  it('works on a completed task (the last iteration went up)', () => {
    const done: RevertIteration[] = [...walk.slice(0, 4), { ...walk[4]!, status: IterationStatus.REQUESTED_REVIEW }];
    const plan = planRevert(done, 14, false, COMPLETE);
    expect(plan.revertedStatus).toBe(REVIEWING);
    expect(plan.assignments.get(A2)).toBe(REVERTED);
  });
});

// ---- dashboard (spec §3.18) -----------------------------------------------------------------

describe('dashboardState (spec §3.18)', () => {
  const P = AssignmentStatus.PROCESSING;
  const S = AssignmentStatus.SUBMITTED;
  const { ACTIVE, PAUSED, COMPLETED } = ProjectStatus;
  type Row = [
    name: string,
    assignment: AssignmentStatus,
    level: number,
    task: TaskStatus,
    project: ProjectStatus,
    lowerProcessing: boolean,
    expected: DashboardState | null,
  ];
  it.each<Row>([
    // returned
    [
      'returned: processing, task sent back to me',
      P,
      1,
      POST_REVIEW_PROCESSING,
      ACTIVE,
      false,
      DashboardState.RETURNED,
    ],
    ['returned: entry level sent back', P, 0, POST_REVIEW_PROCESSING, ACTIVE, false, DashboardState.RETURNED],
    // in_progress
    ['in progress: entry level processing', P, 0, PROCESSING, ACTIVE, false, DashboardState.IN_PROGRESS],
    ['in progress: reviewer reviewing', P, 1, REVIEWING, ACTIVE, false, DashboardState.IN_PROGRESS],
    // pending_review
    [
      'pending review: submitted, waiting for a reviewer',
      S,
      0,
      PENDING_REVIEW,
      ACTIVE,
      false,
      DashboardState.PENDING_REVIEW,
    ],
    [
      'pending review: submitted, a reviewer above is working',
      S,
      0,
      REVIEWING,
      ACTIVE,
      false,
      DashboardState.PENDING_REVIEW,
    ],
    // pending_processing
    [
      'pending processing: sent back below me',
      S,
      2,
      POST_REVIEW_PROCESSING,
      ACTIVE,
      true,
      DashboardState.PENDING_PROCESSING,
    ],
    [
      'pending processing: task reviewing but a lower level processes',
      S,
      1,
      REVIEWING,
      ACTIVE,
      true,
      DashboardState.PENDING_PROCESSING,
    ],
    // paused
    ['paused: processing in a paused project', P, 0, PROCESSING, PAUSED, false, DashboardState.PAUSED],
    ['paused: returned work in a paused project', P, 1, POST_REVIEW_PROCESSING, PAUSED, false, DashboardState.PAUSED],
    [
      'paused: submitted work of a paused project shows as paused (the original showed it nowhere)',
      S,
      0,
      PENDING_REVIEW,
      PAUSED,
      false,
      DashboardState.PAUSED,
    ],
    // complete
    ['complete: task complete', S, 0, COMPLETE, ACTIVE, false, DashboardState.COMPLETE],
    ['complete: task complete in a paused project', S, 1, COMPLETE, PAUSED, false, DashboardState.COMPLETE],
    ['complete: processing in a completed project', P, 0, PROCESSING, COMPLETED, false, DashboardState.COMPLETE],
    ['complete: submitted in a completed project', S, 0, PENDING_REVIEW, COMPLETED, false, DashboardState.COMPLETE],
    // nowhere
    ['nowhere: aborted task', P, 0, ABORTED, ACTIVE, false, null],
    ['nowhere: aborted task, even in a completed project', S, 0, ABORTED, COMPLETED, false, null],
    ['nowhere: open task of an aborted project', P, 0, PROCESSING, ProjectStatus.ABORTED, false, null],
    ['nowhere: failed assignment', AssignmentStatus.FAILED, 0, PROCESSING, ACTIVE, false, null],
  ])('%s', (_name, assignmentStatus, level, taskStatus, projectStatus, lowerLevelProcessing, expected) => {
    expect(dashboardState({ assignmentStatus, level, taskStatus, projectStatus, lowerLevelProcessing })).toBe(expected);
  });
});

// ---- properties -----------------------------------------------------------------------------

/** The statuses §3.4 allows after an action from each status (errors excluded). */
const ALLOWED: Record<TaskStatus, Record<SubmitAction, TaskStatus[]>> = {
  [AWAITING_PROCESSING]: { SUBMIT: [], ACCEPT: [], REJECT: [] },
  [PENDING_REVIEW]: { SUBMIT: [], ACCEPT: [], REJECT: [] },
  [COMPLETE]: { SUBMIT: [], ACCEPT: [], REJECT: [] },
  [ABORTED]: { SUBMIT: [], ACCEPT: [], REJECT: [] },
  [PROCESSING]: { SUBMIT: [PENDING_REVIEW, COMPLETE], ACCEPT: [PENDING_REVIEW, COMPLETE], REJECT: [] },
  [REVIEWING]: {
    SUBMIT: [PENDING_REVIEW, COMPLETE],
    ACCEPT: [PENDING_REVIEW, COMPLETE],
    REJECT: [POST_REVIEW_PROCESSING],
  },
  [POST_REVIEW_PROCESSING]: { SUBMIT: [REVIEWING], ACCEPT: [REVIEWING], REJECT: [] },
};

interface SimIteration extends RevertIteration {
  level: number;
  /** Task status just before / just after this iteration began. */
  statusBefore: TaskStatus;
  statusAfter: TaskStatus;
}

type Move = { kind: 'claim' } | { kind: 'act'; action: SubmitAction; draw: number };

/**
 * Plays a random sequence of claims and submissions through the rules alone (a task model with
 * levels and iterations), checking each step against the §3.4 table; returns the iterations.
 */
function simulate(moves: Move[], policy: ReviewPolicy): { iterations: SimIteration[]; status: TaskStatus } {
  let status: TaskStatus = AWAITING_PROCESSING;
  const assignments: { id: number; level: number; workerId: number; status: AssignmentStatus }[] = [];
  const iterations: SimIteration[] = [];
  let clock = 0;
  const begin = (assignment: { id: number; level: number }, before: TaskStatus, after: TaskStatus) =>
    iterations.push({
      id: iterations.length + 1,
      assignmentId: assignment.id,
      level: assignment.level,
      status: IterationStatus.PROCESSING,
      start: new Date(clock++),
      statusBefore: before,
      statusAfter: after,
    });

  for (const move of moves) {
    if (status === COMPLETE) break;
    if (move.kind === 'claim') {
      const workerId = assignments.length + 1;
      let claimed: { level: number } | null;
      try {
        claimed = checkClaim({ taskStatus: status, assignments, workerId, certified: () => true });
      } catch (error) {
        expect(error).toMatchObject({ code: ErrorCode.TASK_ASSIGNMENT_ERROR });
        expect([AWAITING_PROCESSING, PENDING_REVIEW]).not.toContain(status);
        continue;
      }
      const assignment = {
        id: 1000 + assignments.length,
        level: claimed.level,
        workerId,
        status: AssignmentStatus.PROCESSING,
      };
      assignments.push(assignment);
      const before = status;
      status = claimed.level === 0 ? PROCESSING : REVIEWING;
      begin(assignment, before, status);
      continue;
    }
    const current = assignments.find((a) => a.status === AssignmentStatus.PROCESSING);
    let next: TaskStatus;
    try {
      next = nextTaskStatus(status, move.action, () => reviewNeeded(policy, assignments.length, () => move.draw));
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.ILLEGAL_TASK_SUBMISSION });
      expect(ALLOWED[status][move.action]).toEqual([]);
      continue;
    }
    expect(ALLOWED[status][move.action]).toContain(next);
    // Only statuses with a worker at work accept submissions.
    expect(current).toBeDefined();
    current!.status = AssignmentStatus.SUBMITTED;
    iterations[iterations.length - 1]!.status = iterationStatusFor(move.action);
    const before = status;
    status = next;
    const receiving = receivingLevel(next, current!.level);
    if (receiving !== null) {
      const target = assignments.find((a) => a.level === receiving);
      expect(target).toBeDefined();
      target!.status = AssignmentStatus.PROCESSING;
      begin(target!, before, next);
    }
    // At most one assignment processes at a time; levels are 0..n-1.
    expect(assignments.filter((a) => a.status === AssignmentStatus.PROCESSING).length).toBeLessThanOrEqual(1);
    expect(assignments.map((a) => a.level)).toEqual(assignments.map((_, i) => i));
  }
  return { iterations, status };
}

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  fc.constant<Move>({ kind: 'claim' }),
  fc.record({
    kind: fc.constant('act' as const),
    action: fc.constantFrom(SUBMIT, ACCEPT, REJECT),
    draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  }),
);
const policyArb: fc.Arbitrary<ReviewPolicy> = fc.oneof(
  fc.constant<ReviewPolicy>({ policy: 'no_review' }),
  fc.record({
    policy: fc.constant('sampled_review' as const),
    rate: fc.constantFrom(0, 0.5, 1),
    maxReviews: fc.integer({ min: 0, max: 3 }),
  }),
);

describe('properties', () => {
  it('random walks only ever reach statuses the §3.4 table allows', () => {
    fc.assert(
      fc.property(fc.array(moveArb, { maxLength: 40 }), policyArb, (moves, policy) => {
        simulate(moves, policy);
      }),
      { numRuns: 300 },
    );
  });

  it('reverting a random walk is consistent: assignments follow their iterations, and the status is the one the task had then', () => {
    fc.assert(
      fc.property(
        fc.array(moveArb, { minLength: 1, maxLength: 40 }),
        policyArb,
        fc.nat(),
        fc.boolean(),
        (moves, policy, pick, before) => {
          const { iterations, status } = simulate(moves, policy);
          fc.pre(iterations.length > 0);
          const target = iterations[pick % iterations.length]!;
          const firstOfAssignment = iterations.find((i) => i.assignmentId === target.assignmentId) === target;
          if (before && !firstOfAssignment) {
            expect(caught(() => planRevert(iterations, target.id, true, status))).toMatchObject({
              code: ErrorCode.INVALID_REVERT_ERROR,
              message: Messages.REVERT_BEFORE_NOT_FIRST,
            });
            return;
          }
          const plan = planRevert(iterations, target.id, before, status);
          const index = iterations.indexOf(target);
          // Iterations: everything after the target goes; the target is reset (or goes, reverting before it).
          iterations.forEach((it, i) => {
            const expected = i < index ? UNCHANGED : i > index ? DELETED : before ? DELETED : REVERTED;
            expect(plan.iterations.get(it.id)).toBe(expected);
          });
          // Assignments: DELETED iff all their iterations go, REVERTED iff some change, else UNCHANGED.
          for (const assignmentId of new Set(iterations.map((i) => i.assignmentId))) {
            const own = iterations.filter((i) => i.assignmentId === assignmentId).map((i) => plan.iterations.get(i.id));
            const expected = own.every((c) => c === DELETED)
              ? DELETED
              : own.some((c) => c !== UNCHANGED)
                ? REVERTED
                : UNCHANGED;
            expect(plan.assignments.get(assignmentId)).toBe(expected);
          }
          // Deleted assignments are the top levels: what remains is levels 0..k.
          const remainingLevels = [
            ...new Set(iterations.filter((i) => plan.iterations.get(i.id) !== DELETED).map((i) => i.level)),
          ].sort();
          expect(remainingLevels).toEqual(remainingLevels.map((_, i) => i));
          // The status is the one the task had when the target began (or just before, reverting before it).
          expect(TaskStatus[plan.revertedStatus]).toBe(TaskStatus[before ? target.statusBefore : target.statusAfter]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
