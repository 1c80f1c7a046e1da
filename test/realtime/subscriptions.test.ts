// Subscriptions as their users see them, over real WebSockets (graphql-ws) against a real server and
// database (DESIGN "Events are durable"; server/events/realtime.ts, event.resolver.ts, http/ws.ts):
// events arrive only after their transaction commits and never for a rolled-back change; a client
// that reconnects with its last cursor gets exactly what it missed, then live events, with nothing
// lost or doubled even while events keep coming; nobody receives events about work that is not
// theirs; the dashboard and the available-task counts follow the work.
//
// "The subscription is live" is read from the server (`realtime.subscriptions` counts open streams,
// each registered with the hub before it reads anything), so no test sleeps hoping it is ready; "nothing
// more arrives" is checked after the relay has read past everything committed (`relay.wake()`).
import { recordOrmStatements } from '../support/sql-count.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { useServer, type TestServer } from '../support/server.js';
import { collect, wsClient, type Collected } from '../support/ws.js';
import { reviewWorkflow } from '../workflows/fixtures.js';
import { sleep, until } from '../support/wait.js';

/** Switches that make the `fragile` workflow's policies throw, so a use case fails half-way. */
const failing = { creation: false, reviewer: false };

const fragileWorkflow = defineWorkflow({
  slug: 'fragile',
  name: 'Fragile',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'Policies that can fail',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
          creationPolicy: () => {
            if (failing.creation) throw new Error('creation policy exploded');
            return true;
          },
          assignmentPolicy: {
            reviewer: () => {
              if (failing.reviewer) throw new Error('reviewer policy exploded');
              return [];
            },
          },
        },
      ],
    },
  ],
});

