// The authorization matrix: every query, mutation and subscription of the schema — enumerated from
// the schema itself, so that a new operation fails this test until it has its row — run as an
// anonymous caller, the worker who holds the task, another worker, a reviewer, an admin and an
// integrator's key. Each answer is checked against the table; a refusal changes nothing (every domain
// row, the outbox and the job queue compared); and no answer carries data its caller may not see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isObjectType } from 'graphql';
import { orchestraSchema } from '../../server/graphql/schema.js';
import { executeMachineStep } from '../../server/jobs/machine-step.job.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { dbState } from '../support/db-state.js';
import { createServer, type Credentials, type GqlResponse, type TestServer } from '../support/server.js';
import { wsClient } from '../support/ws.js';

const matrixWorkflow = defineWorkflow({
  slug: 'matrix',
  name: 'Matrix',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'Written and reviewed',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
        },
      ],
    },
    {
      slug: 'failing',
      name: 'A failing machine step',
      steps: [
        {
          kind: 'machine',
          slug: 'fetch',
          name: 'Fetch',
          maxAttempts: 1,
          run: () => {
            throw new Error('upstream down');
          },
        },
      ],
    },
  ],
});

const ROLES = ['anonymous', 'worker', 'other', 'reviewer', 'admin', 'integrator'] as const;
type Role = (typeof ROLES)[number];
/** 'ok', or the code of the refusal. */
type Answer =
  'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'TASK_ASSIGNMENT_ERROR' | 'WORKER_CERTIFICATION_ERROR';
type Row = Record<Role, Answer>;

const PASSWORD = 'matrix password';
/** Data only its own holder (and admins, integrators) may read. */
const WORKER_SECRET = 'worker-draft-secret';
const REVIEWER_SECRET = 'reviewer-notes-secret';

let s: TestServer;
const who = {} as Record<Role, Credentials>;
const ids = {} as Record<'worker' | 'other' | 'reviewer', number>;
/** A task the worker holds (PROCESSING, with their saved data), and its project. */
let held: { taskId: number; projectId: number };
/** A task the reviewer reviews (REVIEWING, with the reviewer's notes above the worker's submission). */
let reviewed: { taskId: number; projectId: number };

const all = (answer: Answer, over: Partial<Row> = {}): Row =>
  ({ ...Object.fromEntries(ROLES.map((r) => [r, answer])), anonymous: 'UNAUTHENTICATED', ...over }) as Row;
/** Admins only: workers FORBIDDEN, integrators FORBIDDEN. */
const ADMIN = all('FORBIDDEN', { admin: 'ok' });
/** Admins and integrators. */
const MANAGERS = all('FORBIDDEN', { admin: 'ok', integrator: 'ok' });
/** Anyone logged in. */
const LOGGED_IN = all('ok');
/** Workers (an admin is a worker too), not integrators. */
const WORKERS = all('ok', { integrator: 'FORBIDDEN' });

interface Case {
  /** The request; `vars` made fresh for each caller by `setup` (mutations change things). */
  document: string;
  setup?: () => Promise<Record<string, unknown>>;
  expect: Row;
  /** The caller's credentials when they are not the role's usual ones (logout ends a session). */
  as?: (role: Role) => Promise<Credentials>;
}

async function fresh(): Promise<{ taskId: number; projectId: number }> {
  const p = await s.h.project('matrix');
  return { projectId: p.id, taskId: await s.h.taskId(p.id, 'write') };
}
/** A fresh task the worker holds. */
async function heldByWorker() {
  const t = await fresh();
  await s.h.lifecycle.claimTask({ kind: 'worker', workerId: ids.worker, isAdmin: false }, t.taskId);
  return t;
}
const worker = (role: 'worker' | 'other' | 'reviewer') => ({
  kind: 'worker' as const,
  workerId: ids[role],
  isAdmin: false,
});

/** A webhook of the admins' (no integrator's key owns it): integrators do not see it. */
async function adminWebhook(): Promise<number> {
  return (await s.h.orchestra.webhooks.create(s.h.admin, { url: 'http://127.0.0.1:9/hook' })).webhook.id;
}
/** Admins, or (for what they own) integrators; this one is the admins'. */
const ADMINS_WEBHOOK = all('FORBIDDEN', { admin: 'ok', integrator: 'NOT_FOUND' });

