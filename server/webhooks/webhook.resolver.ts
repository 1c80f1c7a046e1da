// Webhooks over GraphQL: register, list, delete; a webhook's deliveries; send one again.
import 'reflect-metadata';
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { ConnectionType, parseId, toConnection, type Connection } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { badInput } from '../kernel/errors.js';
import { Webhook, WebhookDelivery, type DeliveryStatus } from './webhook.entity.js';

@InputType()
class CreateWebhookInput {
  @Field({ description: 'Where events are POSTed (http or https).' }) url!: string;
  @Field(() => String, { nullable: true, description: 'Only events of this workflow’s projects (default: all).' })
  workflowSlug?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The signing secret (16–200 characters); made for you when not given.',
  })
  secret?: string | null;
}

@ObjectType()
class CreateWebhookPayload {
  @Field(() => Webhook) webhook!: Webhook;
  @Field({ description: 'Verify each delivery’s X-Orchestra-Signature with it. Shown only now.' }) secret!: string;
}

@InputType()
class WebhookRef {
  @Field(() => ID) id!: string;
}

@ObjectType()
class WebhookPayload {
  @Field(() => Webhook) webhook!: Webhook;
}

@InputType()
class DeliveryRef {
  @Field(() => ID) deliveryId!: string;
}

@ObjectType()
class DeliveryPayload {
  @Field(() => WebhookDelivery) delivery!: WebhookDelivery;
}

const DeliveryConnection = ConnectionType(WebhookDelivery, 'WebhookDelivery');
const STATUSES: DeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];

@Resolver()
export class WebhookResolver {
  @Query(() => [Webhook], { description: 'Webhooks: every one to admins, its own to an integrator key.' })
  webhooks(@Ctx() ctx: GqlContext): Promise<Webhook[]> {
    return ctx.services.reads.webhooks.webhooks(ctx.actor, ctx.reader);
  }

  @Query(() => DeliveryConnection, { description: 'A webhook’s deliveries, newest first.' })
  async webhookDeliveries(
    @Ctx() ctx: GqlContext,
    @Arg('webhookId', () => ID) webhookId: string,
    @Arg('status', () => String, { nullable: true, description: 'PENDING, DELIVERED or FAILED.' })
    status?: string | null,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<WebhookDelivery>> {
    if (status != null && !STATUSES.includes(status as DeliveryStatus))
      throw badInput('status is PENDING, DELIVERED or FAILED.', { field: 'status' });
    return toConnection(
      await ctx.services.reads.webhooks.deliveries(
        ctx.actor,
        ctx.reader,
        parseId(webhookId, 'webhookId'),
        { status: status as DeliveryStatus | null },
        { first, after },
      ),
    );
  }

  @Mutation(() => CreateWebhookPayload, { description: 'Admins and integrators: POST committed events to a URL.' })
  createWebhook(@Arg('input') input: CreateWebhookInput, @Ctx() ctx: GqlContext): Promise<CreateWebhookPayload> {
    return ctx.services.webhooks.create(ctx.actor, input);
  }

  @Mutation(() => WebhookPayload, { description: 'Stop sending to a webhook (its deliveries stay listed).' })
  async deleteWebhook(@Arg('input') input: WebhookRef, @Ctx() ctx: GqlContext): Promise<WebhookPayload> {
    return { webhook: await ctx.services.webhooks.remove(ctx.actor, parseId(input.id)) };
  }

  @Mutation(() => DeliveryPayload, { description: 'Send a delivery again (after its project’s pending ones).' })
  async resendWebhookDelivery(@Arg('input') input: DeliveryRef, @Ctx() ctx: GqlContext): Promise<DeliveryPayload> {
    return { delivery: await ctx.services.webhooks.resend(ctx.actor, String(parseId(input.deliveryId, 'deliveryId'))) };
  }
}
