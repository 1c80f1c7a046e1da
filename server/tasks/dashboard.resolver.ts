// The viewer's dashboard (spec §3.18) and task overview (spec §3.19), as GraphQL shows them. The
// groups, their order and the overview are read use cases (dashboard.queries.ts, task.queries.ts).
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Step } from '../catalog/catalog.entity.js';
import { ConnectionType, parseId, toConnection, type Connection } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import type { JsonObject } from '../kernel/json.js';
import { DashboardState } from '../lifecycle/rules.js';
import { Project } from '../projects/project.entity.js';
import type { DashboardItem as Item } from './dashboard.queries.js';
import { Task, TaskAssignment } from './task.entity.js';

@ObjectType({ description: 'One of the viewer’s assignments, where it shows on their dashboard.' })
export class DashboardItem implements Item {
  @Field(() => DashboardState) state!: DashboardState;
  @Field(() => TaskAssignment) assignment!: TaskAssignment;
  taskId!: number;
  projectId!: number;
  stepId!: number;
}

const DashboardItemConnection = ConnectionType(DashboardItem, 'DashboardItem');

@ObjectType({ description: 'The viewer’s tasks, grouped.' })
export class Dashboard {
  workerId!: number;
}

@ObjectType({ description: 'What a worker sees when they open a task (the original’s task overview).' })
class TaskOverview {
  @Field(() => TaskAssignment) assignment!: TaskAssignment;
  @Field(() => Task) task!: Task;
  @Field(() => GraphQLJSONObject, {
    description: 'The data of the viewer’s own level (for an admin: the highest level’s).',
  })
  data!: JsonObject;
  @Field(() => GraphQLJSONObject, { description: 'Final data of every upstream step, keyed by step slug.' })
  prerequisites!: JsonObject;
  @Field({ description: 'The viewer reviews this task (their level is the highest and above 0).' })
  isReviewer!: boolean;
  @Field({ description: 'The viewer cannot save or submit now.' }) isReadOnly!: boolean;
  @Field() isProjectAdmin!: boolean;
}

@Resolver(() => DashboardItem)
export class DashboardItemResolver {
  @FieldResolver(() => Task)
  async task(@Root() item: DashboardItem, @Ctx() ctx: GqlContext): Promise<Task> {
    return (await ctx.reader.load.task.load(item.taskId))!;
  }

  @FieldResolver(() => Project)
  async project(@Root() item: DashboardItem, @Ctx() ctx: GqlContext): Promise<Project> {
    return (await ctx.reader.load.project.load(item.projectId))!;
  }

  @FieldResolver(() => Step)
  async step(@Root() item: DashboardItem, @Ctx() ctx: GqlContext): Promise<Step> {
    return (await ctx.reader.load.step.load(item.stepId))!;
  }
}

async function group(
  ctx: GqlContext,
  d: Dashboard,
  state: DashboardState,
  first?: number | null,
  after?: string | null,
): Promise<Connection<Item>> {
  return toConnection(await ctx.services.reads.dashboard.group(ctx.actor, ctx.reader, d, state, { first, after }));
}

@Resolver(() => Dashboard)
export class DashboardResolver {
  @Query(() => Dashboard, { description: 'The logged-in worker’s tasks, grouped as on their dashboard.' })
  dashboard(@Ctx() ctx: GqlContext): Dashboard {
    return Object.assign(new Dashboard(), ctx.services.reads.dashboard.dashboard(ctx.actor));
  }

  @FieldResolver(() => Boolean, { description: 'The viewer holds a REAL reviewer certification.' })
  reviewerStatus(@Ctx() ctx: GqlContext): Promise<boolean> {
    return ctx.services.reads.dashboard.reviewerStatus(ctx.actor, ctx.reader);
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Work a reviewer returned to the viewer.' })
  returned(
    @Root() d: Dashboard,
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return group(ctx, d, DashboardState.RETURNED, first, after);
  }

  @FieldResolver(() => DashboardItemConnection)
  inProgress(
    @Root() d: Dashboard,
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return group(ctx, d, DashboardState.IN_PROGRESS, first, after);
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Submitted by the viewer, waiting on someone above.' })
  pendingReview(
    @Root() d: Dashboard,
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return group(ctx, d, DashboardState.PENDING_REVIEW, first, after);
  }

  @FieldResolver(() => DashboardItemConnection, {
    description: 'Reviewed by the viewer and sent back below; waiting for the fix.',
  })
  pendingProcessing(
    @Root() d: Dashboard,
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return group(ctx, d, DashboardState.PENDING_PROCESSING, first, after);
  }

  @FieldResolver(() => DashboardItemConnection)
  paused(
    @Root() d: Dashboard,
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return group(ctx, d, DashboardState.PAUSED, first, after);
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Newest projects first; every page, not cut at 200.' })
  completed(
    @Root() d: Dashboard,
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return group(ctx, d, DashboardState.COMPLETE, first, after);
  }

  @Query(() => TaskOverview, {
    description: 'A task as the viewer works on it: their level’s data and the prerequisites.',
  })
  taskOverview(@Arg('taskId', () => ID) taskId: string, @Ctx() ctx: GqlContext): Promise<TaskOverview> {
    return ctx.services.reads.tasks.overview(ctx.actor, ctx.reader, parseId(taskId, 'taskId'));
  }
}