const QUERIES: Record<string, Case> = {
  auditTrail: {
    document: 'query($p: ID!) { auditTrail(filter: { projectId: $p }) { totalCount } }',
    setup: async () => ({ p: held.projectId }),
    expect: MANAGERS,
  },
  apiKeys: { document: '{ apiKeys { id } }', expect: ADMIN },
  certifications: { document: '{ certifications { slug } }', expect: MANAGERS },
  dashboard: {
    // The worker's submitted task is under review: the reviewer's level above them must not show.
    document:
      '{ dashboard { reviewerStatus inProgress { nodes { assignment { data } } } pendingReview { nodes { task { latestData assignments { data } } } } } }',
    expect: WORKERS,
  },
  eventCursor: { document: '{ eventCursor }', expect: LOGGED_IN },
  project: {
    document: 'query($id: ID!) { project(id: $id) { id tasks { latestData assignments { data } } } }',
    setup: async () => ({ id: held.projectId }),
    expect: all('FORBIDDEN', { worker: 'ok', admin: 'ok', integrator: 'ok' }),
  },
  projects: { document: '{ projects { totalCount nodes { id } } }', expect: MANAGERS },
  registration: { document: '{ registration { open } }', expect: all('ok', { anonymous: 'ok' }) },
  task: {
    document:
      'query($id: ID!) { task(id: $id) { status latestData assignments { data iterations { submittedData feedback } } } }',
    setup: async () => ({ id: held.taskId }),
    expect: all('FORBIDDEN', { worker: 'ok', admin: 'ok', integrator: 'ok' }),
  },
  taskOverview: {
    document: 'query($id: ID!) { taskOverview(taskId: $id) { data isReadOnly prerequisites } }',
    setup: async () => ({ id: held.taskId }),
    expect: all('TASK_ASSIGNMENT_ERROR', { worker: 'ok', admin: 'ok', integrator: 'ok', anonymous: 'UNAUTHENTICATED' }),
  },
  webhookDeliveries: {
    document: 'query($w: ID!) { webhookDeliveries(webhookId: $w) { totalCount } }',
    setup: async () => ({ w: await adminWebhook() }),
    expect: ADMINS_WEBHOOK,
  },
  webhooks: { document: '{ webhooks { id } }', expect: MANAGERS },
  viewer: { document: '{ viewer { username } }', expect: all('ok', { anonymous: 'ok' }) },
  worker: {
    document: 'query($id: ID!) { worker(id: $id) { username email certifications { role } } }',
    setup: async () => ({ id: ids.worker }),
    expect: all('FORBIDDEN', { worker: 'ok', admin: 'ok', integrator: 'ok' }),
  },
  workers: { document: '{ workers { totalCount nodes { username email } } }', expect: MANAGERS },
  workflow: { document: '{ workflow(slug: "matrix") { slug } }', expect: LOGGED_IN },
  workflows: { document: '{ workflows { slug versions { steps { slug } } } }', expect: LOGGED_IN },
};

const CERT = { workflowSlug: 'matrix', certificationSlug: 'writer', role: 'ENTRY_LEVEL' };

/** A unique name for accounts made by the account rows. */
const unique = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
/** An e-mailed link's token for a new account (the mail job makes them; this server runs no jobs). */
async function linkToken(kind: 'ACTIVATION' | 'PASSWORD_RESET'): Promise<string> {
  const name = unique('linked');
  const w = await s.h.orchestra.accounts.register({ username: name, email: `${name}@example.org`, password: PASSWORD });
  return (await s.h.orchestra.accounts.issueLink(w.id, kind))!.token;
}
/** Anyone: the doors of getting in (and out). */
const ANYONE = all('ok', { anonymous: 'ok' });

