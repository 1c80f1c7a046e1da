// The worker's dashboard (spec §3.18): their assignments grouped as returned, in progress, pending
// review, pending processing, paused and completed — each group a page (the original cut
// "completed" at 200) — the task overview's neighbours: reviewer status, what they may claim now,
// and where one task shows now (for live updates).
//
// One classification: the SQL of each group and rules.dashboardState say the same thing (a property
// test, test/read/dashboard-agreement.test.ts, checks them against each other for every combination).
import DataLoader from 'dataloader';
import { requireWorkerActor } from '../auth/access.js';
import type { Actor } from '../kernel/actor.js';
import { AssignmentStatus, CertificationRole, ProjectStatus, TaskClass, TaskStatus } from '../kernel/status.js';
import type { Config } from '../config.js';
import { workloads } from '../lifecycle/load.js';
import { COUNT_CLAIMABLE_MANY_SQL, TASK_OF_ASSIGNMENT } from '../lifecycle/pool.js';
import { dashboardState, DashboardState } from '../lifecycle/rules.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../read/page.js';
import type { Reader } from '../read/reader.js';
import type { TaskAssignment } from './task.entity.js';

/** One of the worker's assignments, where it shows on their dashboard. */
export interface DashboardItem {
  state: DashboardState;
  assignment: TaskAssignment;
  taskId: number;
  projectId: number;
  stepId: number;
}

/** A worker's dashboard: its groups are read on demand (several together in one batch). */
export interface Dashboard {
  workerId: number;
}

/** Why the worker gets no task of a kind now: the first that applies. */
export enum WorkReason {
  /** A reviewer returned work to them: that comes first. */
  RETURNED_WORK_WAITING = 'RETURNED_WORK_WAITING',
  /** They have as many tasks in progress as they may. */
  WIP_CAP = 'WIP_CAP',
  /** Tasks wait, but none they are certified for. */
  NOT_CERTIFIED = 'NOT_CERTIFIED',
  NO_TASK_AVAILABLE = 'NO_TASK_AVAILABLE',
}

export interface AvailableTaskCounts {
  entryLevel: number;
  review: number;
  /** Null when the worker may take one of the `entryLevel` tasks now. */
  entryLevelReason: WorkReason | null;
  reviewReason: WorkReason | null;
  inProgress: number;
  maxInProgress: number;
}

