// The outbox stream under concurrency and operations (DESIGN "Events are durable"; server/events/
// stream.ts, relay.ts, http/ws.ts). Sequence ids are not commit order: a transaction can take the lower
// id and commit last. A reader that handed out the later-committing one's neighbour first would move its
// cursor past the place where the slow transaction's event appears, and skip it for good. So an event
// is released only once every transaction with a smaller transaction id has finished, the stream is
// ordered by (tx_id, id), and each event reaches each subscriber exactly once. Operations: a server that
// shuts down completes its subscriptions and closes sockets with 1001; a relay whose LISTEN connection
// is killed keeps delivering and listens again; a failed delivery is retried, not skipped; idle sockets
// are pinged.
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { START, type StoredEvent } from '../../server/events/cursor.js';
import { readReleased } from '../../server/events/stream.js';
import { startHttpServer } from '../../server/http/server.js';
import { createServer, useServer, type TestServer } from '../support/server.js';
import { collect, wsClient, type Collected } from '../support/ws.js';
import { reviewWorkflow } from '../workflows/fixtures.js';
import { sleep, until } from '../support/wait.js';

const EVENTS = `subscription($after: String, $wf: String) { events(after: $after, workflowSlug: $wf) { cursor type projectId taskId data } }`;
const INSERT = `insert into domain_event (type, project_id, task_id, payload) values ('task.status_changed', null, null, '{"workerIds": []}') returning id::text as id, tx_id::text as tx_id`;
const NOTIFY = `select pg_notify('orchestra_events', '')`;

interface Ev {
  cursor: string;
  type: string;
  projectId: string | null;
  taskId: string | null;
}
interface Inserted {
  id: string;
  tx_id: string;
}

const PASSWORD = 'stream password';
let s: TestServer;
let adminToken: string;

beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
  await s.h.worker('stream_admin', [], { isAdmin: true, password: PASSWORD });
  adminToken = await s.login('stream_admin', PASSWORD);
});

// ---- helpers ----------------------------------------------------------------------------------

const clients: Client[] = [];
const connections: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await Promise.all(connections.splice(0).map((c) => c.end().catch(() => {})));
  await until(() => s.http.realtime.subscriptions === 0, 'every subscription to end');
});

/** A raw PostgreSQL connection to the test database, outside Orchestra. */
async function rawConnection(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: s.h.db.url });
  c.on('error', () => {});
  await c.connect();
  connections.push(c);
  return c;
}

/** An admin's `events` subscription on a server, live (registered with the hub) when this resolves. */
async function watch(
  server: { url: string; http: TestServer['http'] } = s,
  variables: Record<string, unknown> = {},
): Promise<Collected<{ events: Ev }>> {
  const client = wsClient(server.url, { authorization: `Bearer ${adminToken}` });
  clients.push(client);
  const before = server.http.realtime.subscriptions;
  const sub = collect<{ events: Ev }>(client, EVENTS, variables);
  await until(
    () => server.http.realtime.subscriptions > before || sub.errors.length > 0,
    'the subscription to go live',
  );
  expect(sub.errors).toEqual([]);
  return sub;
}

const cursorOf = (row: Inserted) => `${row.tx_id}.${row.id}`;
const cursors = (sub: Collected<{ events: Ev }>) => sub.items.map((i) => i.events.cursor);

/** The released events among the given ids, in stream order, as the replay reads them. */
async function released(ids: string[]): Promise<StoredEvent[]> {
  return (await readReleased(s.h.db.pool, START, 100_000)).filter((e) => ids.includes(String(e.id)));
}

/** Inserts one committed event (autocommit) and wakes relays: the last thing a subscriber should see. */
async function sentinel(): Promise<Inserted> {
  const c = await rawConnection();
  const row = (await c.query<Inserted>(INSERT)).rows[0]!;
  await c.query(NOTIFY);
  return row;
}

/** The relay has read everything released so far, and what it published reached the clients. */
async function settle(): Promise<void> {
  await s.http.realtime.relay.wake();
  await sleep(150);
}

// ---- 5. commit order ---------------------------------------------------------------------------------