const MUTATIONS: Record<string, Case> = {
  activateAccount: {
    document: 'mutation($t: String!) { activateAccount(input: { token: $t }) { username } }',
    setup: async () => ({ t: await linkToken('ACTIVATION') }),
    expect: ANYONE,
  },
  changePassword: {
    document:
      'mutation { changePassword(input: { currentPassword: "the first password", newPassword: "the next password" }) { worker { id } } }',
    // Each caller's own fresh account: changing it ends the caller's other sessions, not the matrix's.
    as: async (role) => {
      if (role === 'anonymous') return {};
      if (role === 'integrator') return who.integrator;
      const w = await s.h.worker(unique(role), [], { password: 'the first password', isAdmin: role === 'admin' });
      return { token: (await s.h.orchestra.auth.login(w.username, 'the first password')).token };
    },
    expect: WORKERS,
  },
  assignTask: {
    document: 'mutation($t: ID!, $w: ID!) { assignTask(input: { taskId: $t, workerId: $w }) { task { status } } }',
    setup: async () => ({ t: (await fresh()).taskId, w: ids.worker }),
    expect: ADMIN,
  },
  claimTask: {
    document: 'mutation($t: ID!) { claimTask(input: { taskId: $t }) { task { status } } }',
    setup: async () => ({ t: (await fresh()).taskId }),
    // Only the certified may take it: the admin of this file holds no certification.
    expect: all('WORKER_CERTIFICATION_ERROR', {
      worker: 'ok',
      reviewer: 'ok',
      integrator: 'FORBIDDEN',
      anonymous: 'UNAUTHENTICATED',
    }),
  },
  completeAndSkipTask: {
    document: 'mutation($t: ID!) { completeAndSkipTask(input: { taskId: $t }) { task { status } } }',
    setup: async () => ({ t: (await heldByWorker()).taskId }),
    expect: ADMIN,
  },
  createApiKey: { document: 'mutation { createApiKey(input: { name: "matrix" }) { secret } }', expect: ADMIN },
  createProject: {
    document:
      'mutation { createProject(input: { workflowSlug: "matrix", versionSlug: "v1", description: "m" }) { project { id } } }',
    expect: MANAGERS,
  },
  createProjects: {
    document:
      'mutation { createProjects(input: { projects: [{ workflowSlug: "matrix", versionSlug: "v1", description: "m" }] }) { index error { code } } }',
    expect: MANAGERS,
  },
  createWebhook: {
    document: 'mutation { createWebhook(input: { url: "http://127.0.0.1:9/hook" }) { secret } }',
    expect: MANAGERS,
  },
  createSubsequentTasks: {
    document: 'mutation($p: ID!) { createSubsequentTasks(input: { projectId: $p }) { createdTasks { id } } }',
    setup: async () => ({ p: (await fresh()).projectId }),
    expect: ADMIN,
  },
  createWorker: {
    document: 'mutation($u: String!) { createWorker(input: { username: $u }) { worker { id } } }',
    setup: async () => ({ u: `made_${Math.random().toString(36).slice(2, 10)}` }),
    expect: ADMIN,
  },
  deleteWebhook: {
    document: 'mutation($w: ID!) { deleteWebhook(input: { id: $w }) { webhook { id } } }',
    setup: async () => ({ w: await adminWebhook() }),
    expect: ADMINS_WEBHOOK,
  },
  endProjects: {
    document: 'mutation($p: ID!) { endProjects(input: { projectIds: [$p] }) { index error { code } } }',
    setup: async () => ({ p: (await fresh()).projectId }),
    expect: MANAGERS,
  },
  endProject: {
    document: 'mutation($p: ID!) { endProject(input: { projectId: $p }) { project { status } } }',
    setup: async () => ({ p: (await fresh()).projectId }),
    expect: MANAGERS,
  },
  grantCertification: {
    document:
      'mutation($input: CertificationGrantInput!) { grantCertification(input: $input) { workerCertification { role } } }',
    setup: async () => ({ input: { ...CERT, username: (await s.h.worker('grantee')).username } }),
    expect: ADMIN,
  },
  login: {
    document: 'mutation($p: String!) { login(input: { username: "matrix_other", password: $p }) { token } }',
    setup: async () => ({ p: PASSWORD }),
    expect: all('ok', { anonymous: 'ok' }),
  },
  logout: {
    document: 'mutation { logout { loggedOut } }',
    // Each caller's own fresh session (or key): logging out must not end the ones the matrix uses.
    as: async (role) =>
      role === 'anonymous'
        ? {}
        : role === 'integrator'
          ? { apiKey: (await s.h.orchestra.auth.createApiKey(s.h.admin, 'logout')).secret }
          : { token: (await s.h.orchestra.auth.login(`matrix_${role}`, PASSWORD)).token },
    expect: all('ok', { anonymous: 'ok' }),
  },
  register: {
    document: 'mutation($input: RegisterInput!) { register(input: $input) { username } }',
    setup: async () => {
      const name = unique('signup');
      return { input: { username: name, email: `${name}@example.org`, password: PASSWORD } };
    },
    expect: ANYONE,
  },
  reassignAssignments: {
    document:
      'mutation($a: ID!, $w: ID!) { reassignAssignments(input: { assignments: [{ assignmentId: $a, workerId: $w }] }) { index error { code } } }',
    setup: async () => {
      const t = await fresh();
      const a = await s.h.lifecycle.claimTask(worker('worker'), t.taskId);
      return { a: a.id, w: ids.reviewer };
    },
    expect: ADMIN,
  },
  resendWebhookDelivery: {
    document: 'mutation($d: ID!) { resendWebhookDelivery(input: { deliveryId: $d }) { delivery { status } } }',
    setup: async () => {
      const { rows } = await s.h.db.pool.query(
        `insert into webhook_delivery (webhook_id, event_id, event_tx_id, event_type, status)
         values ($1, 1, '1'::xid8, 'project.created', 'FAILED') returning id::text`,
        [await adminWebhook()],
      );
      return { d: rows[0].id };
    },
    expect: ADMINS_WEBHOOK,
  },
  requestActivationLink: {
    document: 'mutation { requestActivationLink(input: { login: "nobody@example.org" }) { accepted } }',
    expect: ANYONE,
  },
  requestPasswordReset: {
    document: 'mutation { requestPasswordReset(input: { login: "nobody@example.org" }) { accepted } }',
    expect: ANYONE,
  },
  resetPassword: {
    document: 'mutation($t: String!) { resetPassword(input: { token: $t, password: "a new password" }) { username } }',
    setup: async () => ({ t: await linkToken('PASSWORD_RESET') }),
    expect: ANYONE,
  },
  pauseProject: {
    document: 'mutation($p: ID!) { pauseProject(input: { projectId: $p }) { project { status } } }',
    setup: async () => ({ p: (await fresh()).projectId }),
    expect: ADMIN,
  },
  reassignAssignment: {
    document:
      'mutation($a: ID!, $w: ID!) { reassignAssignment(input: { assignmentId: $a, workerId: $w }) { assignment { id } } }',
    setup: async () => {
      const t = await fresh();
      const a = await s.h.lifecycle.claimTask(worker('worker'), t.taskId);
      return { a: a.id, w: ids.reviewer };
    },
    expect: ADMIN,
  },
  requestTask: {
    document: 'mutation { requestTask { task { id } reason } }',
    setup: async () => (await fresh(), {}),
    expect: WORKERS,
  },
  rerunMachineStep: {
    document: 'mutation($t: ID!) { rerunMachineStep(input: { taskId: $t }) { assignment { status } } }',
    setup: async () => {
      const p = await s.h.project('matrix', 'failing');
      const taskId = await s.h.taskId(p.id, 'fetch');
      expect(await executeMachineStep(s.h.orchestra, taskId)).toBe('failed');
      return { t: taskId };
    },
    expect: ADMIN,
  },
  resumeProject: {
    document: 'mutation($p: ID!) { resumeProject(input: { projectId: $p }) { project { status } } }',
    setup: async () => {
      const t = await fresh();
      await s.h.lifecycle.pauseProject(s.h.admin, t.projectId);
      return { p: t.projectId };
    },
    expect: ADMIN,
  },
  revertTask: {
    document:
      'mutation($t: ID!, $i: ID!) { revertTask(input: { taskId: $t, iterationId: $i, dryRun: false }) { committed } }',
    setup: async () => {
      const t = await heldByWorker();
      const iteration = (await s.h.task(t.projectId, 'write'))!.iterations[0]!;
      return { t: t.taskId, i: iteration.id };
    },
    expect: ADMIN,
  },
  revokeApiKey: {
    document: 'mutation($k: ID!) { revokeApiKey(input: { id: $k }) { apiKey { revokedAt } } }',
    setup: async () => ({ k: (await s.h.orchestra.auth.createApiKey(s.h.admin, 'to revoke')).apiKey.id }),
    expect: ADMIN,
  },
  revokeCertification: {
    document: 'mutation($input: CertificationGrantInput!) { revokeCertification(input: $input) { revoked } }',
    setup: async () => ({
      input: { ...CERT, username: (await s.h.worker('revokee', [['matrix', 'writer', 'ENTRY_LEVEL']])).username },
    }),
    expect: ADMIN,
  },
  saveTask: {
    document: 'mutation($t: ID!) { saveTask(input: { taskId: $t, data: { text: "saved" } }) { assignment { data } } }',
    setup: async () => ({ t: (await heldByWorker()).taskId }),
    expect: all('TASK_ASSIGNMENT_ERROR', { worker: 'ok', integrator: 'FORBIDDEN', anonymous: 'UNAUTHENTICATED' }),
  },
  setCommunicationPreferences: {
    document:
      'mutation { setCommunicationPreferences(input: { preferences: [{ kind: TASK_ACCEPTED, email: true, slack: false }] }) { worker { communicationPreferences { kind email } } } }',
    expect: WORKERS,
  },
  submitTask: {
    document:
      'mutation($t: ID!) { submitTask(input: { taskId: $t, data: { text: "done" }, action: SUBMIT }) { task { status } } }',
    setup: async () => ({ t: (await heldByWorker()).taskId }),
    expect: all('TASK_ASSIGNMENT_ERROR', { worker: 'ok', integrator: 'FORBIDDEN', anonymous: 'UNAUTHENTICATED' }),
  },
  updateProfile: {
    document: 'mutation { updateProfile(input: { lastName: "Matrix" }) { worker { lastName slackUsername } } }',
    expect: WORKERS,
  },
};

