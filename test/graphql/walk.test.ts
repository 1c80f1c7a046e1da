// End-to-end over real HTTP: the multi-level review walk of spec §3.5 driven only through GraphQL by
// three logged-in workers (bearer token and session cookie), what each of them sees on the way
// (task, assignments, iterations, dashboard groups, task overview); integrators' API keys; logout.
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, ok } from '../support/expect.js';
import { useServer, type Credentials, type GqlResponse, type TestServer } from '../support/server.js';
import { diamondWorkflow, reviewWorkflow } from '../workflows/fixtures.js';

let s: TestServer;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow, diamondWorkflow] });
  await s.h.worker('admin', [], { isAdmin: true, password: PASSWORD });
  await s.h.worker('w0', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
  await s.h.worker('w1', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
  await s.h.worker('w3', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
});

// ---- helpers -----------------------------------------------------------------------------------

const LOGIN = `mutation($u: String!, $p: String!) {
  login(input: { username: $u, password: $p }) { token expiresAt worker { id username isAdmin } }
}`;

const TASK = `query($id: ID!) {
  task(id: $id) {
    id status step { slug }
    project { id status }
    assignments {
      level status worker { username } data
      iterations { status submittedData startDatetime endDatetime }
    }
  }
}`;

interface SeenAssignment {
  level: number;
  status: string;
  worker: { username: string } | null;
  data: Record<string, unknown> | null;
  iterations: {
    status: string;
    submittedData: Record<string, unknown> | null;
    startDatetime: string;
    endDatetime: string | null;
  }[];
}

async function taskAs(as: Credentials, id: string) {
  return ok(
    await s.gql<{ task: { id: string; status: string; project: { status: string }; assignments: SeenAssignment[] } }>(
      TASK,
      { id },
      as,
    ),
  ).task;
}

/** [level, status, username, data] of each assignment, as the viewer sees them. */
const rows = (assignments: SeenAssignment[]) =>
  assignments.map((a) => [a.level, a.status, a.worker?.username ?? null, a.data]);

const GROUPS = ['returned', 'inProgress', 'pendingReview', 'pendingProcessing', 'paused', 'completed'] as const;
type Group = (typeof GROUPS)[number];
const ITEM = `totalCount pageInfo { hasNextPage } nodes { state task { id status } assignment { level status worker { username } } step { slug } project { id } }`;
const DASHBOARD = `query { dashboard { reviewerStatus ${GROUPS.map((g) => `${g} { ${ITEM} }`).join(' ')} } }`;

/** Each dashboard group as "taskId@level STATE" strings (and totalCount checked against them). */
async function dashboardOf(as: Credentials): Promise<Record<Group, string[]> & { reviewerStatus: boolean }> {
  const d = ok(await s.gql(DASHBOARD, {}, as)).dashboard;
  const out = { reviewerStatus: d.reviewerStatus } as Record<Group, string[]> & { reviewerStatus: boolean };
  for (const g of GROUPS) {
    expect(d[g].totalCount, g).toBe(d[g].nodes.length);
    expect(d[g].pageInfo.hasNextPage).toBe(false);
    out[g] = d[g].nodes.map((n: any) => {
      expect(n.task.id).toBeTruthy();
      expect(n.step.slug).toBe('write');
      return `${n.task.id}@${n.assignment.level} ${n.state}`;
    });
  }
  return out;
}

const empty: Record<Group, string[]> = {
  returned: [],
  inProgress: [],
  pendingReview: [],
  pendingProcessing: [],
  paused: [],
  completed: [],
};
const only = (group: Group, item: string) => ({ ...empty, [group]: [item] });

const OVERVIEW = `query($id: ID!) {
  taskOverview(taskId: $id) {
    data isReviewer isReadOnly isProjectAdmin prerequisites
    assignment { level status worker { username } }
    task { id status }
  }
}`;

async function overviewAs(as: Credentials, id: string) {
  return ok(await s.gql(OVERVIEW, { id }, as)).taskOverview as {
    data: Record<string, unknown>;
    isReviewer: boolean;
    isReadOnly: boolean;
    isProjectAdmin: boolean;
    prerequisites: Record<string, unknown>;
    assignment: { level: number; status: string; worker: { username: string } };
    task: { id: string; status: string };
  };
}

const SUBMIT = `mutation($id: ID!, $data: JSONObject!, $action: SubmitAction!) {
  submitTask(input: { taskId: $id, data: $data, action: $action }) {
    task { id status assignments { level status worker { username } data } }
  }
}`;
const submit = (as: Credentials, id: string, action: 'SUBMIT' | 'ACCEPT' | 'REJECT', data: Record<string, unknown>) =>
  s.gql(SUBMIT, { id, data, action }, as);

const CLAIM = `mutation($id: ID!) {
  claimTask(input: { taskId: $id }) { assignment { level status worker { username } data } task { id status } }
}`;

const VIEWER = `query { viewer { username isAdmin } }`;

/** The session cookie a login response set, checked for its attributes, as a `Cookie` header value. */
function sessionCookieOf(res: GqlResponse): string {
  const header = res.headers.get('set-cookie');
  expect(header, 'login sets a cookie').toBeTruthy();
  const parts = header!.split(';').map((p) => p.trim());
  expect(parts[0]).toMatch(/^orchestra_session=[^;]+$/);
  expect(parts).toContain('HttpOnly');
  expect(parts.some((p) => /^SameSite=(Lax|Strict)$/i.test(p))).toBe(true);
  expect(parts).toContain('Path=/');
  expect(parts).toContain(`Max-Age=${30 * 24 * 3600}`);
  return parts[0]!;
}

// ---- 1. the review walk ------------------------------------------------------------------------

describe('the two-level review walk of spec §3.5, over GraphQL as three logged-in workers', () => {
  it('W0 submits, W1 accepts, W3 rejects, W1 cannot reject, W1 submits, W3 accepts → COMPLETE', async () => {
    // The admin logs in and creates the project.
    const adminLogin = ok(await s.gql(LOGIN, { u: 'admin', p: PASSWORD })).login;
    expect(adminLogin.worker).toMatchObject({ username: 'admin', isAdmin: true });
    expect(new Date(adminLogin.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
    const ADMIN: Credentials = { token: adminLogin.token };
    const created = ok(
      await s.gql(
        `mutation($input: CreateProjectInput!) {
          createProject(input: $input) {
            project { id status priority shortDescription projectData workflow { slug } workflowVersion { slug } tasks { id status step { slug } } }
          }
        }`,
        {
          input: { workflowSlug: 'review', versionSlug: 'v1', description: 'The walk', projectData: { topic: 'walk' } },
        },
        ADMIN,
      ),
    ).createProject.project;
    expect(created).toMatchObject({
      status: 'ACTIVE',
      priority: 0,
      shortDescription: 'The walk',
      projectData: { topic: 'walk' },
      workflow: { slug: 'review' },
      workflowVersion: { slug: 'v1' },
    });
    expect(created.tasks).toHaveLength(1);
    expect(created.tasks[0]).toMatchObject({ status: 'AWAITING_PROCESSING', step: { slug: 'write' } });
    const taskId: string = created.tasks[0].id;

    // W0 logs in and works with the bearer token.
    const W0: Credentials = { token: await s.login('w0', PASSWORD) };
    expect(ok(await s.gql(VIEWER, {}, W0)).viewer).toEqual({ username: 'w0', isAdmin: false });
    expect(await dashboardOf(W0)).toEqual({ ...empty, reviewerStatus: false });

    let claim = ok(await s.gql(CLAIM, { id: taskId }, W0)).claimTask;
    expect(claim.assignment).toEqual({ level: 0, status: 'PROCESSING', worker: { username: 'w0' }, data: {} });
    expect(claim.task).toEqual({ id: taskId, status: 'PROCESSING' });
    expect(await dashboardOf(W0)).toMatchObject(only('inProgress', `${taskId}@0 IN_PROGRESS`));
    expect(await overviewAs(W0, taskId)).toMatchObject({
      data: {},
      isReviewer: false,
      isReadOnly: false,
      isProjectAdmin: false,
      assignment: { level: 0, status: 'PROCESSING' },
    });

    const saved = ok(
      await s.gql(
        `mutation($id: ID!, $data: JSONObject!) { saveTask(input: { taskId: $id, data: $data }) { assignment { data status } task { status } } }`,
        { id: taskId, data: { text: 'dra' } },
        W0,
      ),
    ).saveTask;
    expect(saved).toEqual({
      assignment: { data: { text: 'dra' }, status: 'PROCESSING' },
      task: { status: 'PROCESSING' },
    });
    expect((await overviewAs(W0, taskId)).data).toEqual({ text: 'dra' });

    let after = ok(await submit(W0, taskId, 'SUBMIT', { text: 'draft' })).submitTask.task;
    expect(after.status).toBe('PENDING_REVIEW');
    expect(rows(after.assignments)).toEqual([[0, 'SUBMITTED', 'w0', { text: 'draft' }]]);
    expect(await dashboardOf(W0)).toMatchObject(only('pendingReview', `${taskId}@0 PENDING_REVIEW`));
    // W0 sees what they submitted, read-only.
    expect(await overviewAs(W0, taskId)).toMatchObject({
      data: { text: 'draft' },
      isReviewer: false,
      isReadOnly: true,
      task: { status: 'PENDING_REVIEW' },
    });
    let seen = await taskAs(W0, taskId);
    expect(seen.assignments[0]!.iterations).toEqual([
      {
        status: 'REQUESTED_REVIEW',
        submittedData: { text: 'draft' },
        startDatetime: expect.any(String),
        endDatetime: expect.any(String),
      },
    ]);

    // W1 logs in with the login mutation and works with the session cookie.
    const w1Login = await s.gql(LOGIN, { u: 'w1', p: PASSWORD });
    expect(ok(w1Login).login.worker.username).toBe('w1');
    const W1: Credentials = { cookie: sessionCookieOf(w1Login) };
    expect(W1.cookie).toBe(`orchestra_session=${w1Login.data!.login.token}`);
    expect(ok(await s.gql(VIEWER, {}, W1)).viewer).toEqual({ username: 'w1', isAdmin: false });
    expect(await dashboardOf(W1)).toEqual({ ...empty, reviewerStatus: true });
    // The task waits for a reviewer: W1 may see it before claiming, W0's data included (reviewers see the work below).
    expect((await taskAs(W1, taskId)).status).toBe('PENDING_REVIEW');

    // W1 asks for the next review.
    const requested = ok(
      await s.gql(
        `mutation { requestTask(input: { role: REVIEWER }) { assignment { level status worker { username } data } task { id status } } }`,
        {},
        W1,
      ),
    ).requestTask;
    expect(requested.task).toEqual({ id: taskId, status: 'REVIEWING' });
    expect(requested.assignment).toEqual({
      level: 1,
      status: 'PROCESSING',
      worker: { username: 'w1' },
      data: { text: 'draft' },
    });
    expect(await dashboardOf(W1)).toMatchObject(only('inProgress', `${taskId}@1 IN_PROGRESS`));
    expect(await dashboardOf(W0)).toMatchObject(only('pendingReview', `${taskId}@0 PENDING_REVIEW`));
    expect(await overviewAs(W1, taskId)).toMatchObject({
      data: { text: 'draft' },
      isReviewer: true,
      isReadOnly: false,
      assignment: { level: 1 },
    });
    // The reviewer sees the level below; the entry-level worker does not see the reviewer's copy.
    expect(rows((await taskAs(W1, taskId)).assignments)).toEqual([
      [0, 'SUBMITTED', 'w0', { text: 'draft' }],
      [1, 'PROCESSING', 'w1', { text: 'draft' }],
    ]);
    expect(rows((await taskAs(W0, taskId)).assignments)).toEqual([
      [0, 'SUBMITTED', 'w0', { text: 'draft' }],
      [1, 'PROCESSING', 'w1', null],
    ]);

    // W1 accepts: 2 live assignments, maxReviews 2 > 1 → reviewed again.
    after = ok(await submit(W1, taskId, 'ACCEPT', { text: 'draft, edited' })).submitTask.task;
    expect(after.status).toBe('PENDING_REVIEW');
    expect(after.assignments.map((a: SeenAssignment) => [a.level, a.status])).toEqual([
      [0, 'SUBMITTED'],
      [1, 'SUBMITTED'],
    ]);
    expect(await dashboardOf(W1)).toMatchObject(only('pendingReview', `${taskId}@1 PENDING_REVIEW`));
    expect(await dashboardOf(W0)).toMatchObject(only('pendingReview', `${taskId}@0 PENDING_REVIEW`));
    expect(await overviewAs(W1, taskId)).toMatchObject({
      data: { text: 'draft, edited' },
      isReviewer: true,
      isReadOnly: true,
    });

    // W3 logs in (bearer) and claims the second review.
    const W3: Credentials = { token: await s.login('w3', PASSWORD) };
    expect(ok(await s.gql(VIEWER, {}, W3)).viewer).toEqual({ username: 'w3', isAdmin: false });
    // W1 is on the task already: they may not take the next level too.
    expect(errorOf(await s.gql(CLAIM, { id: taskId }, W1))).toEqual({
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker already assigned to this task.',
    });
    claim = ok(await s.gql(CLAIM, { id: taskId }, W3)).claimTask;
    expect(claim.task).toEqual({ id: taskId, status: 'REVIEWING' });
    expect(claim.assignment).toEqual({
      level: 2,
      status: 'PROCESSING',
      worker: { username: 'w3' },
      data: { text: 'draft, edited' },
    });
    expect(await dashboardOf(W3)).toMatchObject(only('inProgress', `${taskId}@2 IN_PROGRESS`));
    expect(await overviewAs(W3, taskId)).toMatchObject({
      data: { text: 'draft, edited' },
      isReviewer: true,
      isReadOnly: false,
    });
    // W1 is no longer the highest level: not the reviewer now.
    expect(await overviewAs(W1, taskId)).toMatchObject({ isReviewer: false, isReadOnly: true });

    // W3 rejects: the work goes back to W1.
    after = ok(await submit(W3, taskId, 'REJECT', { text: 'needs work', note: 'fix it' })).submitTask.task;
    expect(after.status).toBe('POST_REVIEW_PROCESSING');
    seen = await taskAs(W3, taskId);
    expect(rows(seen.assignments)).toEqual([
      [0, 'SUBMITTED', 'w0', { text: 'draft' }],
      [1, 'PROCESSING', 'w1', { text: 'needs work', note: 'fix it' }],
      [2, 'SUBMITTED', 'w3', { text: 'needs work', note: 'fix it' }],
    ]);
    expect(await dashboardOf(W1)).toMatchObject(only('returned', `${taskId}@1 RETURNED`));
    expect(await dashboardOf(W3)).toMatchObject(only('pendingProcessing', `${taskId}@2 PENDING_PROCESSING`));
    expect(await dashboardOf(W0)).toMatchObject(only('pendingReview', `${taskId}@0 PENDING_REVIEW`));
    expect(await overviewAs(W1, taskId)).toMatchObject({
      data: { text: 'needs work', note: 'fix it' },
      isReviewer: false,
      isReadOnly: false,
      assignment: { level: 1, status: 'PROCESSING' },
      task: { status: 'POST_REVIEW_PROCESSING' },
    });
    expect(await overviewAs(W3, taskId)).toMatchObject({
      data: { text: 'needs work', note: 'fix it' },
      isReviewer: true,
      isReadOnly: true,
    });
    expect(await overviewAs(W0, taskId)).toMatchObject({
      data: { text: 'draft' },
      isReviewer: false,
      isReadOnly: true,
    });

    // W1 cannot reject further down (spec §3.4 T10) — and nothing changes.
    const before = await taskAs(ADMIN, taskId);
    const refused = await submit(W1, taskId, 'REJECT', { text: 'you fix it' });
    expect(refused.data).toBeNull();
    expect(errorOf(refused)).toEqual({ code: 'ILLEGAL_TASK_SUBMISSION', message: 'Task not in rejectable state.' });
    expect(await taskAs(ADMIN, taskId)).toEqual(before);
    expect(await dashboardOf(W1)).toMatchObject(only('returned', `${taskId}@1 RETURNED`));

    // W1 fixes and submits: back up to W3.
    after = ok(await submit(W1, taskId, 'SUBMIT', { text: 'fixed' })).submitTask.task;
    expect(after.status).toBe('REVIEWING');
    expect(rows((await taskAs(W3, taskId)).assignments)).toEqual([
      [0, 'SUBMITTED', 'w0', { text: 'draft' }],
      [1, 'SUBMITTED', 'w1', { text: 'fixed' }],
      [2, 'PROCESSING', 'w3', { text: 'fixed' }],
    ]);
    expect(await dashboardOf(W3)).toMatchObject(only('inProgress', `${taskId}@2 IN_PROGRESS`));
    expect(await dashboardOf(W1)).toMatchObject(only('pendingReview', `${taskId}@1 PENDING_REVIEW`));
    expect(await dashboardOf(W0)).toMatchObject(only('pendingReview', `${taskId}@0 PENDING_REVIEW`));
    expect(await overviewAs(W3, taskId)).toMatchObject({
      data: { text: 'fixed' },
      isReviewer: true,
      isReadOnly: false,
    });

    // W3 accepts: 3 live assignments, maxReviews 2 > 2 is false → COMPLETE.
    after = ok(await submit(W3, taskId, 'ACCEPT', { text: 'final' })).submitTask.task;
    expect(after.status).toBe('COMPLETE');
    for (const [as, level] of [
      [W0, 0],
      [W1, 1],
      [W3, 2],
    ] as const) {
      expect(await dashboardOf(as)).toMatchObject(only('completed', `${taskId}@${level} COMPLETE`));
      expect(await overviewAs(as, taskId)).toMatchObject({
        isReadOnly: true,
        task: { status: 'COMPLETE' },
        assignment: { level, status: 'SUBMITTED' },
      });
    }
    expect((await overviewAs(W0, taskId)).data).toEqual({ text: 'draft' });
    expect((await overviewAs(W1, taskId)).data).toEqual({ text: 'fixed' });
    expect((await overviewAs(W3, taskId)).data).toEqual({ text: 'final' });
    // The admin, not on the task, sees the highest level's copy, read-only.
    expect(await overviewAs(ADMIN, taskId)).toMatchObject({
      data: { text: 'final' },
      isReviewer: true,
      isReadOnly: true,
      isProjectAdmin: true,
      assignment: { level: 2 },
    });

    // The whole story, as the admin sees it: statuses, data and iterations per level.
    const final = await taskAs(ADMIN, taskId);
    expect(final.status).toBe('COMPLETE');
    expect(final.project.status).toBe('COMPLETED');
    expect(rows(final.assignments)).toEqual([
      [0, 'SUBMITTED', 'w0', { text: 'draft' }],
      [1, 'SUBMITTED', 'w1', { text: 'fixed' }],
      [2, 'SUBMITTED', 'w3', { text: 'final' }],
    ]);
    expect(final.assignments.map((a) => a.iterations.map((i) => [i.status, i.submittedData]))).toEqual([
      [['REQUESTED_REVIEW', { text: 'draft' }]],
      [
        ['REQUESTED_REVIEW', { text: 'draft, edited' }],
        ['REQUESTED_REVIEW', { text: 'fixed' }],
      ],
      [
        ['PROVIDED_REVIEW', { text: 'needs work', note: 'fix it' }],
        ['REQUESTED_REVIEW', { text: 'final' }],
      ],
    ]);
    // In time: up, up, down, up, up — by level 0, 1, 2, 1, 2; each ends when it sends the work on.
    const timeline = final.assignments
      .flatMap((a) =>
        a.iterations.map((i) => ({
          level: a.level,
          ...i,
          start: Date.parse(i.startDatetime),
          end: Date.parse(i.endDatetime!),
        })),
      )
      .sort((a, b) => a.start - b.start);
    expect(timeline.map((i) => [i.level, i.status])).toEqual([
      [0, 'REQUESTED_REVIEW'],
      [1, 'REQUESTED_REVIEW'],
      [2, 'PROVIDED_REVIEW'],
      [1, 'REQUESTED_REVIEW'],
      [2, 'REQUESTED_REVIEW'],
    ]);
    for (const i of timeline) expect(i.end).toBeGreaterThanOrEqual(i.start);
    // A reject (or a fix) starts the next iteration below (or above) the moment the previous one ends.
    expect(timeline[3]!.start).toBe(timeline[2]!.end);
    expect(timeline[4]!.start).toBe(timeline[3]!.end);

    // Workers see only their own levels' and lower levels' data, even after the end.
    expect(rows((await taskAs(W0, taskId)).assignments).map((r) => r[3])).toEqual([{ text: 'draft' }, null, null]);
    expect(rows((await taskAs(W1, taskId)).assignments).map((r) => r[3])).toEqual([
      { text: 'draft' },
      { text: 'fixed' },
      null,
    ]);
    const w0Iterations = (await taskAs(W0, taskId)).assignments.map((a) => a.iterations.map((i) => i.submittedData));
    expect(w0Iterations).toEqual([[{ text: 'draft' }], [null, null], [null, null]]);

    // The finished task cannot be submitted again.
    expect(errorOf(await submit(W3, taskId, 'ACCEPT', { text: 'again' }))).toEqual({
      code: 'TASK_STATUS_ERROR',
      message: 'Task already completed',
    });
  });
});

// ---- 2. integrators --------------------------------------------------------------------------

describe('an integrator’s API key', () => {
  const CREATE_PROJECT = `mutation($input: CreateProjectInput!) {
    createProject(input: $input) { project { id status priority projectData taskClass workflow { slug } workflowVersion { slug } tasks { id status step { slug } } } }
  }`;
  const PROJECTS_PAGE = `query($first: Int, $after: String) {
    projects(first: $first, after: $after, workflowSlug: "diamond") {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id shortDescription } } nodes { id }
    }
  }`;

  let ADMIN: Credentials;
  let key: { id: string; secret: string; prefix: string };

  it('is created by an admin, its secret shown once, and listed by name and prefix only', async () => {
    ADMIN = { token: await s.login('admin', PASSWORD) };
    const created = ok(
      await s.gql(
        `mutation { createApiKey(input: { name: "CMS import" }) { secret apiKey { id name prefix createdAt revokedAt lastUsedAt } } }`,
        {},
        ADMIN,
      ),
    ).createApiKey;
    expect(created.secret).toMatch(/^ok_[A-Za-z0-9_-]{40,}$/);
    expect(created.apiKey).toMatchObject({ name: 'CMS import', revokedAt: null });
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created.apiKey.prefix.length).toBeLessThan(16);
    key = { id: created.apiKey.id, secret: created.secret, prefix: created.apiKey.prefix };

    const listed = await s.gql(`query { apiKeys { id name prefix createdAt revokedAt } }`, {}, ADMIN);
    expect(ok(listed).apiKeys).toEqual([
      { id: key.id, name: 'CMS import', prefix: key.prefix, createdAt: created.apiKey.createdAt, revokedAt: null },
    ]);
    // The secret is nowhere in the list, and there is no field to ask for it.
    expect(JSON.stringify(listed.data)).not.toContain(key.secret);
    const asking = await s.gql(`query { apiKeys { id secret } }`, {}, ADMIN);
    expect(asking.data).toBeNull();
    expect(asking.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    // Only admins manage keys.
    const W0: Credentials = { token: await s.login('w0', PASSWORD) };
    expect(errorOf(await s.gql(`mutation { createApiKey(input: { name: "mine" }) { secret } }`, {}, W0)).code).toBe(
      'FORBIDDEN',
    );
    expect(errorOf(await s.gql(`query { apiKeys { id } }`, {}, W0)).code).toBe('FORBIDDEN');
    expect(errorOf(await s.gql(`query { apiKeys { id } }`)).code).toBe('UNAUTHENTICATED');
    expect(ok(await s.gql(`query { apiKeys { id } }`, {}, ADMIN)).apiKeys).toHaveLength(1);
  });

  it('reads workflows with versions, steps and dependencies', async () => {
    const { workflows } = ok(
      await s.gql(
        `query { workflows { slug name certifications { slug } versions { slug name steps { slug name isHuman creationDependsOn submissionDependsOn reviewPolicy requiredCertifications { slug } } } } }`,
        {},
        { apiKey: key.secret },
      ),
    );
    expect(workflows.map((w: any) => w.slug)).toEqual(['diamond', 'review']);
    const diamond = workflows[0];
    expect(diamond.versions.map((v: any) => v.slug)).toEqual(['v1']);
    const deps = Object.fromEntries(diamond.versions[0].steps.map((st: any) => [st.slug, st.creationDependsOn]));
    expect(deps).toEqual({ a: [], b: [], c: ['a'], d: ['b'], e: ['c', 'd'], f: ['e'], g: ['f'], h: ['f'] });
    // Listing order: roots first, then breadth-first.
    expect(diamond.versions[0].steps.map((st: any) => st.slug)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(diamond.versions[0].steps.every((st: any) => st.isHuman && st.submissionDependsOn.length === 0)).toBe(true);

    const review = workflows[1];
    expect(review.certifications).toEqual([{ slug: 'writer' }]);
    expect(review.versions.map((v: any) => v.slug)).toEqual(['v1', 'noreview', 'sampled']);
    expect(review.versions[0].steps).toEqual([
      {
        slug: 'write',
        name: 'Write',
        isHuman: true,
        creationDependsOn: [],
        submissionDependsOn: [],
        reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 2 },
        requiredCertifications: [{ slug: 'writer' }],
      },
    ]);
  });

  it('creates projects (X-Api-Key or Bearer) and reads them back, page by page', async () => {
    const created = ok(
      await s.gql(
        CREATE_PROJECT,
        {
          input: {
            workflowSlug: 'diamond',
            versionSlug: 'v1',
            description: 'From the CMS #1',
            priority: 3,
            projectData: { source: 'cms', n: 1 },
          },
        },
        { apiKey: key.secret },
      ),
    ).createProject.project;
    expect(created).toMatchObject({
      status: 'ACTIVE',
      priority: 3,
      projectData: { source: 'cms', n: 1 },
      taskClass: 'REAL',
      workflow: { slug: 'diamond' },
      workflowVersion: { slug: 'v1' },
    });
    expect(created.tasks.map((t: any) => [t.step.slug, t.status])).toEqual([
      ['a', 'AWAITING_PROCESSING'],
      ['b', 'AWAITING_PROCESSING'],
    ]);

    // Read back with `Authorization: Bearer <key>`.
    const project = ok(
      await s.gql(
        `query($id: ID!) {
          project(id: $id) {
            id shortDescription projectData status
            workflowVersion { slug steps { slug creationDependsOn } }
            tasks { id status step { slug } assignments { level } latestData prerequisites }
          }
        }`,
        { id: created.id },
        { token: key.secret },
      ),
    ).project;
    expect(project).toMatchObject({
      id: created.id,
      shortDescription: 'From the CMS #1',
      projectData: { source: 'cms', n: 1 },
      status: 'ACTIVE',
    });
    expect(project.workflowVersion.steps.map((st: any) => st.slug)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(project.tasks).toEqual([
      {
        id: created.tasks[0].id,
        status: 'AWAITING_PROCESSING',
        step: { slug: 'a' },
        assignments: [],
        latestData: null,
        prerequisites: {},
      },
      {
        id: created.tasks[1].id,
        status: 'AWAITING_PROCESSING',
        step: { slug: 'b' },
        assignments: [],
        latestData: null,
        prerequisites: {},
      },
    ]);

    // Four more, alternating the two ways of sending the key.
    const ids = [created.id as string];
    for (let n = 2; n <= 5; n++) {
      const as: Credentials = n % 2 ? { apiKey: key.secret } : { token: key.secret };
      const p = ok(
        await s.gql(
          CREATE_PROJECT,
          {
            input: {
              workflowSlug: 'diamond',
              versionSlug: 'v1',
              description: `From the CMS #${n}`,
              projectData: { n },
            },
          },
          as,
        ),
      ).createProject.project;
      expect(p.projectData).toEqual({ n });
      ids.push(p.id);
    }

    // Pages of two, newest first: 2 + 2 + 1, no duplicates, nothing missing.
    const seen: string[] = [];
    const pages: { hasNextPage: boolean; size: number }[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page: any = ok(await s.gql(PROJECTS_PAGE, { first: 2, after: cursor }, { apiKey: key.secret })).projects;
      expect(page.totalCount).toBe(5);
      expect(page.nodes.map((n: any) => n.id)).toEqual(page.edges.map((e: any) => e.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
      seen.push(...page.nodes.map((n: any) => n.id));
      pages.push({ hasNextPage: page.pageInfo.hasNextPage, size: page.nodes.length });
      if (!page.pageInfo.hasNextPage) break;
      cursor = page.pageInfo.endCursor;
    }
    expect(pages).toEqual([
      { hasNextPage: true, size: 2 },
      { hasNextPage: true, size: 2 },
      { hasNextPage: false, size: 1 },
    ]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...ids].reverse());

    // Every project, the review walk's included, in one page.
    const all = ok(
      await s.gql(
        `query { projects(first: 50) { totalCount nodes { id workflow { slug } } pageInfo { hasNextPage } } }`,
        {},
        { apiKey: key.secret },
      ),
    ).projects;
    expect(all.totalCount).toBe(all.nodes.length);
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect(all.nodes.filter((p: any) => p.workflow.slug === 'diamond').map((p: any) => p.id)).toEqual(
      [...ids].reverse(),
    );
    // A bad cursor is a typed error.
    expect(errorOf(await s.gql(PROJECTS_PAGE, { first: 2, after: 'not-a-cursor' }, { apiKey: key.secret }))).toEqual({
      code: 'BAD_INPUT',
      message: 'Invalid cursor.',
    });
  });

  it('may not claim tasks or run admin mutations, and is nobody’s viewer', async () => {
    const INTEGRATOR: Credentials = { apiKey: key.secret };
    const id = ok(
      await s.gql(
        `query { projects(first: 1, workflowSlug: "diamond") { nodes { id tasks { id } } } }`,
        {},
        INTEGRATOR,
      ),
    ).projects.nodes[0];
    const taskId: string = id.tasks[0].id;

    expect(ok(await s.gql(VIEWER, {}, INTEGRATOR)).viewer).toBeNull();
    expect(errorOf(await s.gql(CLAIM, { id: taskId }, INTEGRATOR)).code).toBe('FORBIDDEN');
    expect(errorOf(await s.gql(`mutation { requestTask { task { id } } }`, {}, INTEGRATOR)).code).toBe('FORBIDDEN');
    expect(errorOf(await s.gql(SUBMIT, { id: taskId, data: {}, action: 'SUBMIT' }, INTEGRATOR)).code).toBe('FORBIDDEN');
    expect(errorOf(await s.gql(`query { dashboard { reviewerStatus } }`, {}, INTEGRATOR)).code).toBe('FORBIDDEN');
    const workers = ok(
      await s.gql(`query { workers(first: 10) { nodes { id username } } }`, {}, { token: ADMIN.token }),
    ).workers.nodes;
    const w0Id = workers.find((w: any) => w.username === 'w0').id;
    const adminOnly: [string, Record<string, unknown>][] = [
      [`mutation($id: ID!) { pauseProject(input: { projectId: $id }) { project { status } } }`, { id: id.id }],
      [
        `mutation($id: ID!) { createSubsequentTasks(input: { projectId: $id }) { createdTasks { id } } }`,
        { id: id.id },
      ],
      [
        `mutation($t: ID!, $w: ID!) { assignTask(input: { taskId: $t, workerId: $w }) { task { status } } }`,
        { t: taskId, w: w0Id },
      ],
      [`mutation($t: ID!) { completeAndSkipTask(input: { taskId: $t }) { task { status } } }`, { t: taskId }],
      [`mutation { createWorker(input: { username: "sneaky", password: "longenough1" }) { worker { id } } }`, {}],
      [
        `mutation($w: ID!) { grantCertification(input: { workerId: $w, workflowSlug: "review", certificationSlug: "writer", role: REVIEWER }) { workerCertification { id } } }`,
        { w: w0Id },
      ],
      [`mutation { createApiKey(input: { name: "another" }) { secret } }`, {}],
      [`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }`, { id: key.id }],
      [`query { apiKeys { id } }`, {}],
    ];
    for (const [query, variables] of adminOnly) {
      const res = await s.gql(query, variables, INTEGRATOR);
      expect(res.data, query).toBeNull();
      expect(errorOf(res).code, query).toBe('FORBIDDEN');
    }
    // Nothing changed.
    const after = ok(
      await s.gql(
        `query($id: ID!) { project(id: $id) { status tasks { id status assignments { level } } } }`,
        { id: id.id },
        INTEGRATOR,
      ),
    ).project;
    expect(after.status).toBe('ACTIVE');
    expect(after.tasks.map((t: any) => [t.status, t.assignments.length])).toEqual([
      ['AWAITING_PROCESSING', 0],
      ['AWAITING_PROCESSING', 0],
    ]);
    expect(
      ok(await s.gql(`query { workers(first: 50) { nodes { username } } }`, {}, ADMIN)).workers.nodes.map(
        (w: any) => w.username,
      ),
    ).not.toContain('sneaky');
    expect(ok(await s.gql(`query { apiKeys { id revokedAt } }`, {}, ADMIN)).apiKeys).toEqual([
      { id: key.id, revokedAt: null },
    ]);
  });

  it('stops working once revoked: HTTP 401, UNAUTHENTICATED', async () => {
    const revoked = ok(
      await s.gql(
        `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id name revokedAt } } }`,
        { id: key.id },
        ADMIN,
      ),
    ).revokeApiKey.apiKey;
    expect(revoked).toMatchObject({ id: key.id, name: 'CMS import', revokedAt: expect.any(String) });
    expect(ok(await s.gql(`query { apiKeys { id revokedAt } }`, {}, ADMIN)).apiKeys).toEqual([
      { id: key.id, revokedAt: revoked.revokedAt },
    ]);

    for (const as of [{ apiKey: key.secret }, { token: key.secret }] as Credentials[]) {
      for (const query of [
        `query { projects(first: 1) { totalCount } }`,
        `query { viewer { username } }`,
        `query { workflows { slug } }`,
      ]) {
        const res = await s.gql(query, {}, as);
        expect(res.status, query).toBe(401);
        expect(res.data).toBeNull();
        expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid or revoked API key.' });
      }
      const create = await s.gql(
        CREATE_PROJECT,
        { input: { workflowSlug: 'diamond', versionSlug: 'v1', description: 'too late' } },
        as,
      );
      expect(create.status).toBe(401);
      expect(errorOf(create).code).toBe('UNAUTHENTICATED');
    }
    expect(ok(await s.gql(PROJECTS_PAGE, { first: 50 }, ADMIN)).projects.totalCount).toBe(5);
  });
});

// ---- 3. logging in and out -----------------------------------------------------------------------

describe('login, logout and the viewer', () => {
  it('refuses a wrong password and an unknown user with the same message, and sets no cookie', async () => {
    for (const [u, p] of [
      ['w0', 'wrong password'],
      ['nobody', PASSWORD],
      ['nobody', 'wrong password'],
    ]) {
      const res = await s.gql(LOGIN, { u, p });
      expect(res.data).toBeNull();
      expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid username or password.' });
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('viewer is the logged-in worker, and null when anonymous', async () => {
    const anonymous = await s.gql(VIEWER);
    expect(anonymous.status).toBe(200);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data).toEqual({ viewer: null });
    // Anonymous callers get nothing else.
    expect(errorOf(await s.gql(`query { dashboard { reviewerStatus } }`)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await s.gql(`query { workflows { slug } }`)).code).toBe('UNAUTHENTICATED');

    const token = await s.login('w3', PASSWORD);
    expect(
      ok(
        await s.gql(
          `query { viewer { username isAdmin email certifications { role certification { slug } } } }`,
          {},
          { token },
        ),
      ).viewer,
    ).toEqual({
      username: 'w3',
      isAdmin: false,
      email: '',
      certifications: expect.arrayContaining([
        { role: 'ENTRY_LEVEL', certification: { slug: 'writer' } },
        { role: 'REVIEWER', certification: { slug: 'writer' } },
      ]),
    });
  });

  it('logout ends the session: the token and the cookie stop working, and the cookie is cleared', async () => {
    const first = await s.gql(LOGIN, { u: 'w0', p: PASSWORD });
    const token: string = ok(first).login.token;
    const cookie = sessionCookieOf(first);
    const other = await s.login('w0', PASSWORD); // a second session of the same worker
    expect(other).not.toBe(token);
    for (const as of [{ token }, { cookie }, { token: other }])
      expect(ok(await s.gql(VIEWER, {}, as)).viewer).toEqual({ username: 'w0', isAdmin: false });

    const out = await s.gql(`mutation { logout { loggedOut } }`, {}, { token });
    expect(ok(out).logout).toEqual({ loggedOut: true });
    const cleared = out.headers.get('set-cookie')!;
    expect(cleared).toBeTruthy();
    const parts = cleared.split(';').map((p) => p.trim());
    expect(parts[0]).toBe('orchestra_session=');
    expect(parts).toContain('Max-Age=0');
    expect(parts).toContain('HttpOnly');
    expect(parts).toContain('Path=/');

    // This session is over. A script's token is told so; the app's cookie makes the caller anonymous (and
    // is cleared), so that the app shows its sign-in page rather than an error.
    for (const query of [VIEWER, `query { dashboard { reviewerStatus } }`]) {
      const res = await s.gql(query, {}, { token });
      expect(res.status, query).toBe(401);
      expect(res.data).toBeNull();
      expect(errorOf(res)).toEqual({ code: 'UNAUTHENTICATED', message: 'Your session has expired; log in again.' });
    }
    const anonymous = await s.gql(VIEWER, {}, { cookie });
    expect(ok(anonymous).viewer).toBeNull();
    expect(anonymous.headers.get('set-cookie')).toMatch(/^orchestra_session=;.*Max-Age=0/);
    const protectedByCookie = await s.gql(`query { dashboard { reviewerStatus } }`, {}, { cookie });
    expect(protectedByCookie.status).toBe(401);
    expect(errorOf(protectedByCookie)).toEqual({ code: 'UNAUTHENTICATED', message: 'You must be logged in.' });
    // Logging out again with the dead token is refused too.
    const again = await s.gql(`mutation { logout { loggedOut } }`, {}, { token });
    expect(again.status).toBe(401);
    expect(errorOf(again).code).toBe('UNAUTHENTICATED');
    // The other session lives on.
    expect(ok(await s.gql(VIEWER, {}, { token: other })).viewer).toEqual({ username: 'w0', isAdmin: false });

    // Logging out by cookie ends that session; anonymous logout is a no-op that still clears the cookie.
    const viaCookie = await s.gql(LOGIN, { u: 'w1', p: PASSWORD });
    const w1Cookie = sessionCookieOf(viaCookie);
    const outByCookie = await s.gql(`mutation { logout { loggedOut } }`, {}, { cookie: w1Cookie });
    expect(ok(outByCookie).logout).toEqual({ loggedOut: true });
    expect(outByCookie.headers.get('set-cookie')).toMatch(/^orchestra_session=;.*Max-Age=0/);
    expect(ok(await s.gql(VIEWER, {}, { cookie: w1Cookie })).viewer).toBeNull(); // anonymous now
    const anonymousOut = await s.gql(`mutation { logout { loggedOut } }`);
    expect(ok(anonymousOut).logout).toEqual({ loggedOut: false });
    expect(anonymousOut.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});