describe('commit order', () => {
  it('holds back a later transaction’s event until an earlier one commits, then delivers both once, in order', async () => {
    const sub = await watch();
    const [tx1, tx2] = [await rawConnection(), await rawConnection()];
    await tx1.query('begin');
    await tx2.query('begin');
    const e1 = (await tx1.query<Inserted>(INSERT)).rows[0]!;
    const e2 = (await tx2.query<Inserted>(INSERT)).rows[0]!;
    expect(BigInt(e1.id)).toBeLessThan(BigInt(e2.id));
    expect(BigInt(e1.tx_id)).toBeLessThan(BigInt(e2.tx_id));
    await tx2.query(NOTIFY);
    await tx2.query('commit');

    // tx2's event is committed and visible to anyone reading the table…
    expect((await s.h.db.pool.query('select 1 from domain_event where id = $1', [e2.id])).rowCount).toBe(1);
    // …but held back: tx1 (a smaller transaction id) is still open and may still commit an event that
    // goes before it. Handing e2 out now would move cursors past e1's place, and e1 would be skipped.
    expect(await released([e1.id, e2.id])).toEqual([]);
    await settle();
    expect(sub.items).toEqual([]);

    await tx1.query(NOTIFY);
    await tx1.query('commit');
    await sub.waitFor(2);
    expect(cursors(sub)).toEqual([cursorOf(e1), cursorOf(e2)]);
    expect((await released([e1.id, e2.id])).map((e) => e.cursor)).toEqual([cursorOf(e1), cursorOf(e2)]);

    // Each once: the next thing delivered is the sentinel.
    const last = await sentinel();
    await sub.waitFor(3);
    await settle();
    expect(cursors(sub)).toEqual([cursorOf(e1), cursorOf(e2), cursorOf(last)]);
  });

  it('delivers only the committed event when the earlier transaction rolls back', async () => {
    const sub = await watch();
    const [tx1, tx2] = [await rawConnection(), await rawConnection()];
    await tx1.query('begin');
    await tx2.query('begin');
    const e1 = (await tx1.query<Inserted>(INSERT)).rows[0]!;
    await tx1.query(NOTIFY); // delivered only at commit: never, here
    const e2 = (await tx2.query<Inserted>(INSERT)).rows[0]!;
    await tx2.query(NOTIFY);
    await tx2.query('commit');
    await settle();
    expect(sub.items).toEqual([]);
    expect(await released([e1.id, e2.id])).toEqual([]);

    await tx1.query('rollback');
    await s.http.realtime.relay.wake(); // the rolled-back NOTIFY never comes: the poll (or this) finds e2
    await sub.waitFor(1);
    expect(cursors(sub)).toEqual([cursorOf(e2)]);
    expect((await released([e1.id, e2.id])).map((e) => e.cursor)).toEqual([cursorOf(e2)]);
    const last = await sentinel();
    await sub.waitFor(2);
    await settle();
    expect(cursors(sub)).toEqual([cursorOf(e2), cursorOf(last)]);
  });

  it('orders by transaction, not by id: an event with a higher id can come first', async () => {
    const before = await watch();
    const head = await sentinel();
    await before.waitFor(1);
    const [tx1, tx2] = [await rawConnection(), await rawConnection()];
    await tx1.query('begin');
    await tx1.query('select pg_current_xact_id()'); // tx1 takes its transaction id first…
    await tx2.query('begin');
    const e2 = (await tx2.query<Inserted>(INSERT)).rows[0]!; // …tx2 takes the lower event id
    await tx2.query(NOTIFY);
    await tx2.query('commit');
    await settle();
    expect(before.items).toHaveLength(1);
    const e1 = (await tx1.query<Inserted>(INSERT)).rows[0]!;
    await tx1.query(NOTIFY);
    await tx1.query('commit');
    expect(BigInt(e1.id)).toBeGreaterThan(BigInt(e2.id));
    expect(BigInt(e1.tx_id)).toBeLessThan(BigInt(e2.tx_id));

    await before.waitFor(3);
    expect(cursors(before)).toEqual([cursorOf(head), cursorOf(e1), cursorOf(e2)]);
    // A client resuming from the head replays the same order; from e1's cursor, only e2.
    const fromHead = await watch(s, { after: cursorOf(head) });
    const fromE1 = await watch(s, { after: cursorOf(e1) });
    await fromHead.waitFor(2);
    await fromE1.waitFor(1);
    await settle();
    expect(cursors(fromHead)).toEqual([cursorOf(e1), cursorOf(e2)]);
    expect(cursors(fromE1)).toEqual([cursorOf(e2)]);
  });

  it('delivers every committed event of many interleaved transactions exactly once, in stream order', async () => {
    const sub = await watch();
    const committed: Inserted[] = [];
    const rolledBack: Inserted[] = [];
    const writers = await Promise.all(Array.from({ length: 8 }, () => rawConnection()));
    await Promise.all(
      writers.map(async (c, w) => {
        for (let round = 0; round < 4; round++) {
          await c.query('begin');
          const rows: Inserted[] = [];
          for (let k = 0; k <= (w + round) % 3; k++) rows.push((await c.query<Inserted>(INSERT)).rows[0]!);
          await sleep(Math.floor(Math.random() * 25)); // commit in a different order than ids were taken
          await c.query(NOTIFY);
          if ((w + round) % 4 === 3) {
            await c.query('rollback');
            rolledBack.push(...rows);
          } else {
            await c.query('commit');
            committed.push(...rows);
          }
        }
      }),
    );
    const last = await sentinel();
    await sub.waitFor(committed.length + 1);
    await settle();

    const expected = [...committed]
      .sort((a, b) =>
        BigInt(a.tx_id) === BigInt(b.tx_id)
          ? Number(BigInt(a.id) - BigInt(b.id))
          : BigInt(a.tx_id) < BigInt(b.tx_id)
            ? -1
            : 1,
      )
      .map(cursorOf);
    expect(cursors(sub)).toEqual([...expected, cursorOf(last)]);
    expect(rolledBack.length).toBeGreaterThan(0);
    const rolledBackCursors = new Set(rolledBack.map(cursorOf));
    expect(cursors(sub).filter((c) => rolledBackCursors.has(c))).toEqual([]);
    expect((await released([...committed, ...rolledBack].map((r) => r.id))).map((e) => e.cursor)).toEqual(expected);
  });
});

