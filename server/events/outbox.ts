// Domain events, written to the outbox table in the transaction that causes them: a rolled-back
// change leaves no event, a committed one always has its events (see DESIGN "Events are durable").
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainEvent } from './event.entity.js';

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
  MACHINE_STEP_FAILED: 'machine.failed',
  MACHINE_STEP_RETRY_SCHEDULED: 'machine.retry_scheduled',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export interface EventInput {
  type: EventType;
  projectId: number | null;
  taskId?: number | null;
  payload?: Record<string, unknown>;
}

/** The channel a payload-free NOTIFY wakes relays on; the outbox table stays the source of truth. */
export const EVENTS_CHANNEL = 'orchestra_events';

/** Inserts the transaction's events and wakes relays (NOTIFY is delivered at commit, never after rollback). */
export async function writeEvents(em: EntityManager, events: readonly EventInput[]): Promise<void> {
  if (events.length === 0) return;
  for (const e of events) {
    em.create(DomainEvent, { type: e.type, projectId: e.projectId, taskId: e.taskId ?? null, payload: e.payload ?? {} });
  }
  await em.flush();
  await em.execute(`select pg_notify('${EVENTS_CHANNEL}', '')`);
}