const SUBSCRIPTIONS: Record<string, Case> = {
  availableTaskCounts: { document: 'subscription { availableTaskCounts { entryLevel review } }', expect: WORKERS },
  dashboardChanges: { document: 'subscription { dashboardChanges { taskId } }', expect: WORKERS },
  events: { document: 'subscription { events { type } }', expect: MANAGERS },
  projectChanges: {
    document: 'subscription($p: ID!) { projectChanges(projectId: $p) { type } }',
    setup: async () => ({ p: held.projectId }),
    expect: all('FORBIDDEN', { worker: 'ok', admin: 'ok', integrator: 'ok' }),
  },
  taskChanges: {
    document: 'subscription($t: ID!) { taskChanges(taskId: $t) { type } }',
    setup: async () => ({ t: reviewed.taskId }),
    expect: all('FORBIDDEN', { worker: 'ok', reviewer: 'ok', admin: 'ok', integrator: 'ok' }),
  },
};

beforeAll(async () => {
  s = await createServer({ workflows: [matrixWorkflow], config: { maxInProgressTasks: 1000 } });
  const [w, o, r] = [
    await s.h.worker('matrix_worker', [['matrix', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD }),
    await s.h.worker('matrix_other', [], { password: PASSWORD }),
    await s.h.worker('matrix_reviewer', [['matrix', 'writer', 'REVIEWER']], { password: PASSWORD }),
  ];
  await s.h.worker('matrix_admin', [], { isAdmin: true, password: PASSWORD });
  Object.assign(ids, { worker: w.workerId, other: o.workerId, reviewer: r.workerId });
  who.anonymous = {};
  for (const role of ['worker', 'other', 'reviewer', 'admin'] as const)
    who[role] = { token: await s.login(`matrix_${role}`, PASSWORD) };
  who.integrator = { apiKey: (await s.h.orchestra.auth.createApiKey(s.h.admin, 'matrix')).secret };

  held = await heldByWorker();
  await s.h.lifecycle.saveTask(w, { taskId: held.taskId, data: { text: WORKER_SECRET } });
  reviewed = await heldByWorker();
  await s.h.lifecycle.submitTask(w, {
    taskId: reviewed.taskId,
    data: { text: 'submitted' },
    action: SubmitAction.SUBMIT,
  });
  await s.h.lifecycle.claimTask(r, reviewed.taskId);
  await s.h.lifecycle.saveTask(r, { taskId: reviewed.taskId, data: { text: REVIEWER_SECRET } });
}, 120_000);
afterAll(() => s?.close());

const answerOf = (res: GqlResponse): Answer =>
  res.errors?.length ? (res.errors[0]!.extensions?.code as Answer) : 'ok';

/** What a caller must never read: another worker's data (admins and integrators see everything). */
function expectNoLeak(role: Role, text: string): void {
  if (role === 'other' || role === 'anonymous') expect(text).not.toContain(WORKER_SECRET);
  if (role !== 'admin' && role !== 'integrator' && role !== 'reviewer') expect(text).not.toContain(REVIEWER_SECRET);
}

describe('the matrix covers the schema', () => {
  it('has a row for every query, mutation and subscription, and no row for anything else', async () => {
    const schema = await orchestraSchema();
    const fields = (type: unknown) => (isObjectType(type) ? Object.keys(type.getFields()).sort() : []);
    expect(Object.keys(QUERIES).sort()).toEqual(fields(schema.getQueryType()));
    expect(Object.keys(MUTATIONS).sort()).toEqual(fields(schema.getMutationType()));
    expect(Object.keys(SUBSCRIPTIONS).sort()).toEqual(fields(schema.getSubscriptionType()));
  });
});

describe.each(Object.entries({ ...QUERIES, ...MUTATIONS }))('%s', (_name, c) => {
  it.each(ROLES)('as %s', async (role) => {
    const variables = (await c.setup?.()) ?? {};
    const as = c.as ? await c.as(role) : who[role];
    const before = await dbState(s.h);
    const res = await s.gql(c.document, variables, as);
    const text = JSON.stringify(res.data ?? null);
    expect(answerOf(res), `${role}: ${JSON.stringify(res.errors)}`).toBe(c.expect[role]);
    expect(res.status).toBeLessThan(500);
    if (c.expect[role] !== 'ok') {
      // Nothing comes back: no data, or (a nullable root field) only nulls.
      expect(Object.values(res.data ?? {}).every((v) => v === null)).toBe(true);
      expect(await dbState(s.h), 'a refused request changes nothing').toEqual(before);
    }
    expectNoLeak(role, text);
  });
});

describe.each(Object.entries(SUBSCRIPTIONS))('subscription %s', (_name, c) => {
  it.each(ROLES)('as %s', async (role) => {
    const variables = (await c.setup?.()) ?? {};
    const cred = who[role];
    const params = cred.token ? { authorization: `Bearer ${cred.token}` } : cred.apiKey ? { apiKey: cred.apiKey } : {};
    const client = wsClient(s.url, params);
    const seen: { errors: { extensions?: { code?: string } }[]; closed: number | null; data: unknown[] } = {
      errors: [],
      closed: null,
      data: [],
    };
    const stop = client.subscribe(
      { query: c.document, variables },
      {
        next: (v) => (v.errors ? seen.errors.push(...(v.errors as never[])) : seen.data.push(v.data)),
        error: (e) => {
          if (Array.isArray(e)) seen.errors.push(...(e as never[]));
          else seen.closed = (e as { code?: number }).code ?? -1;
        },
        complete: () => {},
      },
    );
    // A refusal comes at once; an accepted subscription stays open (counts send their first value).
    await new Promise((r) => setTimeout(r, 400));
    stop();
    await client.dispose();
    const answer: Answer =
      seen.closed === 4403
        ? 'UNAUTHENTICATED'
        : seen.errors.length
          ? (seen.errors[0]!.extensions?.code as Answer)
          : 'ok';
    expect(answer, JSON.stringify(seen)).toBe(c.expect[role]);
    expectNoLeak(role, JSON.stringify(seen.data));
  });
});