// The state conditions of each group, as rules.dashboardState decides them.
const LOWER_PROCESSING = `exists (select 1 from task_assignment b where b.task_id = a.task_id and b.level < a.level and b.status = ${AssignmentStatus.PROCESSING} and not b.is_deleted)`;
const OPEN = `t.status not in (${TaskStatus.COMPLETE}, ${TaskStatus.ABORTED})`;
export const GROUP_CONDITIONS: Record<DashboardState, string> = {
  [DashboardState.RETURNED]: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.PROCESSING} and t.status = ${TaskStatus.POST_REVIEW_PROCESSING}`,
  [DashboardState.IN_PROGRESS]: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.PROCESSING} and ${OPEN} and t.status <> ${TaskStatus.POST_REVIEW_PROCESSING}`,
  [DashboardState.PENDING_REVIEW]: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.SUBMITTED} and ${OPEN} and not ${LOWER_PROCESSING}`,
  [DashboardState.PENDING_PROCESSING]: `p.status = ${ProjectStatus.ACTIVE} and a.status = ${AssignmentStatus.SUBMITTED} and ${OPEN} and ${LOWER_PROCESSING}`,
  [DashboardState.PAUSED]: `p.status = ${ProjectStatus.PAUSED} and ${OPEN}`,
  [DashboardState.COMPLETE]: `t.status <> ${TaskStatus.ABORTED} and (t.status = ${TaskStatus.COMPLETE} or p.status = ${ProjectStatus.COMPLETED})`,
};
const NEWEST_FIRST: Record<DashboardState, boolean> = {
  [DashboardState.RETURNED]: false,
  [DashboardState.IN_PROGRESS]: false,
  [DashboardState.PENDING_REVIEW]: false,
  [DashboardState.PENDING_PROCESSING]: false,
  [DashboardState.PAUSED]: false,
  [DashboardState.COMPLETE]: true,
};

interface Row {
  assignment_id: number;
  task_id: number;
  project_id: number;
  step_id: number;
  priority: number;
  /** The project's start in whole microseconds: the cursor must be as exact as the column it pages on. */
  start_us: string;
}

interface GroupPage extends PageRequest {
  state: DashboardState;
}

/** Where each of the worker's assignments shows: the group conditions, which exclude one another. */
const STATE_OF = `case ${Object.values(DashboardState)
  .map((state) => `when ${GROUP_CONDITIONS[state]} then '${state}'`)
  .join(' ')} end`;

/** A page's SQL branch and its parameters; a bad cursor or size fails that page alone. */
function pageBranch(
  index: number,
  { state, first, after }: GroupPage,
): { sql: string; params: unknown[]; size: number } {
  const size = pageSize(first);
  const newestFirst = NEWEST_FIRST[state];
  const params: unknown[] = [];
  let cursorClause = '';
  if (after) {
    // Keyset pagination on (priority desc, project start asc|desc, assignment id asc).
    const [priority, startUs, id] = decodeCursor(after, ['int', 'int', 'int']).map(Number);
    const start = `(timestamptz 'epoch' + ?::bigint * interval '1 microsecond')`;
    cursorClause = `and (priority < ? or (priority = ? and (start_datetime ${newestFirst ? '<' : '>'} ${start} or (start_datetime = ${start} and assignment_id > ?))))`;
    params.push(priority, priority, startUs, startUs, id);
  }
  const sql = `(select ${index} as page, null::text as state, assignment_id, task_id, project_id, step_id, priority,
           start_us, null::int as total
      from mine where state = '${state}' ${cursorClause}
     order by priority desc, start_datetime ${newestFirst ? 'desc' : 'asc'}, assignment_id asc limit ${size + 1})`;
  return { sql, params, size };
}

interface GroupResult {
  size: number;
  rows: Row[];
  total: number;
}

/**
 * The pages of several groups and every group's total in one statement: the worker's assignments are
 * read once (with their task and project, through the worker's index) and classified, then each page
 * takes its rows and the totals count them — whatever the pool or the rest of the task table holds.
 */
async function groupPages(
  reader: Reader,
  workerId: number,
  pages: readonly GroupPage[],
): Promise<(GroupResult | Error)[]> {
  const branches = pages.map((page, i) => {
    try {
      return pageBranch(i, page);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const valid = branches.filter((b): b is ReturnType<typeof pageBranch> => !(b instanceof Error));
  if (!valid.length) return branches as Error[];
  const rows = await reader.em.execute<
    (Row & { page: number | null; state: DashboardState | null; total: number | null })[]
  >(
    `with mine as materialized (
       select a.id as assignment_id, t.id as task_id, p.id as project_id, t.step_id, p.priority, p.start_datetime,
              (extract(epoch from p.start_datetime) * 1000000)::bigint as start_us, ${STATE_OF} as state
         from task_assignment a
        ${TASK_OF_ASSIGNMENT}
         join project p on p.id = t.project_id
        where a.worker_id = ? and not a.is_deleted)
     ${valid.map((b) => b.sql).join('\n union all ')}
     union all
     (select null, state, null, null, null, null, null, null, count(*)::int from mine where state is not null group by state)`,
    [workerId, ...valid.flatMap((b) => b.params)],
  );
  const totals = new Map(rows.filter((r) => r.page === null).map((r) => [r.state, r.total ?? 0]));
  return branches.map((branch, i) => {
    if (branch instanceof Error) return branch;
    return {
      size: branch.size,
      rows: rows.filter((r) => r.page === i),
      total: totals.get(pages[i]!.state) ?? 0,
    };
  });
}

/**
 * The groups a request asks for are fetched together, and their items' assignments in one batch: every
 * group's items then load their fields in the same batches, so a request's statement count does not
 * depend on how many groups it asks for or how many tasks the worker has done.
 */
function groupLoader(reader: Reader, workerId: number) {
  return new DataLoader<GroupPage, Page<DashboardItem>, string>(
    async (pages) => {
      const results = await groupPages(reader, workerId, pages);
      const ids = results.flatMap((r) => (r instanceof Error ? [] : r.rows.map((row) => row.assignment_id)));
      const assignments = new Map((await reader.load.assignment.loadMany(ids)).map((a, i) => [ids[i], a]));
      return results.map((result, p) => {
        if (result instanceof Error) return result;
        const { size, rows, total } = result;
        const state = pages[p]!.state;
        const items = rows.map((r) => ({
          item: {
            state,
            assignment: assignments.get(r.assignment_id) as TaskAssignment,
            taskId: r.task_id,
            projectId: r.project_id,
            stepId: r.step_id,
          },
          row: r,
        }));
        const page = toPage(items, size, ({ row }) => [row.priority, Number(row.start_us), row.assignment_id], total);
        return { ...page, nodes: page.nodes.map((n) => n.item) };
      });
    },
    { cacheKeyFn: (page) => JSON.stringify([page.state, page.first ?? null, page.after ?? null]) },
  );
}

export class DashboardQueries {
  constructor(private readonly config: Pick<Config, 'maxInProgressTasks'>) {}

  /** The logged-in worker's dashboard (only workers have one). */
  dashboard(actor: Actor | null): Dashboard {
    return { workerId: requireWorkerActor(actor, 'Only workers have a dashboard.') };
  }

  /** One group of a dashboard, a page at a time. */
  group(
    actor: Actor | null,
    reader: Reader,
    dashboard: Dashboard,
    state: DashboardState,
    page: PageRequest,
  ): Promise<Page<DashboardItem>> {
    const workerId = requireWorkerActor(actor, 'Only workers have a dashboard.');
    if (workerId !== dashboard.workerId) throw new Error('A dashboard is read by its own worker.');
    return reader
      .memoise(`dashboard:${workerId}`, () => groupLoader(reader, workerId))
      .load({ state, first: page.first, after: page.after });
  }

  /** Whether the worker holds a REAL reviewer certification (spec §3.2 `worker_has_reviewer_status`). */
  async reviewerStatus(actor: Actor | null, reader: Reader): Promise<boolean> {
    const workerId = requireWorkerActor(actor, 'Only workers have a dashboard.');
    const held = await reader.load.certificationsByWorker.load(workerId);
    return held.some((c) => c.role === CertificationRole.REVIEWER && c.taskClass === TaskClass.REAL);
  }

  /** How many tasks the worker may claim now, by role, and when none, why. */
  async availableTaskCounts(actor: Actor | null, reader: Reader): Promise<AvailableTaskCounts> {
    const workerId = requireWorkerActor(actor, 'Only workers claim tasks.');
    return (await this.countsOf(reader, [workerId])).get(workerId)!;
  }

  /**
   * The same for every worker watching their counts, when an event may have changed them: callers in
   * the same moment share one recount (two statements for all of them, not two each, which with many
   * dashboards open would queue in the pool ahead of the change they are waiting for). Only for
   * workers' own subscriptions: the caller has checked who they are.
   */
  recount(workerId: number, newReader: () => Reader): Promise<AvailableTaskCounts> {
    this.recounts ??= new DataLoader(
      async (ids: readonly number[]) => {
        const counts = await this.countsOf(newReader(), [...ids]);
        return ids.map((id) => counts.get(id)!);
      },
      { cache: false, batchScheduleFn: (run) => setTimeout(run, 2), maxBatchSize: 500 },
    );
    return this.recounts.load(workerId);
  }

  private recounts: DataLoader<number, AvailableTaskCounts> | null = null;

  private async countsOf(reader: Reader, workerIds: number[]): Promise<Map<number, AvailableTaskCounts>> {
    const [rows, loads] = await Promise.all([
      reader.em.execute<
        {
          worker_id: number;
          entry_level: number;
          review: number;
          waiting_entry_level: number;
          waiting_review: number;
        }[]
      >(COUNT_CLAIMABLE_MANY_SQL, [workerIds, workerIds]),
      workloads(reader, workerIds),
    ]);
    const maxInProgress = this.config.maxInProgressTasks;
    const out = new Map<number, AvailableTaskCounts>();
    for (const workerId of workerIds) {
      const row = rows.find((r) => r.worker_id === workerId);
      const load = loads.get(workerId) ?? { inProgress: 0, hasReturnedWork: false };
      const reason = (claimable: number, waiting: number): WorkReason | null => {
        if (load.hasReturnedWork) return WorkReason.RETURNED_WORK_WAITING;
        if (load.inProgress >= maxInProgress) return WorkReason.WIP_CAP;
        if (claimable > 0) return null;
        return waiting > 0 ? WorkReason.NOT_CERTIFIED : WorkReason.NO_TASK_AVAILABLE;
      };
      const entryLevel = row?.entry_level ?? 0;
      const review = row?.review ?? 0;
      out.set(workerId, {
        entryLevel,
        review,
        entryLevelReason: reason(entryLevel, row?.waiting_entry_level ?? 0),
        reviewReason: reason(review, row?.waiting_review ?? 0),
        inProgress: load.inProgress,
        maxInProgress,
      });
    }
    return out;
  }

  /** The worker's tasks in a project (a project event concerns each of them). */
  async tasksInProject(actor: Actor | null, reader: Reader, projectId: number): Promise<number[]> {
    const workerId = requireWorkerActor(actor, 'Only workers have a dashboard.');
    const rows = await reader.em.execute<{ task_id: number }[]>(
      `select distinct a.task_id from task_assignment a join task t on t.id = a.task_id
        where a.worker_id = ? and t.project_id = ? and not a.is_deleted order by a.task_id`,
      [workerId, projectId],
    );
    return rows.map((r) => r.task_id);
  }

  /** Where the task shows on the worker's dashboard now (rules.dashboardState), or null. */
  async stateOf(actor: Actor | null, reader: Reader, taskId: number): Promise<DashboardState | null> {
    const workerId = requireWorkerActor(actor, 'Only workers have a dashboard.');
    const task = await reader.load.task.load(taskId);
    if (!task) return null;
    const assignments = await reader.load.assignmentsByTask.load(taskId);
    const mine = assignments.find((a) => a.worker?.id === workerId);
    const project = await reader.load.project.load(task.project.id);
    if (!mine || !project) return null;
    return dashboardState({
      assignmentStatus: mine.status,
      level: mine.level,
      taskStatus: task.status,
      projectStatus: project.status,
      lowerLevelProcessing: assignments.some((a) => a.level < mine.level && a.status === AssignmentStatus.PROCESSING),
    });
  }
}
