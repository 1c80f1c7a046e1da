// GraphQL subscriptions over graphql-ws. Every one can resume: give `after:` the cursor of the last
// event you have and it first replays what you missed, then goes live, with no gap and no duplicate.
// A viewer never receives an event about a task they may not see: workers get the events of tasks
// they are on (the events name the task's workers), admins and integrator keys get everything.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { requireSeesEverything, requireWorkerActor, seesEverything } from '../auth/access.js';
import { parseId } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { forbidden, refuse } from '../kernel/errors.js';
import { EventType, workerIdsOf } from '../kernel/events.js';
import { DashboardState } from '../lifecycle/rules.js';
import { WorkReason } from '../tasks/dashboard.queries.js';
import { Project } from '../projects/project.entity.js';
import type { Reader } from '../read/reader.js';
import { Task } from '../tasks/task.entity.js';
import { endingOnReturn, type StreamRequest } from './realtime.js';
import { parseCursor, type StoredEvent } from './cursor.js';

@ObjectType('OrchestraEvent', { description: 'Something that happened, after its transaction committed.' })
export class OrchestraEvent {
  @Field({ description: 'Place in the event stream: resume with `after: cursor`.' }) cursor!: string;
  @Field({
    description:
      'e.g. task.status_changed, task.assigned, task.submitted, task.returned, task.completed, project.status_changed, machine.failed',
  })
  type!: string;
  @Field() occurredAt!: Date;
  @Field(() => ID, { nullable: true }) projectId!: number | null;
  @Field(() => ID, { nullable: true }) taskId!: number | null;
  @Field({ description: 'Who caused it: worker:<id>, integrator:<key id> or system.' }) actor!: string;
  @Field(() => GraphQLJSONObject, {
    description: 'What changed (statuses, levels, worker ids); kernel/events.ts lists every type’s fields.',
  })
  data!: object;
}

@ObjectType({ description: 'Where one of the viewer’s tasks shows on their dashboard now.' })
export class DashboardTaskState {
  @Field(() => ID) taskId!: number;
  @Field(() => DashboardState, {
    nullable: true,
    description: 'The group the task is in now; null when it left the dashboard.',
  })
  state!: DashboardState | null;
}

@ObjectType({ description: 'Tasks entered, left or moved between groups of the viewer’s dashboard.' })
export class DashboardChange {
  @Field(() => OrchestraEvent) event!: OrchestraEvent;
  @Field(() => ID, {
    description: 'The task the event is about (for a project event: the first of the viewer’s tasks in it).',
  })
  taskId!: number;
  @Field(() => DashboardState, {
    nullable: true,
    description: 'The group that task is in now; null when it left the dashboard.',
  })
  state!: DashboardState | null;
  @Field(() => [DashboardTaskState], {
    description: 'Every task of the viewer the event concerns (a project event concerns all of them in the project).',
  })
  tasks!: DashboardTaskState[];
}

@ObjectType({ description: 'How many tasks the viewer may claim now, and when none, why.' })
export class AvailableTaskCounts {
  @Field(() => Int) entryLevel!: number;
  @Field(() => Int) review!: number;
  @Field(() => WorkReason, { nullable: true, description: 'Why no new task can be taken now (null: one can).' })
  entryLevelReason!: WorkReason | null;
  @Field(() => WorkReason, { nullable: true, description: 'Why no review can be taken now (null: one can).' })
  reviewReason!: WorkReason | null;
  @Field(() => Int, { description: 'Tasks the viewer has in progress now.' }) inProgress!: number;
  @Field(() => Int, { description: 'The most they may have in progress at once.' }) maxInProgress!: number;
}

const toGraphQL = (e: StoredEvent): OrchestraEvent => ({
  cursor: e.cursor,
  type: e.type,
  occurredAt: e.occurredAt,
  projectId: e.projectId,
  taskId: e.taskId,
  actor: e.actor,
  data: e.payload,
});

const batchReaders = new WeakMap<object, Reader>();

