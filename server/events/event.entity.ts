// The outbox: each lifecycle transaction inserts the events it causes; a relay publishes them
// after commit, in commit order (see the realtime issue). `txId` is the writing transaction's
// id, so a reader can hold back events of transactions that may still commit.
import 'reflect-metadata';
import { Entity, OptionalProps, Index, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'domain_event' })
@Index({ properties: ['projectId'] })
export class DomainEvent {
  [OptionalProps]?: 'txId' | 'projectId' | 'taskId' | 'payload' | 'createdAt';
  @PrimaryKey({ type: 'bigint' }) id!: string;
  @Property({ columnType: 'xid8', defaultRaw: 'pg_current_xact_id()', persist: false, type: 'string' }) txId?: string;
  @Property({ length: 64 }) type!: string;
  @Property({ type: 'integer', nullable: true }) projectId: number | null = null;
  @Property({ type: 'integer', nullable: true }) taskId: number | null = null;
  @Property({ type: 'json' }) payload: Record<string, unknown> = {};
  @Property({ type: 'datetime', defaultRaw: 'now()' }) createdAt: Date = new Date();
}