/** Two parallel steps needing a certification, never reviewed: two workers on one project. */
const duoWorkflow = defineWorkflow({
  slug: 'duo',
  name: 'Duo',
  certifications: [{ slug: 'member', name: 'Member' }],
  versions: [
    {
      slug: 'v1',
      name: 'Left and right',
      steps: [
        {
          kind: 'human',
          slug: 'left',
          name: 'Left',
          requiredCertifications: ['member'],
          reviewPolicy: { policy: 'no_review' },
        },
        {
          kind: 'human',
          slug: 'right',
          name: 'Right',
          requiredCertifications: ['member'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
  ],
});

/** One step, always reviewed once: the dashboard walk and the available-task counts. */
const deskWorkflow = defineWorkflow({
  slug: 'desk',
  name: 'Desk',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'Reviewed once',
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
  ],
});

const EVENTS = `subscription($after: String, $wf: String) { events(after: $after, workflowSlug: $wf) { cursor type projectId taskId data } }`;
const TASK_CHANGES = `subscription($id: ID!, $after: String) { taskChanges(taskId: $id, after: $after) { cursor type taskId data task { status } } }`;
const PROJECT_CHANGES = `subscription($id: ID!, $after: String) { projectChanges(projectId: $id, after: $after) { cursor type projectId taskId } }`;
const DASHBOARD = `subscription($after: String) { dashboardChanges(after: $after) { taskId state event { cursor type taskId projectId } } }`;
const COUNTS = `subscription { availableTaskCounts { entryLevel review } }`;

interface Ev {
  cursor: string;
  type: string;
  projectId: string | null;
  taskId: string | null;
  data: Record<string, unknown>;
  task?: { status: string } | null;
}
interface Dash {
  taskId: string;
  state: string | null;
  event: { cursor: string; type: string; taskId: string | null; projectId: string | null };
}

const PASSWORD = 'realtime password';
let s: TestServer;
let adminToken: string;

beforeAll(async () => {
  s = await useServer({
    workflows: [reviewWorkflow, fragileWorkflow, duoWorkflow, deskWorkflow],
    config: { maxInProgressTasks: 1000 },
  });
  await s.h.worker('rt_admin', [], { isAdmin: true, password: PASSWORD });
  adminToken = await s.login('rt_admin', PASSWORD);
});

// ---- helpers ----------------------------------------------------------------------------------

const clients: Client[] = [];

function connect(params: Record<string, unknown>): Client {
  const client = wsClient(s.url, params);
  clients.push(client);
  return client;
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await until(() => s.http.realtime.subscriptions === 0, 'every subscription to end');
});

/** Subscribes and waits until the server streams to it (registered with the hub). */
async function live<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
  initialItems = 0,
): Promise<Collected<T>> {
  const before = s.http.realtime.subscriptions;
  const sub = collect<T>(client, query, variables);
  if (initialItems) await sub.waitFor(initialItems);
  await until(
    () => s.http.realtime.subscriptions > before || sub.errors.length > 0 || sub.completed,
    'the subscription to go live',
  );
  if (sub.errors.length) throw new Error(`subscription failed: ${JSON.stringify(sub.errors)}`);
  return sub;
}

/** The codes of a subscription's failure: GraphQL error codes, or the socket's close code. */
async function failureOf(sub: Collected<unknown>): Promise<unknown[]> {
  await until(() => sub.errors.length > 0 || sub.completed, 'the subscription to fail');
  return sub.errors.flat().map((e: any) => e?.extensions?.code ?? e?.code);
}

async function workerWithToken(name: string, certs: Parameters<TestServer['h']['worker']>[1] = []) {
  const actor = await s.h.worker(name, certs, { password: PASSWORD });
  const token = await s.login(actor.username, PASSWORD);
  await s.settled(); // the certification grants' events are out: live subscriptions start after them
  return { actor, token };
}

const pos = (cursor: string): [bigint, bigint] => {
  const [tx, id] = cursor.split('.');
  return [BigInt(tx!), BigInt(id!)];
};
/** Cursors are strictly increasing in stream order. */
function expectStreamOrder(cursors: string[]): void {
  for (let i = 1; i < cursors.length; i++) {
    const [a, b] = [pos(cursors[i - 1]!), pos(cursors[i]!)];
    expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${cursors[i - 1]} before ${cursors[i]}`).toBe(true);
  }
}

const evs = (sub: Collected<{ events: Ev }>) => sub.items.map((i) => i.events);
const types = (list: { type: string }[]) => list.map((e) => e.type);
const cursors = (list: { cursor: string }[]) => list.map((e) => e.cursor);

/** Nothing more arrives: the relay has read past everything committed, and in-flight frames landed. */
async function settle(): Promise<void> {
  await s.settled();
  await sleep(150);
}

// ---- 1. after commit, never after rollback ---------------------------------------------------

describe('events arrive after commit and never after a rollback', () => {
  it('delivers a committed change with its cursor, nothing for failed use cases, then the next change', async () => {
    const writer = await workerWithToken('fragile_writer', [['fragile', 'writer', 'ENTRY_LEVEL']]);
    const admin = await live<{ events: Ev }>(connect(bearer(adminToken)), EVENTS);

    const project = await s.h.project('fragile');
    const taskId = await s.h.taskId(project.id, 'write');
    await s.h.lifecycle.claimTask(writer.actor, taskId);
    const first = (await admin.waitFor(4)).map((i) => i.events);
    expect(types(first)).toEqual(['project.created', 'task.created', 'task.assigned', 'task.status_changed']);
    for (const e of first) expect(e.cursor).toMatch(/^\d+\.\d+$/);
    expectStreamOrder(cursors(first));
    expect(first.map((e) => e.projectId)).toEqual(Array(4).fill(String(project.id)));
    expect(first.slice(1).map((e) => e.taskId)).toEqual(Array(3).fill(String(taskId)));

    const mine = await live<{ taskChanges: Ev }>(connect(bearer(writer.token)), TASK_CHANGES, { id: String(taskId) });
    const projectsBefore = (await s.h.db.pool.query('select count(*)::int as n from project')).rows[0].n;

    // createProject fails in its creation policy, after the project row was written: rolled back.
    failing.creation = true;
    try {
      await expect(s.h.project('fragile')).rejects.toMatchObject({ code: 'CREATION_POLICY_ERROR' });
    } finally {
      failing.creation = false;
    }
    expect((await s.h.db.pool.query('select count(*)::int as n from project')).rows[0].n).toBe(projectsBefore);

    // submit fails in the reviewer assignment policy, after the task's new status was flushed.
    failing.reviewer = true;
    try {
      await expect(
        s.h.lifecycle.submitTask(writer.actor, { taskId, data: { draft: 1 }, action: SubmitAction.SUBMIT }),
      ).rejects.toMatchObject({
        code: 'ASSIGNMENT_POLICY_ERROR',
      });
    } finally {
      failing.reviewer = false;
    }
    expect((await s.h.task(project.id, 'write'))!.status).toBe('PROCESSING');

    await settle();
    expect(admin.items).toHaveLength(4);
    expect(mine.items).toHaveLength(0);
    expect(admin.errors).toEqual([]);
    expect(mine.errors).toEqual([]);

    // The next successful change is the next thing both receive; its task shows the committed state.
    await s.h.lifecycle.submitTask(writer.actor, { taskId, data: { draft: 2 }, action: SubmitAction.SUBMIT });
    const got = (await mine.waitFor(2)).map((i) => i.taskChanges);
    expect(types(got)).toEqual(['task.submitted', 'task.status_changed']);
    expect(got[1]!.data).toMatchObject({ status: 'PENDING_REVIEW', previousStatus: 'PROCESSING' });
    expect(got[1]!.task?.status).toBe('PENDING_REVIEW');
    const next = (await admin.waitFor(6)).map((i) => i.events).slice(4);
    expect(cursors(next)).toEqual(cursors(got));
    expectStreamOrder(cursors([...first, ...next]));
    await settle();
    expect(admin.items).toHaveLength(6);
    expect(mine.items).toHaveLength(2);
  });
});

// ---- 2. resume by cursor ------------------------------------------------------------------------

describe('resuming with a cursor', () => {
  it('replays exactly what a disconnected client missed, then goes live', async () => {
    const writer = await workerWithToken('resume_writer', [['review', 'writer', 'ENTRY_LEVEL']]);
    const watcher = await live<{ events: Ev }>(connect(bearer(adminToken)), EVENTS); // never disconnects
    const base = watcher.items.length;

    const first = connect(bearer(adminToken));
    const before = await live<{ events: Ev }>(first, EVENTS);
    for (let i = 0; i < 3; i++) await s.h.project('review', 'noreview');
    const seen = (await before.waitFor(6)).map((i) => i.events);
    expect(cursors(seen)).toEqual(cursors((await watcher.waitFor(base + 6)).slice(base).map((i) => i.events)));
    const last = seen.at(-1)!.cursor;
    await first.dispose();
    await until(() => s.http.realtime.subscriptions === 1, 'the first client to be gone');

    // Missed while away: projects, a claim and a submit (which completes the task and the project).
    const missedProjects = [await s.h.project('review', 'noreview'), await s.h.project('review', 'noreview')];
    const taskId = await s.h.taskId(missedProjects[0]!.id, 'write');
    await s.h.lifecycle.claimTask(writer.actor, taskId);
    await s.h.lifecycle.submitTask(writer.actor, { taskId, data: { done: true }, action: SubmitAction.SUBMIT });
    const missedCount = 4 + 2 + 4; // 2 × (project.created, task.created); assigned, status; submitted, status, completed, project status
    const missed = (await watcher.waitFor(base + 6 + missedCount)).slice(base + 6).map((i) => i.events);
    expect(types(missed)).toEqual([
      'project.created',
      'task.created',
      'project.created',
      'task.created',
      'task.assigned',
      'task.status_changed',
      'task.submitted',
      'task.status_changed',
      'task.completed',
      'project.status_changed',
    ]);

    const again = await live<{ events: Ev }>(connect(bearer(adminToken)), EVENTS, { after: last });
    expect(cursors((await again.waitFor(missedCount)).map((i) => i.events))).toEqual(cursors(missed));
    // …then live.
    await s.h.project('review', 'noreview');
    const all = (await watcher.waitFor(base + 6 + missedCount + 2)).slice(base + 6).map((i) => i.events);
    const resumed = (await again.waitFor(missedCount + 2)).map((i) => i.events);
    expect(cursors(resumed)).toEqual(cursors(all));
    expect(types(resumed)).toEqual(types(all));
    expect(resumed.map((e) => e.data)).toEqual(all.map((e) => e.data));
    await settle();
    expect(again.items).toHaveLength(missedCount + 2);
    expect(watcher.items).toHaveLength(base + 6 + missedCount + 2);
  });

  it('loses and doubles nothing when events keep coming during a long replay', async () => {
    const watcher = await live<{ events: Ev }>(connect(bearer(adminToken)), EVENTS);
    await s.h.project('review', 'noreview');
    const from = (await watcher.waitFor(2))[1]!.events.cursor;

    // A backlog larger than one replay batch (500 events).
    const backlogProjects = 260;
    for (let i = 0; i < backlogProjects; i += 10)
      await Promise.all(Array.from({ length: 10 }, () => s.h.project('review', 'noreview')));
    await watcher.waitFor(2 + backlogProjects * 2, 30_000);

    // Resubscribe and, at once, keep producing from several connections while the replay runs.
    const resumed = collect<{ events: Ev }>(connect(bearer(adminToken)), EVENTS, { after: from });
    const duringProjects = 40;
    const producing = (async () => {
      for (let i = 0; i < duringProjects; i += 4)
        await Promise.all(Array.from({ length: 4 }, () => s.h.project('review', 'noreview')));
    })();
    await producing;
    const total = backlogProjects * 2 + duringProjects * 2;
    const expected = (await watcher.waitFor(2 + total, 30_000)).slice(2).map((i) => i.events);
    const got = (await resumed.waitFor(total, 30_000)).map((i) => i.events);
    expect(got.length).toBe(total);
    expect(cursors(got)).toEqual(cursors(expected));
    expect(new Set(cursors(got)).size).toBe(total);
    expectStreamOrder(cursors(got));

    // And it stays exact once live: one more project, then nothing else.
    await s.h.project('review', 'noreview');
    await watcher.waitFor(2 + total + 2);
    await resumed.waitFor(total + 2);
    await settle();
    expect(cursors(evs(resumed))).toEqual(cursors(evs(watcher).slice(2)));
  });

  it('resumes a worker’s task changes with only that task’s events', async () => {
    const a = await workerWithToken('resume_task', [['review', 'writer', 'REVIEWER']]);
    const r = await workerWithToken('resume_reviewer', [['review', 'writer', 'REVIEWER']]);
    const project = await s.h.project('review'); // two reviewer levels
    const taskId = await s.h.taskId(project.id, 'write');
    await s.h.lifecycle.claimTask(a.actor, taskId);
    await s.settled(); // the claim's events are out: a new live subscription starts after them
    const first = connect(bearer(a.token));
    const before = await live<{ taskChanges: Ev }>(first, TASK_CHANGES, { id: String(taskId) });
    await s.h.lifecycle.submitTask(a.actor, { taskId, data: { v: 1 }, action: SubmitAction.SUBMIT });
    const last = (await before.waitFor(2))[1]!.taskChanges.cursor;
    await first.dispose();
    await until(() => s.http.realtime.subscriptions === 0, 'the first client to be gone');

    // Meanwhile: other work happens elsewhere, and the reviewer takes and returns the task.
    await s.h.project('review', 'noreview');
    await s.h.lifecycle.claimTask(r.actor, taskId);
    await s.h.lifecycle.submitTask(r.actor, { taskId, data: { v: 2 }, action: SubmitAction.REJECT });

    const again = await live<{ taskChanges: Ev }>(connect(bearer(a.token)), TASK_CHANGES, {
      id: String(taskId),
      after: last,
    });
    const missed = (await again.waitFor(4)).map((i) => i.taskChanges);
    expect(types(missed)).toEqual(['task.assigned', 'task.status_changed', 'task.returned', 'task.status_changed']);
    expect(missed.every((e) => e.taskId === String(taskId))).toBe(true);
    expect(missed[3]!.data).toMatchObject({ status: 'POST_REVIEW_PROCESSING' });
    expectStreamOrder([last, ...cursors(missed)]);
    await s.h.lifecycle.submitTask(a.actor, { taskId, data: { v: 3 }, action: SubmitAction.SUBMIT });
    expect(types((await again.waitFor(6)).slice(4).map((i) => i.taskChanges))).toEqual([
      'task.submitted',
      'task.status_changed',
    ]);
  });

  it('refuses a cursor that is not one with BAD_INPUT', async () => {
    const w = await workerWithToken('cursor_writer', [['review', 'writer', 'ENTRY_LEVEL']]);
    const project = await s.h.project('review', 'noreview');
    const taskId = await s.h.taskId(project.id, 'write');
    await s.h.lifecycle.claimTask(w.actor, taskId);
    const admin = connect(bearer(adminToken));
    const worker = connect(bearer(w.token));
    for (const after of [
      'nope',
      '1.2.3',
      '-1.5',
      '1.',
      '.1',
      '1.99999999999999999999',
      '99999999999999999999.1',
      '18446744073709551616.1',
    ]) {
      expect(await failureOf(collect(admin, EVENTS, { after })), `events(after: "${after}")`).toEqual(['BAD_INPUT']);
    }
    expect(await failureOf(collect(worker, TASK_CHANGES, { id: String(taskId), after: 'x.y' }))).toEqual(['BAD_INPUT']);
    expect(await failureOf(collect(worker, DASHBOARD, { after: '12' }))).toEqual(['BAD_INPUT']);
    expect(await failureOf(collect(admin, PROJECT_CHANGES, { id: String(project.id), after: 'latest' }))).toEqual([
      'BAD_INPUT',
    ]);
  });
});

// ---- leaving ------------------------------------------------------------------------------------------

describe('leaving', () => {
  it('frees a subscription as soon as its client stops it or goes away, even when nothing happens', async () => {
    const w = await workerWithToken('leaver', [['desk', 'writer', 'ENTRY_LEVEL']]);
    const project = await s.h.project('desk');
    const taskId = await s.h.taskId(project.id, 'write');
    await s.h.lifecycle.claimTask(w.actor, taskId);
    const hubBefore = s.http.realtime.hub.subscriberCount;
    const client = connect(bearer(w.token));
    const task = await live(client, TASK_CHANGES, { id: String(taskId) });
    const dashboard = await live(client, DASHBOARD);
    await live(client, COUNTS, {}, 1);
    await live(client, PROJECT_CHANGES, { id: String(project.id) });
    expect(s.http.realtime.subscriptions).toBe(4);
    expect(s.http.realtime.hub.subscriberCount).toBe(hubBefore + 4);

    // One subscription stopped on a quiet topic: gone at once, the others stay.
    task.stop();
    await until(() => s.http.realtime.subscriptions === 3, 'the stopped subscription to end');
    dashboard.stop();
    await until(() => s.http.realtime.subscriptions === 2, 'the stopped subscription to end');
    // The client goes away: everything it had ends.
    await client.dispose();
    await until(() => s.http.realtime.subscriptions === 0, 'the client’s subscriptions to end');
    expect(s.http.realtime.hub.subscriberCount).toBe(hubBefore);
  });
});

// ---- 3. authorization -----------------------------------------------------------------------------

describe('who receives what', () => {
  it('keeps another worker’s task events from a worker, and refuses what they may not watch', async () => {
    const a = await workerWithToken('duo_a', [['duo', 'member', 'ENTRY_LEVEL']]);
    const b = await workerWithToken('duo_b', [['duo', 'member', 'ENTRY_LEVEL']]);
    const project = await s.h.project('duo');
    const left = await s.h.taskId(project.id, 'left');
    const right = await s.h.taskId(project.id, 'right');
    const bClient = connect(bearer(b.token));
    const bDashboard = await live<{ dashboardChanges: Dash }>(bClient, DASHBOARD);

    expect(await failureOf(collect(bClient, EVENTS))).toEqual(['FORBIDDEN']);
    expect(await failureOf(collect(bClient, EVENTS, { wf: 'duo' }))).toEqual(['FORBIDDEN']);

    await s.h.lifecycle.claimTask(a.actor, left);
    expect(await failureOf(collect(bClient, TASK_CHANGES, { id: String(left) }))).toEqual(['FORBIDDEN']);
    expect(await failureOf(collect(bClient, PROJECT_CHANGES, { id: String(project.id) }))).toEqual(['FORBIDDEN']);

    await s.h.lifecycle.claimTask(b.actor, right);
    const bFirst = (await bDashboard.waitFor(2)).map((i) => i.dashboardChanges);
    expect(bFirst.map((d) => [d.taskId, d.state, d.event.type])).toEqual([
      [String(right), 'IN_PROGRESS', 'task.assigned'],
      [String(right), 'IN_PROGRESS', 'task.status_changed'],
    ]);
    // Being on the project does not open the other worker's task.
    expect(await failureOf(collect(bClient, TASK_CHANGES, { id: String(left) }))).toEqual(['FORBIDDEN']);
    const bProject = await live<{ projectChanges: Ev }>(bClient, PROJECT_CHANGES, { id: String(project.id) });
    const aClient = connect(bearer(a.token));
    const aTask = await live<{ taskChanges: Ev }>(aClient, TASK_CHANGES, { id: String(left) });

    await s.h.lifecycle.submitTask(a.actor, { taskId: left, data: { side: 'left' }, action: SubmitAction.SUBMIT });
    expect(types((await aTask.waitFor(3)).map((i) => i.taskChanges))).toEqual([
      'task.submitted',
      'task.status_changed',
      'task.completed',
    ]);
    await s.h.lifecycle.submitTask(b.actor, { taskId: right, data: { side: 'right' }, action: SubmitAction.SUBMIT });

    const bp = (await bProject.waitFor(4)).map((i) => i.projectChanges);
    expect(bp.map((e) => [e.type, e.taskId])).toEqual([
      ['task.submitted', String(right)],
      ['task.status_changed', String(right)],
      ['task.completed', String(right)],
      ['project.status_changed', null],
    ]);
    const bd = (await bDashboard.waitFor(6)).map((i) => i.dashboardChanges);
    expect(bd.slice(2).map((d) => [d.taskId, d.state, d.event.type])).toEqual([
      [String(right), 'COMPLETE', 'task.submitted'],
      [String(right), 'COMPLETE', 'task.status_changed'],
      [String(right), 'COMPLETE', 'task.completed'],
      [String(right), 'COMPLETE', 'project.status_changed'],
    ]);
    await settle();
    expect(bDashboard.items).toHaveLength(6);
    expect(bProject.items).toHaveLength(4);
    expect([...bd.map((d) => d.event.taskId), ...bp.map((e) => e.taskId)]).not.toContain(String(left));
    // Replaying from the start of the stream gives B nothing of A's either.
    // (B's own certification grant comes first: it is B's event, written when B was certified.)
    const replay = await live<{ dashboardChanges: Dash }>(bClient, DASHBOARD, { after: '0.0' });
    await replay.waitFor(7);
    await settle();
    const replayed = replay.items.map((i) => i.dashboardChanges.event);
    expect(replayed[0]).toMatchObject({ type: 'worker.certifications_changed', taskId: null, projectId: null });
    expect(replayed.slice(1).map((e) => e.cursor)).toEqual(bd.map((d) => d.event.cursor));
  });

  it('closes a connection without valid credentials with 4403', async () => {
    const revoked = await s.h.orchestra.auth.createApiKey(s.h.admin, 'soon revoked');
    await s.h.orchestra.auth.revokeApiKey(s.h.admin, revoked.apiKey.id);
    const attempts: Record<string, unknown>[] = [
      {},
      { authorization: 'Bearer os_not-a-session' },
      { token: 'garbage' },
      { apiKey: 'ok_not-a-key' },
      { apiKey: revoked.secret },
      { authorization: 'Basic dXNlcjpwYXNz' },
    ];
    for (const params of attempts) {
      const sub = collect(connect(params), EVENTS);
      expect(await failureOf(sub), JSON.stringify(params)).toEqual([4403]);
      expect(sub.items).toEqual([]);
    }
  });

  it('lets an integrator’s API key follow every event or one workflow’s', async () => {
    const { secret } = await s.h.orchestra.auth.createApiKey(s.h.admin, 'integrator');
    const key = connect({ apiKey: secret });
    const all = await live<{ events: Ev }>(key, EVENTS);
    const reviewOnly = await live<{ events: Ev }>(key, EVENTS, { wf: 'review' });

    const duo = await s.h.project('duo');
    const review = await s.h.project('review', 'noreview');
    const everything = (await all.waitFor(5)).map((i) => i.events); // duo: project + 2 tasks; review: project + task
    expect(everything.map((e) => e.projectId)).toEqual([
      ...Array(3).fill(String(duo.id)),
      ...Array(2).fill(String(review.id)),
    ]);
    const some = (await reviewOnly.waitFor(2)).map((i) => i.events);
    expect(cursors(some)).toEqual(cursors(everything.slice(3)));

    // The same filter applies to a replay.
    const replayed = await live<{ events: Ev }>(key, EVENTS, { wf: 'review', after: everything[0]!.cursor });
    expect(cursors((await replayed.waitFor(2)).map((i) => i.events))).toEqual(cursors(some));
    await s.h.project('duo');
    const review2 = await s.h.project('review', 'noreview');
    await all.waitFor(10);
    const next = (await reviewOnly.waitFor(4)).map((i) => i.events).slice(2);
    expect(next.map((e) => [e.type, e.projectId])).toEqual([
      ['project.created', String(review2.id)],
      ['task.created', String(review2.id)],
    ]);
    expect(cursors((await replayed.waitFor(4)).map((i) => i.events))).toEqual(cursors(evs(reviewOnly)));
    await settle();
    expect(reviewOnly.items).toHaveLength(4);
    expect(replayed.items).toHaveLength(4);
  });
});

// ---- 4. dashboard and available-task counts ------------------------------------------------------

describe('dashboard changes and available-task counts', () => {
  it('moves the task between dashboard groups as the work goes', async () => {
    const d = await workerWithToken('desk_writer', [['desk', 'writer', 'ENTRY_LEVEL']]);
    const r = await workerWithToken('desk_reviewer', [['desk', 'writer', 'REVIEWER']]);
    const mine = await live<{ dashboardChanges: Dash }>(connect(bearer(d.token)), DASHBOARD);
    const theirs = await live<{ dashboardChanges: Dash }>(connect(bearer(r.token)), DASHBOARD);
    const project = await s.h.project('desk');
    const taskId = await s.h.taskId(project.id, 'write');
    const T = String(taskId);
    const last = async (sub: Collected<{ dashboardChanges: Dash }>, n: number) => {
      const all = (await sub.waitFor(n)).map((i) => i.dashboardChanges);
      expect(all.every((c) => c.taskId === T)).toBe(true);
      return all.slice(-1)[0]!;
    };

    await s.h.lifecycle.claimTask(d.actor, taskId);
    expect((await last(mine, 2)).state).toBe('IN_PROGRESS');
    await s.h.lifecycle.submitTask(d.actor, { taskId, data: { v: 1 }, action: SubmitAction.SUBMIT });
    expect((await last(mine, 4)).state).toBe('PENDING_REVIEW');
    expect(theirs.items).toHaveLength(0); // not theirs yet

    await s.h.lifecycle.claimTask(r.actor, taskId);
    expect((await last(theirs, 2)).state).toBe('IN_PROGRESS');
    expect((await last(mine, 6)).state).toBe('PENDING_REVIEW');

    await s.h.lifecycle.submitTask(r.actor, { taskId, data: { v: 1, note: 'fix it' }, action: SubmitAction.REJECT });
    const returned = await last(mine, 8);
    expect([returned.state, returned.event.type]).toEqual(['RETURNED', 'task.status_changed']);
    expect((await last(theirs, 4)).state).toBe('PENDING_PROCESSING');

    await s.h.lifecycle.submitTask(d.actor, { taskId, data: { v: 2 }, action: SubmitAction.SUBMIT });
    expect((await last(mine, 10)).state).toBe('PENDING_REVIEW');
    expect((await last(theirs, 6)).state).toBe('IN_PROGRESS');

    await s.h.lifecycle.submitTask(r.actor, { taskId, data: { v: 2 }, action: SubmitAction.ACCEPT });
    const done = (await mine.waitFor(14)).slice(10).map((i) => i.dashboardChanges);
    expect(done.map((c) => [c.event.type, c.state])).toEqual([
      ['task.submitted', 'COMPLETE'],
      ['task.status_changed', 'COMPLETE'],
      ['task.completed', 'COMPLETE'],
      ['project.status_changed', 'COMPLETE'],
    ]);
    expect(done[3]!.taskId).toBe(T);
    expect((await last(theirs, 10)).state).toBe('COMPLETE');

    // Pausing a project moves the worker's task there to PAUSED (the event names the project's workers).
    const paused = await s.h.project('desk');
    const other = await s.h.taskId(paused.id, 'write');
    await s.h.lifecycle.claimTask(d.actor, other);
    await mine.waitFor(16);
    await s.h.lifecycle.pauseProject(s.h.admin, paused.id);
    const p = (await mine.waitFor(17))[16]!.dashboardChanges;
    expect([p.event.type, p.event.projectId, p.taskId, p.state]).toEqual([
      'project.status_changed',
      String(paused.id),
      String(other),
      'PAUSED',
    ]);
    await s.h.lifecycle.resumeProject(s.h.admin, paused.id);
    const resumed = (await mine.waitFor(18))[17]!.dashboardChanges;
    expect([resumed.event.type, resumed.taskId, resumed.state]).toEqual([
      'project.status_changed',
      String(other),
      'IN_PROGRESS',
    ]);
    await settle();
    expect(mine.items).toHaveLength(18);
    expect(theirs.items).toHaveLength(10); // the reviewer is not on the paused project
  });

  it('sends the claimable counts at once and again whenever they change', async () => {
    const c = await workerWithToken('count_writer', [['desk', 'writer', 'ENTRY_LEVEL']]);
    const r = await workerWithToken('count_reviewer', [['desk', 'writer', 'REVIEWER']]);
    // Earlier tests left no desk task waiting (only ones in progress); two now wait for a writer.
    const waiting = [await s.h.project('desk'), await s.h.project('desk')];
    type Counts = { entryLevel: number; review: number; inProgress: number };
    type Sub = Collected<{ availableTaskCounts: Counts & { entryLevelReason: string | null; reviewReason: string } }>;
    const ALL = `subscription { availableTaskCounts { entryLevel review inProgress entryLevelReason reviewReason } }`;
    const cCounts: Sub = await live(connect(bearer(c.token)), ALL, {}, 1);
    const rCounts: Sub = await live(connect(bearer(r.token)), ALL, {}, 1);
    const shown = (sub: Sub): Counts | undefined => {
      const last = sub.items.at(-1)?.availableTaskCounts;
      return last && { entryLevel: last.entryLevel, review: last.review, inProgress: last.inProgress };
    };
    // What the worker sees after each change. (Whether a message also comes for a change of a reason
    // alone depends on what else waits in the database, so the test reads the latest message, not the n-th.)
    const becomes = async (sub: Sub, expected: Counts) => {
      await until(() => JSON.stringify(shown(sub)) === JSON.stringify(expected), `counts ${JSON.stringify(expected)}`);
    };
    expect(shown(cCounts)).toEqual({ entryLevel: 2, review: 0, inProgress: 0 });
    expect(shown(rCounts)).toEqual({ entryLevel: 2, review: 0, inProgress: 0 });

    // A new task becomes claimable.
    const project = await s.h.project('desk');
    const taskId = await s.h.taskId(project.id, 'write');
    await becomes(cCounts, { entryLevel: 3, review: 0, inProgress: 0 });
    await becomes(rCounts, { entryLevel: 3, review: 0, inProgress: 0 });

    // Claimed: one fewer for everyone, one more in progress for the writer.
    await s.h.lifecycle.claimTask(c.actor, taskId);
    await becomes(cCounts, { entryLevel: 2, review: 0, inProgress: 1 });
    await becomes(rCounts, { entryLevel: 2, review: 0, inProgress: 0 });

    // Submitted: a review waits for the reviewer; the writer has one task fewer in progress (inProgress
    // is part of the counts: it changed, so they are sent again, the claimable numbers as they were).
    await s.h.lifecycle.submitTask(c.actor, { taskId, data: { v: 1 }, action: SubmitAction.SUBMIT });
    await becomes(rCounts, { entryLevel: 2, review: 1, inProgress: 0 });
    await becomes(cCounts, { entryLevel: 2, review: 0, inProgress: 0 });

    // The reviewer claims the review, then one of the waiting tasks.
    await s.h.lifecycle.claimTask(r.actor, taskId);
    await becomes(rCounts, { entryLevel: 2, review: 0, inProgress: 1 });
    await s.h.lifecycle.claimTask(r.actor, await s.h.taskId(waiting[0]!.id, 'write'));
    await becomes(cCounts, { entryLevel: 1, review: 0, inProgress: 0 });
    await becomes(rCounts, { entryLevel: 1, review: 0, inProgress: 2 });

    // Sent only when something changed: never the same counts twice in a row, nothing after the last.
    await settle();
    for (const sub of [cCounts, rCounts]) {
      const sent = sub.items.map((i) => JSON.stringify(i.availableTaskCounts));
      expect(sent.filter((m, i) => m === sent[i - 1])).toEqual([]);
    }
    expect(shown(cCounts)).toEqual({ entryLevel: 1, review: 0, inProgress: 0 });
    expect(shown(rCounts)).toEqual({ entryLevel: 1, review: 0, inProgress: 2 });
    // The writer's counts changed four times after the first message (the reviewer's review claim left
    // them as they were): five messages, and at most one more per step for a reason that changed alone.
    expect(cCounts.items.length).toBeGreaterThanOrEqual(5);
    expect(cCounts.items.length).toBeLessThanOrEqual(10);
  });

  it('recounts every watcher of their counts in one shared statement per event, not one each', async () => {
    const watchers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => workerWithToken(`watcher_${i}`, [['desk', 'writer', 'ENTRY_LEVEL']])),
    );
    const subs = await Promise.all(watchers.map((w) => live(connect(bearer(w.token)), COUNTS, {}, 1)));
    const { sql } = await recordOrmStatements(async () => {
      await s.h.project('desk'); // a new task: everyone may claim one more
      await Promise.all(subs.map((sub) => sub.waitFor(2)));
    });
    for (const [i, sub] of subs.entries()) {
      expect(sub.items[1]!.availableTaskCounts.entryLevel, `watcher ${i}`).toBe(
        sub.items[0]!.availableTaskCounts.entryLevel + 1,
      );
    }
    const recounts = sql.filter((q) => q.includes('worker_certification where worker_id = w.worker_id'));
    expect(recounts.length).toBeGreaterThanOrEqual(1);
    expect(recounts.length).toBeLessThanOrEqual(2); // one batch (two if the event reached them a tick apart)
  });
});
