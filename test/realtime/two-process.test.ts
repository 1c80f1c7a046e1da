// Two server processes on one database: this test's own server (A) and `orchestra serve` spawned as a
// child process (B). Each process has its own relay (NOTIFY wake-up + poll) and hub, so a mutation made
// through either process's GraphQL API must reach the subscribers of both — each subscriber receiving
// each event it may see exactly once, in the one stream order, whichever process made it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { PROJECT_ROOT } from '../../server/config.js';
import { cursorOf } from '../../server/events/cursor.js';
import { releasedHead } from '../../server/events/stream.js';
import { createServer, type GqlResponse, type TestServer } from '../support/server.js';
import { collect, wsClient, type Collected } from '../support/ws.js';
import { reviewWorkflow } from '../workflows/fixtures.js';
import { freePort } from '../support/net.js';

const PASSWORD = 'two processes password';

let a: TestServer;
let child: ChildProcess | null = null;
let childOutput = '';
let bUrl = '';
const workflowsDir = path.join(PROJECT_ROOT, '.data', `two-process-workflows-${randomBytes(4).toString('hex')}`);
const clients: Client[] = [];

/** Spawns `orchestra serve` on the test database; resolves with its URL once it prints its GraphQL line. */
async function spawnServe(databaseUrl: string): Promise<string> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'server/cli.ts', 'serve', '--port', String(port)],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        HOST: '127.0.0.1',
        NODE_ENV: 'test',
        ORCHESTRA_JOBS_IN_PROCESS: 'false',
        ORCHESTRA_WORKFLOWS_DIR: workflowsDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('timed out waiting for the "GraphQL API" line')), 90_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n--- child output ---\n${childOutput}`));
    };
    const onData = (chunk: Buffer) => {
      childOutput += chunk.toString();
      const m = /GraphQL API\s+(http:\/\/\S+)\/graphql/.exec(childOutput);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    proc.once('error', fail);
    proc.once('exit', (code, signal) =>
      fail(new Error(`the child server exited early (code ${code}, signal ${signal})`)),
    );
  });
}

async function stopChild(): Promise<void> {
  const proc = child;
  child = null;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** POSTs a GraphQL operation to either process. */
async function gqlAt<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<GqlResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: GqlResponse['errors'] };
  return { status: res.status, headers: res.headers, data: body.data ?? null, errors: body.errors };
}

async function ok<T = Record<string, any>>(res: Promise<GqlResponse<T>>): Promise<T> {
  const r = await res;
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

function subscriberAt(url: string, token: string): Client {
  const client = wsClient(url, { authorization: `Bearer ${token}` });
  clients.push(client);
  return client;
}

const CREATE = `mutation($v: String!, $d: String!) {
  createProject(input: { workflowSlug: "review", versionSlug: $v, description: $d }) { project { id tasks { id } } }
}`;
const CLAIM = `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id status } } }`;
const SUBMIT = `mutation($id: ID!, $action: SubmitAction!, $data: JSONObject!) {
  submitTask(input: { taskId: $id, action: $action, data: $data }) { task { id status } }
}`;
const EVENTS = `subscription($after: String, $slug: String) { events(after: $after, workflowSlug: $slug) { cursor type taskId } }`;
const DASHBOARD = `subscription($after: String) { dashboardChanges(after: $after) { taskId state event { cursor type taskId } } }`;
const TASK_CHANGES = `subscription($id: ID!, $after: String) { taskChanges(taskId: $id, after: $after) { cursor type taskId task { status } } }`;

/** Events in stream order after a cursor, as the database has them (optionally those naming a worker). */
async function expectedCursors(after: string, workerId?: number): Promise<string[]> {
  const [txId, id] = after.split('.');
  const { rows } = await a.h.db.pool.query<{ cursor: string }>(
    `select tx_id::text || '.' || id as cursor from domain_event
      where (tx_id, id) > ($1::text::xid8, $2::bigint)
        and ($3::jsonb is null or (payload -> 'workerIds') @> $3::jsonb)
      order by tx_id, id`,
    [txId, id, workerId === undefined ? null : JSON.stringify([workerId])],
  );
  return rows.map((r) => r.cursor);
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tokens: Record<string, string> = {};
let ids: Record<string, number> = {};

beforeAll(async () => {
  // B loads its workflows from a folder: the very definition A is given.
  mkdirSync(path.join(workflowsDir, 'review'), { recursive: true });
  const fixtures = path.relative(
    path.join(workflowsDir, 'review'),
    path.join(PROJECT_ROOT, 'test', 'workflows', 'fixtures.js'),
  );
  writeFileSync(
    path.join(workflowsDir, 'review', 'workflow.ts'),
    `export { reviewWorkflow as default } from '${fixtures}';\n`,
  );

  a = await createServer({ workflows: [reviewWorkflow] });
  const made = [
    await a.h.worker('admin', [], { isAdmin: true, password: PASSWORD }),
    ...(await Promise.all(
      ['w0', 'w1', 'w2', 'w3'].map((u) => a.h.worker(u, [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD })),
    )),
    ...(await Promise.all(
      ['r0', 'r1'].map((u) => a.h.worker(u, [['review', 'writer', 'REVIEWER']], { password: PASSWORD })),
    )),
  ];
  ids = Object.fromEntries(made.map((w) => [w.username, w.workerId]));
  tokens = Object.fromEntries(
    await Promise.all(made.map(async (w) => [w.username, await a.login(w.username, PASSWORD)] as const)),
  );
  bUrl = await spawnServe(a.h.db.url);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stopChild(); // before A drops the database
  await a?.close();
  rmSync(workflowsDir, { recursive: true, force: true });
});

describe('two server processes on one database', () => {
  it('a subscriber on one process receives the events of mutations made through the other', async () => {
    const aUrl = a.url;
    const project = (await ok(gqlAt(bUrl, CREATE, { v: 'v1', d: 'cross' }, tokens.admin!))).createProject.project;
    const taskId = project.tasks[0].id as string;
    await ok(gqlAt(aUrl, CLAIM, { id: taskId }, tokens.w0!)); // a worker subscribes to tasks they are on
    // Both start right after the claim's events, however late those are released (an open transaction
    // anywhere in the cluster holds them back), so they expect exactly what follows.
    const { rows } = await a.h.db.pool.query<{ cursor: string }>(
      `select tx_id::text || '.' || id as cursor from domain_event where task_id = $1 order by tx_id desc, id desc limit 1`,
      [Number(taskId)],
    );
    const afterClaim = rows[0]!.cursor;
    const onA = collect(subscriberAt(aUrl, tokens.w0!), TASK_CHANGES, { id: taskId, after: afterClaim });
    const onB = collect(subscriberAt(bUrl, tokens.w0!), TASK_CHANGES, { id: taskId, after: afterClaim });
    await settle(500); // both subscriptions live: what follows reaches them through the relays

    // Made through A: seen on B (and on A).
    await ok(gqlAt(aUrl, SUBMIT, { id: taskId, action: 'SUBMIT', data: { text: 'draft' } }, tokens.w0!));
    const bSaw = await onB.waitFor(2);
    expect(bSaw.map((i: any) => i.taskChanges.type)).toEqual(['task.submitted', 'task.status_changed']);
    expect(bSaw[1].taskChanges.task.status).toBe('PENDING_REVIEW');

    // Made through B: seen on A (and on B).
    await ok(gqlAt(bUrl, CLAIM, { id: taskId }, tokens.r0!));
    const aSaw = await onA.waitFor(4);
    expect(aSaw.map((i: any) => i.taskChanges.type)).toEqual([
      'task.submitted',
      'task.status_changed',
      'task.assigned',
      'task.status_changed',
    ]);
    expect(aSaw[3].taskChanges.task.status).toBe('REVIEWING');

    await onB.waitFor(4);
    await settle(600); // more than two relay polls: nothing more may arrive
    expect(onA.items).toHaveLength(4);
    expect(onA.items.map((i: any) => i.taskChanges.cursor)).toEqual(onB.items.map((i: any) => i.taskChanges.cursor));
    expect(onA.errors).toEqual([]);
    expect(onB.errors).toEqual([]);
    onA.stop();
    onB.stop();
  });

  it('every subscriber of either process receives each event exactly once, whichever process made it', async () => {
    const urls = [a.url, bUrl];
    const start = cursorOf(await releasedHead(a.h.db.pool));

    // Several subscribers per process: admins on every event (several sockets, and one workflow-filtered),
    // writers and a reviewer on their dashboards.
    type Sub = { where: string; what: string; workerId?: number; c: Collected<any>; cursors: () => string[] };
    const subs: Sub[] = [];
    for (const [p, url] of urls.entries()) {
      const where = p === 0 ? 'A' : 'B';
      for (let k = 0; k < 3; k++) {
        const c = collect(subscriberAt(url, tokens.admin!), EVENTS, { after: start });
        subs.push({ where, what: `events#${k}`, c, cursors: () => c.items.map((i) => i.events.cursor) });
      }
      const bySlug = collect(subscriberAt(url, tokens.admin!), EVENTS, { after: start, slug: 'review' });
      subs.push({ where, what: 'events(review)', c: bySlug, cursors: () => bySlug.items.map((i) => i.events.cursor) });
      // Two dashboard subscriptions on one socket.
      const w0Client = subscriberAt(url, tokens.w0!);
      for (let k = 0; k < 2; k++) {
        const c = collect(w0Client, DASHBOARD, { after: start });
        subs.push({
          where,
          what: `w0 dashboard#${k}`,
          workerId: ids.w0,
          c,
          cursors: () => c.items.map((i) => i.dashboardChanges.event.cursor),
        });
      }
      for (const u of ['w3', 'r0']) {
        const c = collect(subscriberAt(url, tokens[u]!), DASHBOARD, { after: start });
        subs.push({
          where,
          what: `${u} dashboard`,
          workerId: ids[u],
          c,
          cursors: () => c.items.map((i) => i.dashboardChanges.event.cursor),
        });
      }
    }
    // Every subscription is live once it has the probe (an event every admin subscription sees).
    await ok(gqlAt(urls[1]!, CREATE, { v: 'noreview', d: 'probe' }, tokens.admin!));
    await Promise.all(subs.filter((s) => s.workerId === undefined).map((s) => s.c.waitFor(1)));
    await settle(300);

    // Four review walks run concurrently, each alternating between the processes step by step, so both
    // processes commit transactions at the same time.
    const walk = async (i: number) => {
      const writer = tokens[`w${i}`]!;
      const reviewer = tokens[`r${i % 2}`]!;
      const at = (k: number) => urls[(i + k) % 2]!;
      const project = (await ok(gqlAt(at(0), CREATE, { v: 'v1', d: `walk ${i}` }, tokens.admin!))).createProject
        .project;
      const id = project.tasks[0].id as string;
      await ok(gqlAt(at(1), CLAIM, { id }, writer));
      await ok(gqlAt(at(0), SUBMIT, { id, action: 'SUBMIT', data: { draft: 1 } }, writer));
      await ok(gqlAt(at(1), CLAIM, { id }, reviewer));
      await ok(gqlAt(at(0), SUBMIT, { id, action: 'REJECT', data: { note: 'again' } }, reviewer));
      await ok(gqlAt(at(1), SUBMIT, { id, action: 'SUBMIT', data: { draft: 2 } }, writer));
      const accepted = await ok(gqlAt(at(0), SUBMIT, { id, action: 'ACCEPT', data: { draft: 2 } }, reviewer));
      expect(accepted.submitTask.task.status).toBe('PENDING_REVIEW'); // the second reviewer level is next
    };
    await Promise.all([0, 1, 2, 3].map(walk));
    // And a few short walks through both processes at once.
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const project = (await ok(gqlAt(urls[i % 2]!, CREATE, { v: 'noreview', d: `short ${i}` }, tokens.admin!)))
          .createProject.project;
        const id = project.tasks[0].id as string;
        await ok(gqlAt(urls[(i + 1) % 2]!, CLAIM, { id }, tokens[`w${i}`]!));
        await ok(gqlAt(urls[i % 2]!, SUBMIT, { id, action: 'SUBMIT', data: { ok: true } }, tokens[`w${i}`]!));
      }),
    );

    const all = await expectedCursors(start);
    const expected = new Map<number | undefined, string[]>([[undefined, all]]);
    for (const s of subs)
      if (s.workerId !== undefined && !expected.has(s.workerId))
        expected.set(s.workerId, await expectedCursors(start, s.workerId));
    expect(all.length).toBeGreaterThan(60);
    for (const s of subs) expect(expected.get(s.workerId)!.length, `${s.where} ${s.what}`).toBeGreaterThan(0);

    await Promise.all(subs.map((s) => s.c.waitFor(expected.get(s.workerId)!.length, 15_000)));
    await settle(700); // more than two relay polls: late duplicates would have arrived by now
    for (const s of subs) {
      expect(s.c.errors, `${s.where} ${s.what}`).toEqual([]);
      expect(s.cursors(), `${s.where} ${s.what}`).toEqual(expected.get(s.workerId));
    }
    // The same subscription on A and on B saw the same stream.
    for (const s of subs.filter((x) => x.where === 'A')) {
      const twin = subs.find((x) => x.where === 'B' && x.what === s.what)!;
      expect(s.cursors()).toEqual(twin.cursors());
    }
    for (const s of subs) s.c.stop();
  });
});