/**
 * Each event is resolved with a fresh reader, so nested fields show the state after it. The events of
 * one relay delivery share one (it reads only after they all committed): the rows they need are read
 * once for every subscription they reach, not once per event and subscriber. A reader is the same for
 * every viewer (read use cases check access themselves), so sharing it shows no one more than before.
 */
function freshen(ctx: GqlContext, event: StoredEvent): void {
  const batch = ctx.realtime?.batchOf(event);
  let reader = batch && batchReaders.get(batch);
  if (!reader) {
    reader = ctx.services.reads.reader();
    if (batch) batchReaders.set(batch, reader);
  }
  ctx.reader = reader;
}

function realtimeOf(ctx: GqlContext) {
  if (!ctx.realtime) throw forbidden('Subscriptions are served over WebSocket (graphql-ws) at /graphql.');
  return ctx.realtime;
}

/** Validates the request now (errors reach the client as GraphQL errors), then streams. */
function stream(ctx: GqlContext, request: StreamRequest) {
  const realtime = realtimeOf(ctx);
  if (request.after && !parseCursor(request.after)) throw refuse('INVALID_CURSOR');
  return realtime.stream(request);
}

/** Workers receive an event only when it names them (they are on its task or project). */
const concerns = (ctx: GqlContext) => (event: StoredEvent) =>
  seesEverything(ctx.actor) || (ctx.actor?.kind === 'worker' && workerIdsOf(event).includes(ctx.actor.workerId));

const AVAILABILITY_EVENTS = new Set<string>([
  EventType.TASK_CREATED,
  EventType.TASK_STATUS_CHANGED,
  EventType.TASK_ASSIGNED,
  EventType.TASK_REVERTED,
  EventType.PROJECT_STATUS_CHANGED,
  EventType.PROJECT_CREATED,
  EventType.WORKER_CERTIFICATIONS_CHANGED,
]);

@Resolver(() => OrchestraEvent)
export class EventResolver {
  @Query(() => String, {
    description:
      'Where the event stream is now. Load what you show, then subscribe with `after:` this cursor: nothing that happens in between is missed.',
  })
  eventCursor(@Ctx() ctx: GqlContext): Promise<string> {
    return ctx.services.reads.events.cursor(ctx.actor);
  }

  @FieldResolver(() => Task, {
    nullable: true,
    description: 'The task as it is now (null when the viewer may not see it).',
  })
  task(@Root() e: OrchestraEvent, @Ctx() ctx: GqlContext): Promise<Task | null> {
    return e.taskId === null
      ? Promise.resolve(null)
      : ctx.services.reads.tasks.taskOfEvent(ctx.actor, ctx.reader, e.taskId);
  }

  @FieldResolver(() => Project, { nullable: true })
  async project(@Root() e: OrchestraEvent, @Ctx() ctx: GqlContext): Promise<Project | null> {
    return e.projectId === null ? null : ctx.reader.load.project.load(e.projectId);
  }

  @Subscription(() => OrchestraEvent, {
    description: 'Changes of one task (its workers, admins and integrators).',
    subscribe: async ({ args, context }) => {
      const ctx = context as GqlContext;
      const taskId = parseId(args.taskId, 'taskId');
      await ctx.services.reads.tasks.requireTaskAccess(ctx.actor, ctx.reader, taskId);
      return stream(ctx, { topics: [`task:${taskId}`], filter: { taskId }, accept: concerns(ctx), after: args.after });
    },
  })
  taskChanges(
    @Root() event: StoredEvent,
    @Ctx() ctx: GqlContext,
    @Arg('taskId', () => ID) _taskId: string,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): OrchestraEvent {
    freshen(ctx, event);
    return toGraphQL(event);
  }

