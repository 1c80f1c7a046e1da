// The audit trail over GraphQL: who did what, when, from which status to which — per project, per
// task, per worker — read from the committed events, oldest first, in cursor pages.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { ConnectionType, parseOptionalId, toConnection, type Connection } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { workerOfActor } from '../kernel/actor.js';
import { Worker } from '../workers/worker.entity.js';
import type { StoredEvent } from './cursor.js';

@ObjectType({ description: 'One committed change, with who made it.' })
export class AuditEntry {
  @Field({ description: 'Place in the event stream (also the event’s cursor in subscriptions).' }) eventCursor!: string;
  @Field(() => ID) eventId!: number;
  @Field() type!: string;
  @Field() occurredAt!: Date;
  @Field(() => ID, { nullable: true }) projectId!: number | null;
  @Field(() => ID, { nullable: true }) taskId!: number | null;
  @Field({ description: 'Who: worker:<id>, integrator:<key id> or system.' }) actor!: string;
  @Field(() => String, { nullable: true, description: 'The step, for task events.' }) step!: string | null;
  @Field(() => String, { nullable: true, description: 'The status before, for status changes.' })
  fromStatus!: string | null;
  @Field(() => String, { nullable: true, description: 'The status after, for status changes.' })
  toStatus!: string | null;
  @Field(() => GraphQLJSONObject, { description: 'The event’s payload (kernel/events.ts lists each type’s).' })
  data!: object;
}

@InputType({ description: 'Any combination; all of them narrow the trail.' })
class AuditFilter {
  @Field(() => ID, { nullable: true }) projectId?: string | null;
  @Field(() => ID, { nullable: true }) taskId?: string | null;
  @Field(() => ID, { nullable: true, description: 'What this worker did.' }) workerId?: string | null;
  @Field(() => [String], { nullable: true, description: 'Event types, e.g. task.submitted.' }) types?: string[] | null;
  @Field(() => Date, { nullable: true }) since?: Date | null;
  @Field(() => Date, { nullable: true }) until?: Date | null;
}

const AuditConnection = ConnectionType(AuditEntry, 'AuditEntry');

const entryOf = (e: StoredEvent): AuditEntry => {
  const payload = e.payload as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    eventCursor: e.cursor,
    eventId: e.id,
    type: e.type,
    occurredAt: e.occurredAt,
    projectId: e.projectId,
    taskId: e.taskId,
    actor: e.actor,
    step: text(payload.step),
    fromStatus: text(payload.previousStatus),
    toStatus: text(payload.status),
    data: payload,
  };
};

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditConnection, {
    description: 'Who did what and when, oldest first: admins and integrators; a worker their own (workerId).',
  })
  async auditTrail(
    @Ctx() ctx: GqlContext,
    @Arg('filter', () => AuditFilter) filter: AuditFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<AuditEntry>> {
    const page = await ctx.services.reads.events.trail(
      ctx.actor,
      {
        projectId: parseOptionalId(filter.projectId, 'projectId'),
        taskId: parseOptionalId(filter.taskId, 'taskId'),
        workerId: parseOptionalId(filter.workerId, 'workerId'),
        types: filter.types,
        since: filter.since,
        until: filter.until,
      },
      { first, after },
    );
    return toConnection({ ...page, nodes: page.nodes.map(entryOf) });
  }

  @FieldResolver(() => Worker, {
    nullable: true,
    description: 'The worker who did it (null: an integrator or Orchestra).',
  })
  async actorWorker(@Root() entry: AuditEntry, @Ctx() ctx: GqlContext): Promise<Worker | null> {
    const workerId = workerOfActor(entry.actor);
    return workerId === null ? null : ctx.reader.load.worker.load(workerId);
  }
}
