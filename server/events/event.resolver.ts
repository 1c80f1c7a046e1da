// GraphQL subscriptions over graphql-ws. Every one can resume: give `after:` the cursor of the last
// event you have and it first replays what you missed, then goes live, with no gap and no duplicate.
// A viewer never receives an event about a task they may not see: workers get the events of tasks
// they are on (the events name the task's workers), admins and integrator keys get everything.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { holdsTask, requireActor, requireSeesEverything, seesEverything } from '../auth/access.js';
import { createLoaders, type Loaders } from '../graphql/loaders.js';
import type { GqlContext } from '../graphql/context.js';
import { parseId } from '../graphql/relay.js';
import { badInput, forbidden, notFound } from '../lifecycle/errors.js';
import { COUNT_CLAIMABLE_SQL } from '../lifecycle/pool.js';
import { dashboardState, DashboardState } from '../lifecycle/rules.js';
import { AssignmentStatus, TaskStatus } from '../lifecycle/status.js';
import { Project } from '../projects/project.entity.js';
import { Task, TaskAssignment } from '../tasks/task.entity.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { workerIdsOf } from './hub.js';
import { endingOnReturn, type StreamRequest } from './realtime.js';
import { cursorOf, parseCursor, releasedHead, type StoredEvent } from './stream.js';

@ObjectType('OrchestraEvent', { description: 'Something that happened, after its transaction committed.' })
export class OrchestraEvent {
  @Field({ description: 'Place in the event stream: resume with `after: cursor`.' }) cursor!: string;
  @Field({ description: 'e.g. task.status_changed, task.assigned, task.submitted, task.returned, task.completed, project.status_changed, machine.failed' })
  type!: string;
  @Field() occurredAt!: Date;
  @Field(() => ID, { nullable: true }) projectId!: number | null;
  @Field(() => ID, { nullable: true }) taskId!: number | null;
  @Field(() => GraphQLJSONObject, { description: 'What changed (statuses, levels, worker ids).' }) data!: Record<string, unknown>;
}

@ObjectType({ description: 'Where one of the viewer’s tasks shows on their dashboard now.' })
export class DashboardTaskState {
  @Field(() => ID) taskId!: number;
  @Field(() => DashboardState, { nullable: true, description: 'The group the task is in now; null when it left the dashboard.' }) state!: DashboardState | null;
}

@ObjectType({ description: 'Tasks entered, left or moved between groups of the viewer’s dashboard.' })
export class DashboardChange {
  @Field(() => OrchestraEvent) event!: OrchestraEvent;
  @Field(() => ID, { description: 'The task the event is about (for a project event: the first of the viewer’s tasks in it).' }) taskId!: number;
  @Field(() => DashboardState, { nullable: true, description: 'The group that task is in now; null when it left the dashboard.' }) state!: DashboardState | null;
  @Field(() => [DashboardTaskState], { description: 'Every task of the viewer the event concerns (a project event concerns all of them in the project).' })
  tasks!: DashboardTaskState[];
}

@ObjectType({ description: 'How many tasks the viewer may claim now.' })
export class AvailableTaskCounts {
  @Field(() => Int) entryLevel!: number;
  @Field(() => Int) review!: number;
}

const toGraphQL = (e: StoredEvent): OrchestraEvent => ({
  cursor: e.cursor,
  type: e.type,
  occurredAt: e.occurredAt,
  projectId: e.projectId,
  taskId: e.taskId,
  data: e.payload,
});

const batchScopes = new WeakMap<object, { em: EntityManager; loaders: Loaders }>();

/**
 * Each event is resolved with a fresh unit of work, so nested fields show the state after it. The events
 * of one relay delivery share one (it reads only after they all committed): the rows they need are read
 * once for every subscription they reach, not once per event and subscriber. Loaders are the same for
 * every viewer (resolvers check access themselves), so sharing them shows no one more than before.
 */
function freshen(ctx: GqlContext, event: StoredEvent): void {
  const batch = ctx.realtime?.batchOf(event);
  let scope = batch && batchScopes.get(batch);
  if (!scope) {
    const em = ctx.app.db.orm.em.fork() as EntityManager;
    scope = { em, loaders: createLoaders(em) };
    if (batch) batchScopes.set(batch, scope);
  }
  ctx.em = scope.em;
  ctx.loaders = scope.loaders;
}

function realtimeOf(ctx: GqlContext) {
  if (!ctx.realtime) throw forbidden('Subscriptions are served over WebSocket (graphql-ws) at /graphql.');
  return ctx.realtime;
}

/** Validates the request now (errors reach the client as GraphQL errors), then streams. */
function stream(ctx: GqlContext, request: StreamRequest) {
  const realtime = realtimeOf(ctx);
  if (request.after && !parseCursor(request.after)) throw badInput('Invalid cursor.');
  return realtime.stream(request);
}

/** Workers receive an event only when it names them (they are on its task or project). */
const concerns = (ctx: GqlContext) => (event: StoredEvent) =>
  seesEverything(ctx.actor) || (ctx.actor?.kind === 'worker' && workerIdsOf(event).includes(ctx.actor.workerId));

const AVAILABILITY_EVENTS = new Set(['task.created', 'task.status_changed', 'task.assigned', 'task.reverted', 'project.status_changed', 'project.created', 'worker.certifications_changed']);

@Resolver(() => OrchestraEvent)
export class EventResolver {
  @Query(() => String, {
    description: 'Where the event stream is now. Load what you show, then subscribe with `after:` this cursor: nothing that happens in between is missed.',
  })
  async eventCursor(@Ctx() ctx: GqlContext): Promise<string> {
    requireActor(ctx);
    return cursorOf(await releasedHead(ctx.app.db.pool));
  }