  @Subscription(() => OrchestraEvent, {
    description: 'Changes of one project: its status and its tasks (workers: the tasks they are on).',
    subscribe: async ({ args, context }) => {
      const ctx = context as GqlContext;
      const projectId = parseId(args.projectId, 'projectId');
      await ctx.services.reads.projects.requireProjectAccess(ctx.actor, ctx.reader, projectId);
      return stream(ctx, {
        topics: [`project:${projectId}`],
        filter: { projectId },
        accept: concerns(ctx),
        after: args.after,
      });
    },
  })
  projectChanges(
    @Root() event: StoredEvent,
    @Ctx() ctx: GqlContext,
    @Arg('projectId', () => ID) _projectId: string,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): OrchestraEvent {
    freshen(ctx, event);
    return toGraphQL(event);
  }

  @Subscription(() => OrchestraEvent, {
    description: 'Every event, or every event of one workflow’s projects (admins and integrator keys).',
    subscribe: async ({ args, context }) => {
      const ctx = context as GqlContext;
      requireSeesEverything(ctx.actor);
      const slug = args.workflowSlug as string | null | undefined;
      return stream(ctx, {
        topics: [slug ? `workflow:${slug}` : 'all'],
        filter: slug ? { workflowSlug: slug } : {},
        after: args.after,
      });
    },
  })
  events(
    @Root() event: StoredEvent,
    @Ctx() ctx: GqlContext,
    @Arg('workflowSlug', () => String, { nullable: true }) _workflowSlug?: string,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): OrchestraEvent {
    freshen(ctx, event);
    return toGraphQL(event);
  }

  @Subscription(() => DashboardChange, {
    description: 'The viewer’s dashboard: a task entering, leaving or moving between groups.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GqlContext;
      const workerId = requireWorkerActor(ctx.actor, 'Only workers have a dashboard.');
      return stream(ctx, {
        topics: [`worker:${workerId}`],
        filter: { workerId },
        accept: concerns(ctx),
        after: args.after,
      });
    },
  })
  async dashboardChanges(
    @Root() event: StoredEvent,
    @Ctx() ctx: GqlContext,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): Promise<DashboardChange> {
    freshen(ctx, event);
    const dashboard = ctx.services.reads.dashboard;
    // A task event concerns that task; a project event each of the viewer's tasks in the project.
    const taskIds =
      event.taskId !== null ? [event.taskId] : await dashboard.tasksInProject(ctx.actor, ctx.reader, event.projectId!);
    const tasks = await Promise.all(
      taskIds.map(async (taskId) => ({ taskId, state: await dashboard.stateOf(ctx.actor, ctx.reader, taskId) })),
    );
    return { event: toGraphQL(event), taskId: tasks[0]?.taskId ?? 0, state: tasks[0]?.state ?? null, tasks };
  }

  @Subscription(() => AvailableTaskCounts, {
    description:
      'How many tasks the viewer may claim now (new work and reviews); sent at once and whenever it changes.',
    subscribe: async ({ context }) => {
      const ctx = context as GqlContext;
      const workerId = requireWorkerActor(ctx.actor, 'Only workers claim tasks.');
      realtimeOf(ctx);
      let events: AsyncGenerator<StoredEvent> | null = null;
      const counts = (async function* () {
        // Every watcher recounts after the same event: they share one recount (dashboard.recount).
        const count = (): Promise<AvailableTaskCounts> =>
          ctx.services.reads.dashboard.recount(workerId, ctx.services.reads.reader);
        // Listen first, then count: a change between the two is not lost (it recounts once more).
        events = stream(ctx, { topics: ['all'], filter: {}, accept: (e) => AVAILABILITY_EVENTS.has(e.type) });
        let last = await count();
        yield last;
        for await (const _ of events) {
          const now = await count();
          if (JSON.stringify(now) !== JSON.stringify(last)) yield (last = now);
        }
      })();
      // A client that leaves ends the stream at once, not at the next availability event.
      return endingOnReturn(counts, () => void events?.return(undefined));
    },
  })
  availableTaskCounts(@Root() counts: AvailableTaskCounts): AvailableTaskCounts {
    return counts;
  }
}
