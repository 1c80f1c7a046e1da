// Findings 3, 4 and 7 of the hardening issue over real HTTP: cookies parsed tolerantly and stale
// sessions cleared (never a dead end); failed logins throttled per username and per client address
// with a typed error that says when to retry, successful logins unaffected; a database that is away
// answered with a typed SERVICE_UNAVAILABLE (503), and service coming back when it does.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TestServer } from '../support/server.js';
import { sleep } from '../support/wait.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'sessions password';
let s: TestServer;

beforeAll(async () => {
  s = await createServer({
    workflows: [reviewWorkflow],
    config: { loginThrottle: { perUser: 5, perAddress: 12, windowMs: 2500 } },
  });
  for (const name of ['cookie_user', 'victim', 'bystander', 'regular'])
    await s.h.worker(name, [], { password: PASSWORD });
});
afterAll(() => s?.close());

interface Raw {
  status: number;
  setCookie: string[];
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Raw> {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, setCookie: res.headers.getSetCookie(), body: (await res.json()) as Raw['body'] };
}

const LOGIN = 'mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token } }';
const login = (u: string, p: string, headers: Record<string, string> = {}) => post(LOGIN, { u, p }, headers);

describe('cookies', () => {
  it('a malformed cookie of another application (a bare %) is ignored: login and the session work', async () => {
    const logged = await login('cookie_user', PASSWORD, { cookie: 'discount=100%; theme=%E0%A4%A' });
    expect(logged.status).toBe(200);
    const token = logged.body.data.login.token as string;
    const me = await post(
      '{ viewer { username } }',
      {},
      { cookie: `discount=100%; orchestra_session=${token}; other=%%` },
    );
    expect(me).toMatchObject({ status: 200, body: { data: { viewer: { username: 'cookie_user' } } } });
  });

  it('a stale or unknown session cookie makes the caller anonymous and clears the cookie; login and logout work', async () => {
    const stale = { cookie: 'orchestra_session=os_this-session-does-not-exist' };
    const anonymous = await post('{ viewer { username } }', {}, stale);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.data).toEqual({ viewer: null });
    expect(anonymous.setCookie.some((c) => /^orchestra_session=;.*Max-Age=0/.test(c))).toBe(true);

    const logged = await login('cookie_user', PASSWORD, stale);
    expect(logged.status).toBe(200);
    expect(logged.body.data.login.token).toMatch(/^os_/);
    expect(logged.setCookie.some((c) => c.startsWith('orchestra_session=os_'))).toBe(true);

    const out = await post('mutation { logout { loggedOut } }', {}, stale);
    expect(out).toMatchObject({ status: 200, body: { data: { logout: { loggedOut: false } } } });
    expect(out.setCookie.some((c) => /^orchestra_session=;.*Max-Age=0/.test(c))).toBe(true);
    // A protected query with the stale cookie is plainly "log in", not a broken session.
    const protectedQuery = await post('{ dashboard { reviewerStatus } }', {}, stale);
    expect(protectedQuery.status).toBe(401);
    expect(protectedQuery.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'NOT_LOGGED_IN',
    });
  });

  it('a stale bearer token (a script) is still told so: 401 "log in again"', async () => {
    const res = await post('{ viewer { username } }', {}, { authorization: 'Bearer os_stale' });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_EXPIRED' });
  });
});

describe('login throttling', () => {
  it('after 5 failures for a username, even the right password waits, with the seconds to wait; others log in', async () => {
    for (let i = 0; i < 5; i++)
      expect((await login('victim', `wrong ${i}`)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const refused = await login('victim', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Too many failed logins; try again in [1-3] seconds\.$/),
      extensions: { code: 'TOO_MANY_REQUESTS', reason: 'THROTTLED', retryAfterSeconds: expect.any(Number) },
    });
    // Another account from the same address is not held up.
    expect((await login('bystander', PASSWORD)).body.data.login.token).toMatch(/^os_/);
    // Once the window has passed, the right password works again, and clears the count.
    await sleep(2600);
    expect((await login('victim', PASSWORD)).body.data.login.token).toMatch(/^os_/);
    expect((await login('victim', 'wrong again')).status).toBe(401);
    expect((await login('victim', PASSWORD)).status).toBe(200);
  });

  it('successful logins never count: one account logging in 30 times is never throttled', async () => {
    for (let i = 0; i < 30; i++) expect((await login('regular', PASSWORD)).status).toBe(200);
  });

  it('failures from one address over many usernames are throttled too, and a forged X-Forwarded-For does not escape it', async () => {
    await sleep(2600); // a fresh window for the address
    for (let i = 0; i < 12; i++) {
      expect((await login(`nobody_${i}`, 'guess', { 'x-forwarded-for': `10.0.0.${i}` })).status).toBe(401);
    }
    const refused = await login('bystander', PASSWORD, { 'x-forwarded-for': '10.9.9.9' });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REQUESTS');
  });
});

describe('a database that is away', () => {
  it('is answered with SERVICE_UNAVAILABLE (503) and /readyz 503, and service comes back with it', async () => {
    // Logged in through the service: this address is throttled by the test before.
    const { token } = await s.h.orchestra.auth.login('regular', PASSWORD);
    const name = (await s.h.db.pool.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
    // From the server's own database it cannot be closed: from the admin database of the cluster.
    const admin = new pg.Client({ connectionString: s.h.db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    try {
      await admin.query(`alter database "${name}" allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
      const res = await post('{ dashboard { reviewerStatus } }', {}, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(503);
      expect(res.body.errors?.[0]).toMatchObject({
        message: 'The database cannot be reached right now; try again in a moment.',
        extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' },
      });
      expect(JSON.stringify(res.body)).not.toMatch(/accepting connections|at \S+ \(/);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
    } finally {
      await admin.query(`alter database "${name}" allow_connections true`);
      await admin.end();
    }
    for (let i = 0; i < 50 && (await fetch(`${s.url}/readyz`)).status !== 200; i++) await sleep(100);
    const back = await post('{ dashboard { reviewerStatus } }', {}, { authorization: `Bearer ${token}` });
    expect(back).toMatchObject({ status: 200, body: { data: { dashboard: { reviewerStatus: false } } } });
  });
});
