// The viewer's dashboard (spec §3.18): their assignments grouped as returned, in progress, pending
// review, pending processing, paused and completed — each group a cursor-paginated list (the
// original cut "completed" at 200). And the task overview a worker opens to work (spec §3.19).
import 'reflect-metadata';
import DataLoader from 'dataloader';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { requireActor, seesEverything } from '../auth/access.js';
import type { GqlContext } from '../graphql/context.js';
import { ConnectionType, decodeCursor, pageSize, parseId, toConnection, type Connection } from '../graphql/relay.js';
import { isAdmin } from '../lifecycle/actor.js';
import { Tx } from '../lifecycle/context.js';
import { forbidden, Messages, notFound, taskAssignmentError } from '../lifecycle/errors.js';
import { prerequisitesOf } from '../lifecycle/load.js';
import { DashboardState } from '../lifecycle/rules.js';
import { AssignmentStatus, CertificationRole, ProjectStatus, TaskStatus } from '../lifecycle/status.js';
import { Project } from '../projects/project.entity.js';
import type { JsonObject } from '../workflow/definition.js';
import { Step } from '../workflow/workflow.entity.js';
import { WorkerCertification } from '../workers/worker.entity.js';
import { Task, TaskAssignment } from './task.entity.js';

@ObjectType({ description: 'One of the viewer’s assignments, where it shows on their dashboard.' })
export class DashboardItem {
  @Field(() => DashboardState) state!: DashboardState;
  @Field(() => TaskAssignment) assignment!: TaskAssignment;
  taskId!: number;
  projectId!: number;
  stepId!: number;
  row!: Row;
}

const DashboardItemConnection = ConnectionType(DashboardItem, 'DashboardItem');

@ObjectType({ description: 'The viewer’s tasks, grouped.' })
export class Dashboard {
  workerId!: number;
  /** The request's groups, fetched together (see groupLoader). */
  groups?: DataLoader<GroupPage, Connection<DashboardItem>, string>;
}

@ObjectType({ description: 'What a worker sees when they open a task (the original’s task overview).' })
class TaskOverview {
  @Field(() => TaskAssignment) assignment!: TaskAssignment;
  @Field(() => Task) task!: Task;
  @Field(() => GraphQLJSONObject, { description: 'The data of the viewer’s own level (for an admin: the highest level’s).' }) data!: JsonObject;
  @Field(() => GraphQLJSONObject, { description: 'Final data of every upstream step, keyed by step slug.' }) prerequisites!: JsonObject;
  @Field({ description: 'The viewer reviews this task (their level is the highest and above 0).' }) isReviewer!: boolean;
  @Field({ description: 'The viewer cannot save or submit now.' }) isReadOnly!: boolean;
  @Field() isProjectAdmin!: boolean;
}

// One query per group: the state conditions mirror rules.dashboardState (spec §3.18).
const LOWER_PROCESSING = `exists (select 1 from task_assignment b where b.task_id = a.task_id and b.level < a.level and b.status = ${AssignmentStatus.PROCESSING} and not b.is_deleted)`;
const OPEN = `t.status not in (${TaskStatus.COMPLETE}, ${TaskStatus.ABORTED})`;
const GROUPS: Record<DashboardState, { where: string; newestFirst: boolean }> = {
  [DashboardState.RETURNED]: { where: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.PROCESSING} and t.status = ${TaskStatus.POST_REVIEW_PROCESSING}`, newestFirst: false },
  [DashboardState.IN_PROGRESS]: { where: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.PROCESSING} and ${OPEN} and t.status <> ${TaskStatus.POST_REVIEW_PROCESSING}`, newestFirst: false },
  [DashboardState.PENDING_REVIEW]: { where: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.SUBMITTED} and ${OPEN} and not ${LOWER_PROCESSING}`, newestFirst: false },
  [DashboardState.PENDING_PROCESSING]: { where: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.SUBMITTED} and ${OPEN} and ${LOWER_PROCESSING}`, newestFirst: false },
  [DashboardState.PAUSED]: { where: `p.status = ${ProjectStatus.PAUSED} and ${OPEN}`, newestFirst: false },
  [DashboardState.COMPLETE]: { where: `t.status <> ${TaskStatus.ABORTED} and (t.status = ${TaskStatus.COMPLETE} or p.status = ${ProjectStatus.COMPLETED})`, newestFirst: true },
};

