// One classification of a task on a worker's dashboard: the loaded dashboard (SQL, one query per
// group) and the live updates (rules.dashboardState, applied to the rows after an event) must put a
// task in the same group. Checked for every combination of task status, the worker's assignment
// status, project status, and whether work was sent back below the worker — possible or not.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/kernel/actor.js';
import { AssignmentStatus, ProjectStatus, TaskStatus } from '../../server/kernel/status.js';
import { dashboardState, DashboardState } from '../../server/lifecycle/rules.js';
import { useHarness, type Harness } from '../support/harness.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const numeric = <E extends Record<string, string | number>>(e: E) =>
  Object.values(e).filter((v): v is number => typeof v === 'number');

interface Combination {
  taskStatus: TaskStatus;
  assignmentStatus: AssignmentStatus;
  projectStatus: ProjectStatus;
  lowerLevelProcessing: boolean;
  taskId?: number;
}

const COMBINATIONS: Combination[] = numeric(TaskStatus).flatMap((taskStatus) =>
  numeric(AssignmentStatus).flatMap((assignmentStatus) =>
    numeric(ProjectStatus).flatMap((projectStatus) =>
      [false, true].map((lowerLevelProcessing) => ({
        taskStatus,
        assignmentStatus,
        projectStatus,
        lowerLevelProcessing,
      })),
    ),
  ),
);

let h: Harness;
let viewer: Actor & { kind: 'worker' };

beforeAll(async () => {
  h = await useHarness({ workflows: [reviewWorkflow] });
  viewer = await h.worker('viewer');
  const below = await h.worker('below');
  // One project per combination, each with one task: the viewer at level 1, another worker at level 0
  // (PROCESSING when work was sent back below the viewer, else SUBMITTED). Rows are written directly:
  // impossible combinations must agree too.
  const template = await h.project('review');
  const { rows } = await h.db.pool.query<{ version_id: number; step_id: number }>(
    `select p.version_id, t.step_id from project p join task t on t.project_id = p.id where p.id = $1`,
    [template.id],
  );
  const { version_id, step_id } = rows[0]!;
  for (const c of COMBINATIONS) {
    const project = await h.db.pool.query<{ id: number }>(
      `insert into project (version_id, status, short_description, priority, project_data, task_class, start_datetime)
       values ($1, $2, 'combination', 0, '{}', 1, now()) returning id`,
      [version_id, c.projectStatus],
    );
    const task = await h.db.pool.query<{ id: number }>(
      `insert into task (project_id, step_id, status, tags, start_datetime) values ($1, $2, $3, '{"tags": []}', now()) returning id`,
      [project.rows[0]!.id, step_id, c.taskStatus],
    );
    c.taskId = task.rows[0]!.id;
    await h.db.pool.query(
      `insert into task_assignment (task_id, worker_id, status, level, data, start_datetime) values
         ($1, $2, $3, 0, '{}', now()), ($1, $4, $5, 1, '{}', now())`,
      [
        c.taskId,
        below.workerId,
        c.lowerLevelProcessing ? AssignmentStatus.PROCESSING : AssignmentStatus.SUBMITTED,
        viewer.workerId,
        c.assignmentStatus,
      ],
    );
  }
});

/** Every group of the loaded dashboard, page by page: task id → group. */
async function loadedDashboard(): Promise<Map<number, DashboardState>> {
  const reads = h.orchestra.reads;
  const reader = reads.reader();
  const dashboard = reads.dashboard.dashboard(viewer);
  const shown = new Map<number, DashboardState>();
  for (const state of Object.values(DashboardState)) {
    let after: string | null = null;
    do {
      const page = await reads.dashboard.group(viewer, reader, dashboard, state, { first: 50, after });
      for (const item of page.nodes) {
        expect(shown.has(item.taskId), `task ${item.taskId} shows in two groups`).toBe(false);
        shown.set(item.taskId, state);
      }
      after = page.hasNextPage ? page.cursors[page.cursors.length - 1]! : null;
    } while (after);
  }
  return shown;
}

describe('the dashboard’s one classification', () => {
  it(`agrees between the loaded groups and the live rule for all ${COMBINATIONS.length} combinations`, async () => {
    const shown = await loadedDashboard();
    const reader = h.orchestra.reads.reader();
    const disagreements = [];
    for (const c of COMBINATIONS) {
      const rule = dashboardState({ ...c, level: 1 });
      const loaded = shown.get(c.taskId!) ?? null;
      const live = await h.orchestra.reads.dashboard.stateOf(viewer, reader, c.taskId!);
      if (loaded !== rule || live !== rule) {
        disagreements.push({
          task: TaskStatus[c.taskStatus],
          assignment: AssignmentStatus[c.assignmentStatus],
          project: ProjectStatus[c.projectStatus],
          lowerLevelProcessing: c.lowerLevelProcessing,
          rule,
          loaded,
          live,
        });
      }
    }
    expect(disagreements).toEqual([]);
    // The combinations reach every group (the check is not vacuous).
    expect(new Set(shown.values())).toEqual(new Set(Object.values(DashboardState)));
  });
});

describe('dashboard pages', () => {
  it('repeat and skip nothing when projects started within one millisecond of each other', async () => {
    const worker = await h.worker('pager', [['review', 'writer', 'ENTRY_LEVEL']]);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await h.project('review');
      const taskId = await h.taskId(p.id, 'write');
      await h.lifecycle.assignTask(h.admin, { taskId, workerId: worker.workerId }); // past the worker's own cap
      ids.push(taskId);
      // Starts 200 µs apart: the same millisecond for every pair, ordered only by their microseconds.
      await h.db.pool.query(
        `update project set start_datetime = timestamptz '2026-06-01 10:00:00' + $2 * interval '200 microseconds' where id = $1`,
        [p.id, i],
      );
    }
    const reads = h.orchestra.reads;
    const reader = reads.reader();
    const dashboard = reads.dashboard.dashboard(worker);
    const seen: number[] = [];
    let after: string | null = null;
    do {
      const page = await reads.dashboard.group(worker, reader, dashboard, DashboardState.IN_PROGRESS, {
        first: 1,
        after,
      });
      seen.push(...page.nodes.map((n) => n.taskId));
      after = page.hasNextPage ? page.cursors[0]! : null;
    } while (after && seen.length < 20);
    expect(seen).toEqual(ids);
  });
});
