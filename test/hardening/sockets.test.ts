// Finding 5 of the hardening issue, over real WebSockets: open sockets end with their credentials
// (revocation, logout, expiry: 4403 within seconds), frames are bounded (1009), subscriptions per
// socket and sockets per identity are capped, a connection_init must come in time (4408), a page of
// another origin cannot read a worker's stream with their cookie, and operations meet the same
// limits and input guard as over HTTP.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'sockets password';
let s: TestServer;
let workerToken: string;

beforeAll(async () => {
  s = await createServer({
    workflows: [reviewWorkflow],
    config: {
      ws: {
        maxPayloadBytes: 256 * 1024,
        maxSubscriptionsPerSocket: 5,
        maxSocketsPerIdentity: 3,
        connectionInitTimeoutMs: 10_000,
        revalidateMs: 200,
      },
      allowedOrigins: ['https://app.example.org'],
    },
  });
  await s.h.worker('socket_worker', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
  workerToken = await s.login('socket_worker', PASSWORD);
});
afterAll(() => s?.close());

/** A raw graphql-ws socket: what it was sent, and how it closed. */
function socket(headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers });
  const state = {
    ws,
    messages: [] as { type: string; id?: string; payload?: any }[],
    closed: null as { code: number; reason: string } | null,
    refused: null as number | null,
  };
  ws.on('message', (data) => state.messages.push(JSON.parse(String(data))));
  ws.on('close', (code, reason) => (state.closed = { code, reason: String(reason) }));
  ws.on('unexpected-response', (_req, res) => (state.refused = res.statusCode ?? 0));
  ws.on('error', () => {});
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
    ws.once('unexpected-response', () => resolve(false));
  });
  return {
    state,
    opened,
    async init(payload: Record<string, unknown>) {
      await opened;
      ws.send(JSON.stringify({ type: 'connection_init', payload }));
      await until(
        () => state.messages.some((m) => m.type === 'connection_ack') || state.closed !== null,
        'connection_ack',
      );
      return state.messages.some((m) => m.type === 'connection_ack');
    },
    /** Closes it and waits until the server has seen it go. */
    async close() {
      if (state.closed === null && !state.refused) {
        ws.close();
        await until(() => state.closed !== null, 'the socket to close');
      }
    },
    subscribe(id: string, query: string, variables: Record<string, unknown> = {}) {
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    },
    answerTo: (id: string) =>
      until(
        () => state.messages.some((m) => m.id === id && (m.type === 'next' || m.type === 'error')),
        `an answer to ${id}`,
      ),
  };
}

const EVENTS = 'subscription { events { type projectId } }';
const DASHBOARD = 'subscription { dashboardChanges { taskId state } }';

describe('sockets end with their credentials', () => {
  it('a revoked API key’s socket is closed with 4403 within seconds, and receives nothing more', async () => {
    const { apiKey, secret } = await s.h.orchestra.auth.createApiKey(s.h.admin, 'to revoke');
    const c = socket();
    expect(await c.init({ apiKey: secret })).toBe(true);
    c.subscribe('1', EVENTS);
    await until(() => s.http.realtime.subscriptions > 0, 'the subscription');
    await s.h.project('review');
    await until(() => c.state.messages.some((m) => m.type === 'next'), 'an event');
    await s.h.orchestra.auth.revokeApiKey(s.h.admin, apiKey.id);
    await until(() => c.state.closed !== null, 'the socket to close', 5000);
    expect(c.state.closed!.code).toBe(4403);
    const seen = c.state.messages.length;
    await s.h.project('review');
    await s.settled();
    expect(c.state.messages.length).toBe(seen);
  });

  it('logging out and a session expiring close their sockets too', async () => {
    const token = await s.login('socket_worker', PASSWORD);
    const a = socket();
    expect(await a.init({ authorization: `Bearer ${token}` })).toBe(true);
    a.subscribe('1', DASHBOARD);
    await s.gql('mutation { logout { loggedOut } }', {}, { token });
    await until(() => a.state.closed !== null, 'the logged-out socket to close', 5000);
    expect(a.state.closed!.code).toBe(4403);

    const expiring = await s.login('socket_worker', PASSWORD);
    const b = socket();
    expect(await b.init({ authorization: `Bearer ${expiring}` })).toBe(true);
    await s.h.db.pool.query(
      `update session set expires_at = now() - interval '1 second' where expires_at > now() and created_at > now() - interval '1 minute'`,
    );
    await until(() => b.state.closed !== null, 'the expired socket to close', 5000);
    expect(b.state.closed!.code).toBe(4403);
    workerToken = await s.login('socket_worker', PASSWORD); // the file's worker needs a session again
  });
});

