// Every event Orchestra writes, named and typed in one place. A use case emits events into the
// transaction that causes them (the outbox); after commit they reach subscriptions, durable consumers
// (webhooks, notifications, workflow hooks) and the audit trail. Payloads only grow: a field, once
// published, keeps its name and meaning.
import type { AssignmentStatus, ProjectStatus, TaskStatus } from './status.js';

type TaskStatusName = keyof typeof TaskStatus;
type ProjectStatusName = keyof typeof ProjectStatus;
type AssignmentStatusName = keyof typeof AssignmentStatus;

/** Every event that concerns workers names them, so that it reaches them (and only them, of all workers). */
interface Concerns {
  workerIds: number[];
}

export interface EventPayloads {
  'project.created': { workflow: string; version: string; priority: number };
  'project.status_changed': Concerns & { status: ProjectStatusName; previousStatus: ProjectStatusName };
  'task.created': { step: string; status: TaskStatusName; isHuman: boolean };
  'task.assigned': Concerns & { workerId: number; level: number; assignmentId: number };
  'task.reassigned': Concerns & { assignmentId: number; level: number; fromWorkerId: number | null; workerId: number };
  'task.status_changed': Concerns & { status: TaskStatusName; previousStatus: TaskStatusName; step: string };
  /** Work sent up: to review, or to completion. `iterationId`: the iteration it ended. */
  'task.submitted': Concerns & {
    workerId: number;
    level: number;
    action: 'SUBMIT' | 'ACCEPT';
    toLevel: number | null;
    iterationId: number | null;
  };
  /**
   * A reviewer returned the work to the level below. `iterationId` is the reviewer's iteration: its
   * feedback and the data they sent down. `toWorkerId` is the worker who has it back.
   */
  'task.returned': Concerns & {
    workerId: number;
    level: number;
    action: 'REJECT';
    toLevel: number;
    toWorkerId: number | null;
    iterationId: number | null;
    hasFeedback: boolean;
  };
  'task.completed': Concerns & { step: string };
  'task.reverted': Concerns & { iterationId: number; revertBefore: boolean };
  /** A live assignment ended without being submitted (its task was aborted). */
  'assignment.ended': Concerns & { assignmentId: number; level: number; status: AssignmentStatusName };
  'machine.retry_scheduled': { step: string; attempt: number; error: string; runAt: string };
  'machine.failed': { step: string; attempts: number; error: string };
  /** A worker's certifications changed: what they may claim changed with them. */
  'worker.certifications_changed': Concerns & {
    change: 'granted' | 'revoked';
    workflow: string;
    certification: string;
    role: string;
  };
}

export type EventType = keyof EventPayloads;

/** The names, for code that lists or matches them. */
export const EventType = {
  PROJECT_CREATED: 'project.created',
  PROJECT_STATUS_CHANGED: 'project.status_changed',
  TASK_CREATED: 'task.created',
  TASK_ASSIGNED: 'task.assigned',
  TASK_REASSIGNED: 'task.reassigned',
  TASK_STATUS_CHANGED: 'task.status_changed',
  TASK_SUBMITTED: 'task.submitted',
  TASK_RETURNED: 'task.returned',
  TASK_COMPLETED: 'task.completed',
  TASK_REVERTED: 'task.reverted',
  ASSIGNMENT_ENDED: 'assignment.ended',
  MACHINE_STEP_RETRY_SCHEDULED: 'machine.retry_scheduled',
  MACHINE_STEP_FAILED: 'machine.failed',
  WORKER_CERTIFICATIONS_CHANGED: 'worker.certifications_changed',
} as const satisfies Record<string, EventType>;

export const EVENT_TYPES = Object.values(EventType) as EventType[];

/** An event as a use case emits it. */
export type EventInput<T extends EventType = EventType> = {
  [K in T]: { type: K; projectId: number | null; taskId?: number | null; payload: EventPayloads[K] };
}[T];

/** An event as the stream delivers it, after its transaction committed. */
export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: {
    /** `<tx_id>.<id>`: the event's place in the stream; resume with `after: cursor`. */
    cursor: string;
    id: number;
    txId: bigint;
    type: K;
    projectId: number | null;
    taskId: number | null;
    payload: EventPayloads[K];
    /** Who caused it: `worker:<id>`, `integrator:<key id>` or `system`. */
    actor: string;
    occurredAt: Date;
  };
}[T];

/** The workers an event concerns (for project events: every worker in the project). */
export function workerIdsOf(event: { payload: unknown }): number[] {
  const ids = (event.payload as Partial<Concerns> | null)?.workerIds;
  return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
}
