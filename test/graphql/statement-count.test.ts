// No N+1: a GraphQL request costs the same number of SQL statements for 3 tasks as for 300. The
// server runs in this process, so every statement it sends goes through pg.Client#query, which is
// counted (on the ORM's connections) while one request runs; the machine runner is off, and the
// test sends nothing else meanwhile.
import { print } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { DashboardQuery } from '../../client/src/lib/operations.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { Task } from '../../server/tasks/task.entity.js';
import { defineWorkflow, type StepDefinition } from '../../server/workflow/definition.js';
import { useServer, type TestServer } from '../support/server.js';
import { recordOrmStatements } from '../support/sql-count.js';

const SMALL = 3;
const BIG = 300;

/**
 * Parallel steps needing one certification. Step i ends up, for the worker holding it:
 * i % 3 = 0 in progress, 1 pending review (submitted, reviewed step), 2 completed (submitted, no review).
 */
const steps = (n: number): StepDefinition[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'human' as const,
    slug: `s${String(i).padStart(3, '0')}`,
    name: `Step ${i}`,
    requiredCertifications: ['member'],
    reviewPolicy:
      i % 3 === 1 ? { policy: 'sampled_review' as const, rate: 1, maxReviews: 1 } : { policy: 'no_review' as const },
  }));

const wideWorkflow = defineWorkflow({
  slug: 'wide',
  name: 'Wide',
  certifications: [{ slug: 'member', name: 'Member' }],
  versions: [
    { slug: 'small', name: `${SMALL} parallel steps`, steps: steps(SMALL) },
    { slug: 'big', name: `${BIG} parallel steps`, steps: steps(BIG) },
  ],
});

const DASHBOARD = /* GraphQL */ `
  fragment Item on DashboardItemConnection {
    totalCount
    nodes {
      state
      task {
        status
        step {
          name
        }
        project {
          shortDescription
          priority
        }
        assignments {
          level
          status
          worker {
            username
          }
          data
          iterations {
            status
            submittedData
          }
        }
      }
    }
  }
  query {
    dashboard {
      reviewerStatus
      returned(first: 200) {
        ...Item
      }
      inProgress(first: 200) {
        ...Item
      }
      pendingReview(first: 200) {
        ...Item
      }
      pendingProcessing(first: 200) {
        ...Item
      }
      paused(first: 200) {
        ...Item
      }
      completed(first: 200) {
        ...Item
      }
    }
  }
`;

const PROJECT = /* GraphQL */ `
  query ($id: ID!) {
    project(id: $id) {
      tasks {
        status
        step {
          slug
          requiredCertifications {
            slug
          }
        }
        assignments {
          worker {
            username
          }
          data
          iterations {
            status
          }
        }
      }
    }
  }
`;

let s: TestServer;
const token: Record<'small' | 'big' | 'admin' | 'reviewer', string> = { small: '', big: '', admin: '', reviewer: '' };
const projectId: Record<'small' | 'big' | 'mixed', number> = { small: 0, big: 0, mixed: 0 };

/** A project of the version, every task held by the worker and moved to its group. */
async function build(version: 'small' | 'big', username: string): Promise<void> {
  const w = await s.h.worker(username, [['wide', 'member', 'ENTRY_LEVEL']], { password: 'password123' });
  const project = await s.h.project('wide', version, { description: `${version} project`, priority: 2 });
  const tasks = await s.h.db.orm.em
    .fork()
    .find(Task, { project: project.id }, { orderBy: { id: 'asc' }, populate: ['step'] });
  for (const task of tasks) {
    // The admin assigns: a worker's own cap of tasks in progress does not apply.
    await s.h.lifecycle.assignTask(s.h.admin, { taskId: task.id, workerId: w.workerId });
    const i = Number(task.step.slug.slice(1));
    if (i % 3 !== 0)
      await s.h.lifecycle.submitTask(w, { taskId: task.id, data: { answer: i }, action: SubmitAction.SUBMIT });
  }
  projectId[version] = project.id;
  token[version] = await s.login(username, 'password123');
}

/**
 * The statements the server sends while the request runs, after one warm-up request. Measured three
 * times, the smallest count kept: should two sibling loads ever miss a shared batch on a loaded
 * machine, that is a statement more, not a trend; an N+1 sends hundreds more.
 */