interface Row {
  assignment_id: number;
  task_id: number;
  project_id: number;
  step_id: number;
  priority: number;
  start_ms: string;
}

interface GroupPage {
  state: DashboardState;
  first?: number | null;
  after?: string | null;
}

/** One group's page of rows and its total: two statements. */
async function groupRows(ctx: GqlContext, workerId: number, { state, first, after }: GroupPage): Promise<{ size: number; rows: Row[]; total: number }> {
  const size = pageSize(first);
  const { where, newestFirst } = GROUPS[state];
  const dir = newestFirst ? 'desc' : 'asc';
  const params: unknown[] = [workerId];
  let cursorClause = '';
  if (after) {
    // Keyset pagination on (priority desc, project start asc|desc, assignment id asc).
    const [priority, startMs, id] = decodeCursor(after, ['int', 'int', 'int']).map(Number);
    cursorClause = `and (p.priority < ? or (p.priority = ? and (p.start_datetime ${newestFirst ? '<' : '>'} to_timestamp(? / 1000.0) or (p.start_datetime = to_timestamp(? / 1000.0) and a.id > ?))))`;
    params.push(priority, priority, startMs, startMs, id);
  }
  const base = `from task_assignment a join task t on t.id = a.task_id join project p on p.id = t.project_id
    where a.worker_id = ? and not a.is_deleted and ${where}`;
  const rows = await ctx.em.execute<Row[]>(
    `select a.id as assignment_id, t.id as task_id, p.id as project_id, t.step_id, p.priority,
            (extract(epoch from p.start_datetime) * 1000)::bigint as start_ms
     ${base} ${cursorClause}
     order by p.priority desc, p.start_datetime ${dir}, a.id asc limit ${size + 1}`,
    params,
  );
  const [{ n }] = await ctx.em.execute<{ n: string }[]>(`select count(*) as n ${base}`, [workerId]);
  return { size, rows, total: Number(n) };
}

/**
 * The groups a request asks for are fetched together, and their items' assignments in one batch:
 * every group's items then load their fields in the same batches, so the request's statement count
 * does not depend on which group's query returns first.
 */
function groupLoader(ctx: GqlContext, workerId: number) {
  return new DataLoader<GroupPage, Connection<DashboardItem>, string>(
    async (pages) => {
      const settled = await Promise.allSettled(pages.map((page) => groupRows(ctx, workerId, page)));
      const ids = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value.rows.map((row) => row.assignment_id) : []));
      const assignments = new Map((await ctx.loaders.assignment.loadMany(ids)).map((a, i) => [ids[i], a]));
      return settled.map((result, p) => {
        if (result.status === 'rejected') return result.reason instanceof Error ? result.reason : new Error(String(result.reason));
        const { size, rows, total } = result.value;
        const state = pages[p]!.state;
        const items = rows.map((r) =>
          Object.assign(new DashboardItem(), { state, assignment: assignments.get(r.assignment_id) as TaskAssignment, taskId: r.task_id, projectId: r.project_id, stepId: r.step_id, row: r }),
        );
        return toConnection(items, size, (item) => [item.row.priority, Number(item.row.start_ms), item.row.assignment_id], total);
      });
    },
    { cacheKeyFn: (page) => JSON.stringify([page.state, page.first ?? null, page.after ?? null]) },
  );
}

function dashboardGroup(ctx: GqlContext, dashboard: Dashboard, state: DashboardState, first?: number | null, after?: string | null): Promise<Connection<DashboardItem>> {
  dashboard.groups ??= groupLoader(ctx, dashboard.workerId);
  return dashboard.groups.load({ state, first, after });
}

@Resolver(() => DashboardItem)
export class DashboardItemResolver {
  @FieldResolver(() => Task)
  async task(@Root() item: DashboardItem, @Ctx() ctx: GqlContext): Promise<Task> {
    return (await ctx.loaders.task.load(item.taskId))!;
  }

  @FieldResolver(() => Project)
  async project(@Root() item: DashboardItem, @Ctx() ctx: GqlContext): Promise<Project> {
    return (await ctx.loaders.project.load(item.projectId))!;
  }