describe('a socket opened while the others are being checked', () => {
  it('stays open: only the credentials that were asked about are judged', async () => {
    const a = socket();
    expect(await a.init({ authorization: `Bearer ${workerToken}` })).toBe(true);
    // Hold the periodic check's query (it reads api_key) until the new socket is in.
    const blocker = await s.h.db.pool.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table api_key in access exclusive mode');
      await new Promise((r) => setTimeout(r, 300)); // a check has started, and waits
      const token = await s.login('socket_worker', PASSWORD);
      const b = socket();
      expect(await b.init({ authorization: `Bearer ${token}` })).toBe(true);
      await blocker.query('rollback');
      await new Promise((r) => setTimeout(r, 600)); // that check answers, and the next ones
      expect(b.state.closed).toBeNull();
      expect(a.state.closed).toBeNull();
      await b.close();
    } finally {
      blocker.release();
      await a.close();
    }
  });
});

describe('limits of a socket', () => {
  it('at most 5 subscriptions on one socket: the 6th to the 200th are refused with SUBSCRIPTION_LIMIT', async () => {
    const c = socket();
    expect(await c.init({ authorization: `Bearer ${workerToken}` })).toBe(true);
    for (let i = 1; i <= 200; i++) c.subscribe(String(i), DASHBOARD);
    await c.answerTo('200');
    const refused = c.state.messages.filter((m) => m.type === 'error');
    expect(refused.map((m) => m.payload[0].extensions.reason)).toEqual(Array(195).fill('SUBSCRIPTION_LIMIT'));
    expect(refused[0]!.payload[0]).toMatchObject({
      extensions: { code: 'QUERY_TOO_COMPLEX', reason: 'SUBSCRIPTION_LIMIT', limit: 5 },
    });
    expect(c.state.closed).toBeNull();
    await c.close();
  });

  it('at most 3 sockets per account: the 4th is closed with 4429', async () => {
    const open = [socket(), socket(), socket()];
    for (const c of open) expect(await c.init({ authorization: `Bearer ${workerToken}` })).toBe(true);
    const fourth = socket();
    expect(await fourth.init({ authorization: `Bearer ${workerToken}` })).toBe(false);
    expect(fourth.state.closed).toMatchObject({ code: 4429 });
    await open[0]!.close();
    const again = socket();
    expect(await again.init({ authorization: `Bearer ${workerToken}` })).toBe(true);
    for (const c of [...open, again]) await c.close();
  });

  it('frames larger than the limit close their socket (1009) before anyone authenticates; the server’s memory stays', async () => {
    const rss = process.memoryUsage().rss;
    const huge = Buffer.alloc(4 * 1024 * 1024, 'x').toString();
    const sockets = Array.from({ length: 8 }, () => socket());
    await Promise.all(sockets.map((c) => c.opened));
    for (const c of sockets) c.state.ws.send(huge);
    await until(() => sockets.every((c) => c.state.closed !== null), 'the sockets to close', 10_000);
    expect(sockets.map((c) => c.state.closed!.code)).toEqual(Array(8).fill(1009));
    expect(process.memoryUsage().rss - rss).toBeLessThan(400 * 1024 * 1024);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('a socket that sends no connection_init in time is closed with 4408', async () => {
    const quick = await createServer({
      workflows: [reviewWorkflow],
      config: { ws: { ...s.h.orchestra.config.ws, connectionInitTimeoutMs: 300 } },
    });
    try {
      const ws = new WebSocket(`${quick.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      expect(await closed).toBe(4408);
    } finally {
      await quick.close();
    }
  });

  it('operations meet the limits and the input guard of HTTP', async () => {
    const c = socket();
    expect(await c.init({ authorization: `Bearer ${workerToken}` })).toBe(true);
    const deep = `subscription { dashboardChanges { event { task { ${'project { tasks { '.repeat(8)}id${' } }'.repeat(8)} } } } }`;
    c.subscribe('deep', deep);
    c.subscribe('nul', 'subscription($a: String) { dashboardChanges(after: $a) { taskId } }', { a: 'x\u0000' });
    c.subscribe('tokens', `subscription { dashboardChanges { ${'taskId '.repeat(6000)} } }`);
    for (const id of ['deep', 'nul', 'tokens']) await c.answerTo(id);
    const errorOf = (id: string) =>
      c.state.messages.find((m) => m.id === id && m.type === 'error')?.payload?.[0]?.extensions;
    expect(errorOf('deep')).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'DEPTH_LIMIT' });
    expect(errorOf('nul')).toMatchObject({ code: 'BAD_INPUT' });
    expect(errorOf('tokens')).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'TOKEN_LIMIT' });
    expect(c.state.closed).toBeNull();
    await c.close();
  });
});

describe('origins', () => {
  it('a page of another origin cannot open a socket with the worker’s cookie; the server’s own and configured origins can', async () => {
    const cookie = `orchestra_session=${workerToken}`;
    const other = socket({ cookie, origin: 'http://127.0.0.1:1' });
    expect(await other.opened).toBe(false);
    expect(other.state.refused).toBe(401);

    const own = socket({ cookie, origin: s.url });
    expect(await own.init({})).toBe(true);
    await own.close();
    const configured = socket({ cookie, origin: 'https://app.example.org' });
    expect(await configured.init({})).toBe(true);
    await configured.close();
    // Not a browser (no Origin): scripts connect with their credentials as before.
    const script = socket();
    expect(await script.init({ authorization: `Bearer ${workerToken}` })).toBe(true);
    await script.close();
  });
});