async function statements(
  query: string,
  variables: Record<string, unknown>,
  as: string,
): Promise<{ count: number; counts: number[]; sql: string[]; data: any }> {
  const warm = await s.gql(query, variables, { token: as });
  expect(warm.errors).toBeUndefined();
  const runs: { sql: string[]; data: any }[] = [];
  for (let run = 0; run < 3; run++) {
    const { result: res, sql } = await recordOrmStatements(() => s.gql(query, variables, { token: as }));
    expect(res.errors).toBeUndefined();
    runs.push({ sql, data: res.data });
  }
  const best = runs.reduce((a, b) => (b.sql.length < a.sql.length ? b : a));
  return { count: best.sql.length, counts: runs.map((r) => r.sql.length), sql: best.sql, data: best.data };
}

/** On a mismatch: the statements of the larger request, one a line. */
const listing = (sql: string[]) => sql.map((q) => q.replace(/\s+/g, ' ').slice(0, 160)).join('\n');

const counts = (items: { state: string }[] | undefined) => items?.length ?? 0;

beforeAll(async () => {
  s = await useServer({ workflows: [wideWorkflow] });
  await s.h.worker('boss', [], { isAdmin: true, password: 'password123' });
  token.admin = await s.login('boss', 'password123');
  await build('small', 'few');
  await build('big', 'many');
  // A reviewer on a project sees the tasks they hold and those they may claim now. In the big
  // project they review s001 (the other 99 reviews are claimable); in a new small one they hold s000,
  // and may claim s001 (submitted by someone else, pending review) and s002 (waiting for a worker).
  const rev = await s.h.worker('rev', [['wide', 'member', 'REVIEWER']], { password: 'password123' });
  const other = await s.h.worker('other', [['wide', 'member', 'ENTRY_LEVEL']]);
  const em = s.h.db.orm.em.fork();
  await s.h.lifecycle.claimTask(
    rev,
    (await em.findOneOrFail(Task, { project: projectId.big, step: { slug: 's001' } })).id,
  );
  const mixed = await s.h.project('wide', 'small', { description: 'mixed project' });
  const taskOf = async (slug: string) => (await em.findOneOrFail(Task, { project: mixed.id, step: { slug } })).id;
  await s.h.lifecycle.assignTask(s.h.admin, { taskId: await taskOf('s000'), workerId: rev.workerId });
  await s.h.lifecycle.assignTask(s.h.admin, { taskId: await taskOf('s001'), workerId: other.workerId });
  await s.h.lifecycle.submitTask(other, {
    taskId: await taskOf('s001'),
    data: { answer: 1 },
    action: SubmitAction.SUBMIT,
  });
  projectId.mixed = mixed.id;
  token.reviewer = await s.login('rev', 'password123');
}, 300_000);