  @FieldResolver(() => Step)
  async step(@Root() item: DashboardItem, @Ctx() ctx: GqlContext): Promise<Step> {
    return (await ctx.loaders.step.load(item.stepId))!;
  }
}

const groupField = (state: DashboardState) =>
  function (this: unknown, dashboard: Dashboard, ctx: GqlContext, first?: number | null, after?: string | null) {
    return dashboardGroup(ctx, dashboard, state, first, after);
  };

@Resolver(() => Dashboard)
export class DashboardResolver {
  @Query(() => Dashboard, { description: 'The logged-in worker’s tasks, grouped as on their dashboard.' })
  dashboard(@Ctx() ctx: GqlContext): Dashboard {
    const actor = requireActor(ctx);
    if (actor.kind !== 'worker') throw forbidden('Only workers have a dashboard.');
    return Object.assign(new Dashboard(), { workerId: actor.workerId });
  }

  @FieldResolver(() => Boolean, { description: 'The viewer holds a reviewer certification (REAL).' })
  async reviewerStatus(@Root() d: Dashboard, @Ctx() ctx: GqlContext): Promise<boolean> {
    return (await ctx.em.count(WorkerCertification, { worker: d.workerId, role: CertificationRole.REVIEWER })) > 0;
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Work a reviewer returned to the viewer.' })
  returned(@Root() d: Dashboard, @Ctx() ctx: GqlContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return groupField(DashboardState.RETURNED)(d, ctx, first, after);
  }

  @FieldResolver(() => DashboardItemConnection)
  inProgress(@Root() d: Dashboard, @Ctx() ctx: GqlContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return groupField(DashboardState.IN_PROGRESS)(d, ctx, first, after);
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Submitted by the viewer, waiting on someone above.' })
  pendingReview(@Root() d: Dashboard, @Ctx() ctx: GqlContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return groupField(DashboardState.PENDING_REVIEW)(d, ctx, first, after);
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Reviewed by the viewer and sent back below; waiting for the fix.' })
  pendingProcessing(@Root() d: Dashboard, @Ctx() ctx: GqlContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return groupField(DashboardState.PENDING_PROCESSING)(d, ctx, first, after);
  }

  @FieldResolver(() => DashboardItemConnection)
  paused(@Root() d: Dashboard, @Ctx() ctx: GqlContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return groupField(DashboardState.PAUSED)(d, ctx, first, after);
  }

  @FieldResolver(() => DashboardItemConnection, { description: 'Newest projects first; every page, not cut at 200.' })
  completed(@Root() d: Dashboard, @Ctx() ctx: GqlContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return groupField(DashboardState.COMPLETE)(d, ctx, first, after);
  }

  @Query(() => TaskOverview, { description: 'A task as the viewer works on it: their level’s data and the prerequisites.' })
  async taskOverview(@Arg('taskId', () => ID) taskId: string, @Ctx() ctx: GqlContext): Promise<TaskOverview> {
    const actor = requireActor(ctx);
    const task = await ctx.loaders.task.load(parseId(taskId, 'taskId'));
    if (!task) throw notFound('Task', taskId);
    const assignments = await ctx.loaders.assignmentsByTask.load(task.id);
    const highest = assignments[assignments.length - 1];
    let assignment = actor.kind === 'worker' ? assignments.find((a) => a.worker?.id === actor.workerId) : undefined;
    let forcedReadOnly = false;
    if (!assignment && seesEverything(actor) && highest) {
      assignment = highest;
      forcedReadOnly = true;
    }
    if (!assignment) throw taskAssignmentError(Messages.NOT_ASSOCIATED);
    const project = (await ctx.loaders.project.load(task.project.id))!;
    const step = ctx.app.engine.catalog.step(task.step.id);
    let prerequisites: JsonObject = {};
    try {
      prerequisites = (await prerequisitesOf(new Tx(ctx.em, ctx.app.engine), project, step.def.ancestors)) as JsonObject;
    } catch {
      /* upstream no longer complete (revert): show none */
    }
    return {
      assignment,
      task,
      data: assignment.data,
      prerequisites,
      isReviewer: assignment === highest && assignment.level > 0,
      isReadOnly: forcedReadOnly || assignment.status !== AssignmentStatus.PROCESSING || task.status === TaskStatus.ABORTED,
      isProjectAdmin: isAdmin(actor),
    };
  }
}
