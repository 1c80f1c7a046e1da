// The outbox and the cursors of its durable consumers. Each lifecycle transaction inserts the events
// it causes; relays and consumers read them after commit, in commit order. `txId` is the writing
// transaction's id, so a reader can hold back events of transactions that may still commit.
import 'reflect-metadata';
import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'domain_event' })
export class DomainEventRow {
  [OptionalProps]?: 'txId' | 'projectId' | 'taskId' | 'payload' | 'actor' | 'createdAt';
  @PrimaryKey({ type: 'bigint' }) id!: string;
  @Property({ columnType: 'xid8', defaultRaw: 'pg_current_xact_id()', persist: false, type: 'string' }) txId?: string;
  @Property({ length: 64 }) type!: string;
  @Property({ type: 'integer', nullable: true }) projectId: number | null = null;
  @Property({ type: 'integer', nullable: true }) taskId: number | null = null;
  @Property({ type: 'json' }) payload: Record<string, unknown> = {};
  /** Who caused it: `worker:<id>`, `integrator:<key id>` or `system`. */
  @Property({ type: 'text', default: 'system' }) actor: string = 'system';
  @Property({ type: 'datetime', defaultRaw: 'now()' }) createdAt: Date = new Date();
}

/** Where a durable consumer is in the stream: every event up to (txId, eventId) has been handed to it. */
@Entity({ tableName: 'event_consumer' })
export class EventConsumerRow {
  [OptionalProps]?: 'txId' | 'eventId' | 'updatedAt';
  @PrimaryKey({ type: 'text' }) name!: string;
  @Property({ columnType: 'xid8', type: 'string', defaultRaw: `'0'::xid8` }) txId: string = '0';
  @Property({ type: 'bigint', default: 0 }) eventId: string = '0';
  @Property({ type: 'datetime', defaultRaw: 'now()' }) updatedAt: Date = new Date();
}