describe('SQL statements per GraphQL request do not grow with the rows', () => {
  it('the dashboard: the same count for 3 and for 300 tasks', async () => {
    const small = await statements(DASHBOARD, {}, token.small);
    const big = await statements(DASHBOARD, {}, token.big);
    const groups = (d: any) => [
      counts(d.dashboard.inProgress.nodes),
      counts(d.dashboard.pendingReview.nodes),
      counts(d.dashboard.completed.nodes),
    ];
    expect(groups(small.data)).toEqual([1, 1, 1]);
    expect(groups(big.data)).toEqual([100, 100, 100]);
    // The worker sees their own data and iterations on every item.
    const item = big.data.dashboard.completed.nodes[0].task;
    expect(item.assignments[0]).toMatchObject({
      worker: { username: 'many' },
      status: 'SUBMITTED',
      iterations: [{ submittedData: expect.any(Object) }],
    });
    expect(item.assignments[0].data).not.toBeNull();
    console.log(
      `dashboard: ${small.count} statements for ${SMALL} tasks (${small.counts}), ${big.count} for ${BIG} (${big.counts})`,
    );
    expect(big.count, listing(big.sql)).toBe(small.count);
  });

  it("the app's own Dashboard query: at most 10 statements, the same for 3 and for 300 tasks", async () => {
    const query = print(DashboardQuery);
    const small = await statements(query, { completedFirst: 10 }, token.small);
    const big = await statements(query, { completedFirst: 10 }, token.big);
    expect(big.data.dashboard.completed.totalCount).toBe(100);
    expect(big.count, listing(big.sql)).toBe(small.count);
    expect(big.count, listing(big.sql)).toBeLessThanOrEqual(10);
  });

  it('paging a dashboard group: every item once, each page costing the same', async () => {
    const PAGE = /* GraphQL */ `
      query ($after: String) {
        dashboard {
          completed(first: 40, after: $after) {
            totalCount
            pageInfo {
              hasNextPage
              endCursor
            }
            nodes {
              assignment {
                id
              }
              task {
                step {
                  name
                }
              }
            }
          }
          again: completed(first: 40, after: $after) {
            nodes {
              assignment {
                id
              }
            }
          }
        }
      }
    `;
    const seen: string[] = [];
    const costs: number[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const { count, data } = await statements(PAGE, { after }, token.big);
      const { completed, again } = data.dashboard;
      expect(completed.totalCount).toBe(100);
      expect(again.nodes).toEqual(completed.nodes.map((n: { assignment: unknown }) => ({ assignment: n.assignment })));
      seen.push(...completed.nodes.map((n: { assignment: { id: string } }) => n.assignment.id));
      costs.push(count);
      if (!completed.pageInfo.hasNextPage) break;
      after = completed.pageInfo.endCursor;
    }
    expect(costs).toHaveLength(3);
    expect(new Set(seen).size).toBe(100);
    expect(new Set(costs).size, `statements per page: ${costs}`).toBe(1);
  });

  it('project(id) as an admin: the same count for 3 and for 300 tasks', async () => {
    const small = await statements(PROJECT, { id: String(projectId.small) }, token.admin);
    const big = await statements(PROJECT, { id: String(projectId.big) }, token.admin);
    expect(small.data.project.tasks).toHaveLength(SMALL);
    expect(big.data.project.tasks).toHaveLength(BIG);
    expect(big.data.project.tasks[0].step.requiredCertifications).toEqual([{ slug: 'member' }]);
    console.log(
      `project (admin): ${small.count} statements for ${SMALL} tasks (${small.counts}), ${big.count} for ${BIG} (${big.counts})`,
    );
    expect(big.count, listing(big.sql)).toBe(small.count);
  });

  it('project(id) as the worker holding every task: the same count', async () => {
    const small = await statements(PROJECT, { id: String(projectId.small) }, token.small);
    const big = await statements(PROJECT, { id: String(projectId.big) }, token.big);
    expect(small.data.project.tasks).toHaveLength(SMALL);
    expect(big.data.project.tasks).toHaveLength(BIG);
    console.log(
      `project (worker): ${small.count} statements for ${SMALL} tasks (${small.counts}), ${big.count} for ${BIG} (${big.counts})`,
    );
    expect(big.count, listing(big.sql)).toBe(small.count);
  });
});

describe('project(id) as a reviewer (each task checked: held, or claimable now)', () => {
  it('shows the held task and the claimable reviews only, with the same count for 3 and 300 tasks', async () => {
    const small = await statements(PROJECT, { id: String(projectId.mixed) }, token.reviewer);
    const big = await statements(PROJECT, { id: String(projectId.big) }, token.reviewer);
    // Small: s000 (held), s001 (a review to claim), s002 (work to claim). Big: s001 (held) and the 99 other reviews.
    const statuses = (d: any) => d.project.tasks.map((t: { status: string }) => t.status);
    expect(statuses(small.data)).toEqual(['PROCESSING', 'PENDING_REVIEW', 'AWAITING_PROCESSING']);
    expect(statuses(big.data)).toEqual(['REVIEWING', ...Array(BIG / 3 - 1).fill('PENDING_REVIEW')]);
    // The reviewer sees the data of the level below on the task they review, not on the others.
    expect(big.data.project.tasks[0].assignments.map((a: { data: unknown }) => a.data !== null)).toEqual([true, true]);
    expect(big.data.project.tasks[1].assignments.map((a: { data: unknown }) => a.data)).toEqual([null]);
    console.log(
      `project (reviewer): ${small.count} statements for ${SMALL} tasks (${small.counts}), ${big.count} for ${BIG} (${big.counts})`,
    );
    expect(big.count, listing(big.sql)).toBe(small.count);
  });
});