// ---- 6. operations -----------------------------------------------------------------------------------

describe('operations', () => {
  it('completes subscriptions and closes sockets with 1001 when the server shuts down', async () => {
    const other = await createServer({ workflows: [reviewWorkflow] });
    let closed = false;
    try {
      await other.h.worker('closing_admin', [], { isAdmin: true, password: PASSWORD });
      const token = await other.login('closing_admin', PASSWORD);
      // An app client (graphql-ws) and a raw socket with a subscription of its own.
      const client = wsClient(other.url, { authorization: `Bearer ${token}` });
      clients.push(client);
      const sub = collect<{ events: Ev }>(client, EVENTS);
      const raw = new WebSocket(`${other.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      const rawState = { acked: false, next: 0, completed: false, closeCode: null as number | null };
      raw.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (message.type === 'connection_ack') rawState.acked = true;
        if (message.type === 'next') rawState.next++;
        if (message.type === 'complete') rawState.completed = true;
      });
      raw.on('close', (code) => (rawState.closeCode = code));
      await new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject));
      raw.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await until(() => rawState.acked, 'connection_ack');
      raw.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: EVENTS } }));
      await until(() => other.http.realtime.subscriptions === 2, 'both subscriptions to go live');
      await other.h.project('review', 'noreview');
      await sub.waitFor(2);
      await until(() => rawState.next === 2, 'the raw socket’s events');

      await other.http.close();
      closed = true;
      expect(other.http.realtime.subscriptions).toBe(0);
      // The app client's subscription completes (the lazy client then closes its socket itself)…
      await until(() => sub.completed || sub.errors.length > 0, 'the app client to see the shutdown');
      expect(sub.errors).toEqual([]);
      expect(sub.completed).toBe(true);
      expect(sub.items).toHaveLength(2);
      // …and a socket still open is closed with 1001 Going Away, its subscription completed first.
      await until(() => rawState.closeCode !== null, 'the raw socket to close');
      expect(rawState).toMatchObject({ completed: true, closeCode: 1001, next: 2 });
    } finally {
      if (closed) await other.h.close();
      else await other.close();
    }
  });

  it('keeps delivering after the relay’s LISTEN connection is killed, and listens again', async () => {
    const listeners = async (): Promise<number[]> =>
      (
        await s.h.db.pool.query<{ pid: number }>(
          `select pid from pg_stat_activity where datname = current_database() and query like 'LISTEN%'`,
        )
      ).rows.map((r) => r.pid);
    const before = await listeners();
    expect(before.length).toBeGreaterThan(0);
    const sub = await watch();
    for (const pid of before) await s.h.db.pool.query('select pg_terminate_backend($1)', [pid]);
    await until(
      async () => (await listeners()).every((pid) => !before.includes(pid)),
      'the old LISTEN connections to be gone',
    );

    // Made while the relay has no LISTEN connection: delivered from its cursor (poll / catch-up).
    const p1 = await s.h.project('review', 'noreview');
    await sub.waitFor(2);
    await until(async () => (await listeners()).some((pid) => !before.includes(pid)), 'the relay to LISTEN again');
    const p2 = await s.h.project('review', 'noreview');
    await sub.waitFor(4);
    await settle();
    expect(sub.items.map((i) => [i.events.type, i.events.projectId])).toEqual([
      ['project.created', String(p1.id)],
      ['task.created', String(p1.id)],
      ['project.created', String(p2.id)],
      ['task.created', String(p2.id)],
    ]);
  });

  it('retries a delivery that failed on a database error instead of skipping its events', async () => {
    const sub = await watch(s, {});
    const byWorkflow = await watch(s, { wf: 'review' });
    // The relay looks up the workflow of projects it has not seen; make that lookup fail for a while.
    const ddl = await rawConnection();
    await ddl.query('alter table workflow rename to workflow_unavailable');
    let restored = false;
    try {
      const p1 = await s.h.project('review', 'noreview');
      await s.http.realtime.relay.wake(); // reads p1's events and fails to deliver them
      await s.http.realtime.relay.wake();
      expect(sub.items).toEqual([]);
      await ddl.query('alter table workflow_unavailable rename to workflow');
      restored = true;
      await sub.waitFor(2);
      const p2 = await s.h.project('review', 'noreview');
      await sub.waitFor(4);
      await byWorkflow.waitFor(4);
      await settle();
      for (const got of [sub.items.map((i) => i.events), byWorkflow.items.map((i) => i.events)]) {
        expect(got.map((e) => [e.type, e.projectId])).toEqual([
          ['project.created', String(p1.id)],
          ['task.created', String(p1.id)],
          ['project.created', String(p2.id)],
          ['task.created', String(p2.id)],
        ]);
      }
    } finally {
      if (!restored) await ddl.query('alter table workflow_unavailable rename to workflow');
    }
  });

  it('pings idle sockets (keep-alive) and drops a peer that stops answering', async () => {
    const server = await startHttpServer(s.h.orchestra, { host: '127.0.0.1', port: 0, keepAliveMs: 200 });
    const sockets: WebSocket[] = [];
    try {
      const open = async (options: WebSocket.ClientOptions = {}) => {
        const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', options);
        sockets.push(ws);
        const state = { pings: 0, acked: false, closeCode: null as number | null };
        ws.on('ping', () => state.pings++);
        ws.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'connection_ack') state.acked = true;
        });
        ws.on('close', (code) => (state.closeCode = code));
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${adminToken}` } }));
        await until(() => state.acked, 'connection_ack');
        return { ws, state };
      };

      const alive = await open();
      const seen = alive.state.pings;
      await until(() => alive.state.pings >= seen + 3, 'three pings', 5_000);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN); // pongs answered: still connected

      const silent = await open({ autoPong: false });
      await until(() => silent.state.closeCode !== null, 'the silent peer to be dropped', 5_000);
      expect(silent.state.pings).toBeGreaterThan(0);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      for (const ws of sockets) ws.terminate();
      await server.close();
    }
  });
});

afterAll(async () => {
  await Promise.all(connections.splice(0).map((c) => c.end().catch(() => {})));
});
