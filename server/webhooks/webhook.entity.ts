// Webhooks: an integrator's (or an admin's) URL that committed events are POSTed to, signed with the
// webhook's secret; and each delivery of an event to it with its outcome.
import 'reflect-metadata';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { ApiKey } from '../auth/auth.entity.js';
import { Worker } from '../workers/worker.entity.js';

@ObjectType({ description: 'A URL that committed events are POSTed to, signed (see the README: webhooks).' })
@Entity()
export class Webhook {
  [OptionalProps]?: 'createdAt' | 'deletedAt' | 'apiKey' | 'createdBy' | 'workflowSlug';
  @Field(() => ID) @PrimaryKey() id!: number;
  /** The integrator key that owns it (null: an admin's). Its deliveries are that key's to list. */
  @ManyToOne(() => ApiKey, { nullable: true, deleteRule: 'cascade' }) apiKey: Rel<ApiKey> | null = null;
  @Field() @Property({ type: 'text' }) url!: string;
  @Property({ type: 'text', hidden: true }) secret!: string;
  @Field(() => String, { nullable: true, description: "Only events of this workflow's projects (null: all)." })
  @Property({ length: 200, nullable: true })
  workflowSlug: string | null = null;
  @ManyToOne(() => Worker, { nullable: true, deleteRule: 'set null' }) createdBy: Rel<Worker> | null = null;
  @Field() @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Field(() => Date, { nullable: true }) @Property({ type: 'datetime', nullable: true }) deletedAt: Date | null = null;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

@ObjectType({ description: 'One event sent (or to be sent) to one webhook.' })
@Entity()
export class WebhookDelivery {
  [OptionalProps]?: 'status' | 'attempts' | 'lastStatus' | 'lastError' | 'createdAt' | 'lastAttemptAt' | 'deliveredAt';
  @Field(() => ID) @PrimaryKey({ type: 'bigint' }) id!: string;
  @ManyToOne(() => Webhook, { deleteRule: 'cascade' }) webhook!: Rel<Webhook>;
  @Field(() => ID) @Property({ type: 'bigint' }) eventId!: string;
  @Property({ type: 'text', columnType: 'xid8' }) eventTxId!: string;
  @Field() @Property({ length: 64 }) eventType!: string;
  @Field(() => ID, { nullable: true }) @Property({ nullable: true }) projectId: number | null = null;
  @Field(() => String, {
    description: 'PENDING (being sent or retried), DELIVERED (a 2xx answer), FAILED (retries used up).',
  })
  @Property({ length: 12 })
  status: DeliveryStatus = 'PENDING';
  @Field(() => Int) @Property() attempts: number = 0;
  @Field(() => Int, { nullable: true, description: "The receiver's last HTTP status." })
  @Property({ nullable: true })
  lastStatus: number | null = null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) lastError: string | null = null;
  @Field() @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Field(() => Date, { nullable: true }) @Property({ type: 'datetime', nullable: true }) lastAttemptAt: Date | null =
    null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'datetime', nullable: true }) deliveredAt: Date | null =
    null;
}
