// Domain events, written to the outbox table in the transaction that causes them: a rolled-back
// change leaves no event, a committed one always has its events (see DESIGN "Events are durable").
// The rows are those of the DomainEventRow entity (event.entity.ts), written here with plain SQL.
// Event types and payloads are in kernel/events.ts.
import type { EntityManager } from '@mikro-orm/postgresql';
import { withCommit } from '../db/round-trips.js';
import type { EventInput } from '../kernel/events.js';

/** The channel a payload-free NOTIFY wakes relays on; the outbox table stays the source of truth. */
export const EVENTS_CHANNEL = 'orchestra_events';

/**
 * Inserts the transaction's events and wakes relays (NOTIFY is delivered at commit, never after rollback).
 * One statement: a multi-row INSERT (ids follow the order of `events`, as the stream's (tx_id, id) order
 * needs) in a CTE, and the NOTIFY. The rows are written as the entity would write them (JSON payload,
 * created_at taken now in this process, tx_id by its column default), but without the unit of work:
 * nothing reads the event entities back, and a second flush per use case cost CPU for no gain. A
 * prepared statement (one per number of events: the text is the same for the same number), sent with the
 * transaction's COMMIT in one round trip (db/round-trips.ts `withCommit`).
 */
export async function writeEvents(em: EntityManager, events: readonly EventInput[], actor: string): Promise<void> {
  if (events.length === 0) return;
  const createdAt = new Date().toISOString();
  const params: unknown[] = [];
  for (const e of events)
    params.push(e.type, e.projectId, e.taskId ?? null, JSON.stringify(e.payload), actor, createdAt);
  await withCommit(
    em,
    `with inserted as (insert into domain_event (type, project_id, task_id, payload, actor, created_at) values ${events.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')} returning 1)
     select pg_notify('${EVENTS_CHANNEL}', '')`,
    params,
  );
}