  @FieldResolver(() => Task, { nullable: true, description: 'The task as it is now (null when the viewer may not see it).' })
  async task(@Root() e: OrchestraEvent, @Ctx() ctx: GqlContext): Promise<Task | null> {
    if (e.taskId === null) return null;
    if (!seesEverything(ctx.actor) && !(await holdsTask(ctx, e.taskId))) return null;
    return ctx.loaders.task.load(e.taskId);
  }

  @FieldResolver(() => Project, { nullable: true })
  async project(@Root() e: OrchestraEvent, @Ctx() ctx: GqlContext): Promise<Project | null> {
    return e.projectId === null ? null : ctx.loaders.project.load(e.projectId);
  }

  @Subscription(() => OrchestraEvent, {
    description: 'Changes of one task (its workers, admins and integrators).',
    subscribe: async ({ args, context }) => {
      const ctx = context as GqlContext;
      requireActor(ctx);
      const taskId = parseId(args.taskId, 'taskId');
      const task = await ctx.loaders.task.load(taskId);
      if (!task) throw notFound('Task', taskId);
      if (!seesEverything(ctx.actor) && !(await holdsTask(ctx, taskId))) throw forbidden('You may not see this task.');
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
      const actor = requireActor(ctx);
      const projectId = parseId(args.projectId, 'projectId');
      const project = await ctx.loaders.project.load(projectId);
      if (!project) throw notFound('Project', projectId);
      if (!seesEverything(actor)) {
        const onIt = actor.kind === 'worker' && (await ctx.em.count(TaskAssignment, { task: { project: projectId }, worker: actor.workerId }));
        if (!onIt) throw forbidden('You may not see this project.');
      }
      return stream(ctx, { topics: [`project:${projectId}`], filter: { projectId }, accept: concerns(ctx), after: args.after });
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
      requireSeesEverything(ctx);
      const slug = args.workflowSlug as string | null | undefined;
      return stream(ctx, { topics: [slug ? `workflow:${slug}` : 'all'], filter: slug ? { workflowSlug: slug } : {}, after: args.after });
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
      const actor = requireActor(ctx);
      if (actor.kind !== 'worker') throw forbidden('Only workers have a dashboard.');
      return stream(ctx, { topics: [`worker:${actor.workerId}`], filter: { workerId: actor.workerId }, accept: concerns(ctx), after: args.after });
    },
  })
  async dashboardChanges(
    @Root() event: StoredEvent,
    @Ctx() ctx: GqlContext,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): Promise<DashboardChange> {
    freshen(ctx, event);
    const workerId = ctx.actor?.kind === 'worker' ? ctx.actor.workerId : -1;
    // A task event concerns that task; a project event each of the viewer's tasks in the project.
    const taskIds = event.taskId !== null ? [event.taskId] : await tasksOf(ctx, event.projectId!, workerId);
    const tasks = await Promise.all(taskIds.map(async (taskId) => ({ taskId, state: await stateFor(ctx, taskId, workerId) })));
    return { event: toGraphQL(event), taskId: tasks[0]?.taskId ?? 0, state: tasks[0]?.state ?? null, tasks };
  }

  @Subscription(() => AvailableTaskCounts, {
    description: 'How many tasks the viewer may claim now (new work and reviews); sent at once and whenever it changes.',
    subscribe: async ({ context }) => {
      const ctx = context as GqlContext;
      const actor = requireActor(ctx);
      if (actor.kind !== 'worker') throw forbidden('Only workers claim tasks.');
      realtimeOf(ctx);
      let events: AsyncGenerator<StoredEvent> | null = null;
      const counts = (async function* () {
        const count = async (): Promise<AvailableTaskCounts> => {
          const [row] = await ctx.app.db.orm.em
            .fork()
            .execute<{ entry_level: number; review: number }[]>(COUNT_CLAIMABLE_SQL, [actor.workerId, [TaskStatus.AWAITING_PROCESSING, TaskStatus.PENDING_REVIEW], actor.workerId]);
          return { entryLevel: row?.entry_level ?? 0, review: row?.review ?? 0 };
        };
        // Listen first, then count: a change between the two is not lost (it recounts once more).
        events = stream(ctx, { topics: ['all'], filter: {}, accept: (e) => AVAILABILITY_EVENTS.has(e.type) });
        let last = await count();
        yield last;
        for await (const _ of events) {
          const now = await count();
          if (now.entryLevel !== last.entryLevel || now.review !== last.review) yield (last = now);
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

async function tasksOf(ctx: GqlContext, projectId: number, workerId: number): Promise<number[]> {
  const rows = await ctx.em.find(TaskAssignment, { worker: workerId, task: { project: projectId } }, { orderBy: { task: { id: 'asc' } } });
  return [...new Set(rows.map((a) => a.task.id))];
}

/** Where the task shows on the worker's dashboard now (rules.dashboardState), or null. */
async function stateFor(ctx: GqlContext, taskId: number, workerId: number): Promise<DashboardState | null> {
  const task = await ctx.loaders.task.load(taskId);
  if (!task) return null;
  const assignments = await ctx.loaders.assignmentsByTask.load(taskId);
  const mine = assignments.find((a) => a.worker?.id === workerId);
  const project = await ctx.loaders.project.load(task.project.id);
  if (!mine || !project) return null;
  return dashboardState({
    assignmentStatus: mine.status,
    level: mine.level,
    taskStatus: task.status,
    projectStatus: project.status,
    lowerLevelProcessing: assignments.some((a) => a.level < mine.level && a.status === AssignmentStatus.PROCESSING),
  });
}
