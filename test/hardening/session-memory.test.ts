// A server answers signed-in requests from memory (auth/session-memory.ts), over real HTTP and a real
// PostgreSQL: the first request of a session looks it up, the next ones send nothing for it; and no
// change is missed — a logout is refused at once by the server that made it and within a second by
// another server on the same database; a session ended or a worker changed by hand in SQL (another
// process, the CLI) is seen within a second, not after the memory's 30 s; a profile change shows at
// once; and when the connection that hears of changes drops, the server forgets everything.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../../server/accounts/accounts.service.js';
import { startOrchestra, type Orchestra } from '../../server/app.js';
import { AuthService } from '../../server/auth/auth.service.js';
import { SessionMemory } from '../../server/auth/session-memory.js';
import { startHttpServer, type HttpServer } from '../../server/http/server.js';
import { createServer, type TestServer } from '../support/server.js';
import { recordOrmStatements } from '../support/sql-count.js';
import { until } from '../support/wait.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'remembered password';
const VIEWER = '{ viewer { username firstName isAdmin } }';
let s: TestServer;
/** A second server process's worth of Orchestra on the same database (its own memory and listener). */
let other: { app: Orchestra; http: HttpServer };

beforeAll(async () => {
  s = await createServer({ workflows: [reviewWorkflow] });
  const app = await startOrchestra({ config: s.h.orchestra.config, definitions: [reviewWorkflow], db: s.h.db });
  other = { app, http: await startHttpServer(app, { host: '127.0.0.1', port: 0 }) };
});
afterAll(async () => {
  await other?.http.close();
  await other?.app.close();
  await s?.close();
});

async function viewer(url: string, token: string) {
  const { result, sql } = await recordOrmStatements(async () => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: VIEWER }),
    });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
  });
  return { ...result, lookups: sql.filter((q) => /from session s join worker/.test(q)).length, statements: sql.length };
}

const signedIn = async (name: string, extra: { isAdmin?: boolean } = {}) => {
  const w = await s.h.worker(name, [], { password: PASSWORD, ...extra });
  return { worker: w, token: await s.login(w.username, PASSWORD) };
};

/** Asks until the token is refused (401 SESSION_EXPIRED); how long that took, in ms. */
async function refusedWithin(url: string, token: string, ms: number): Promise<number> {
  const started = Date.now();
  await until(async () => (await viewer(url, token)).status === 401, `the token to be refused at ${url}`, ms);
  return Date.now() - started;
}

/** The server's connection that hears of session changes (and of nothing else). */
const sessionListeners = async (): Promise<number[]> =>
  (
    await s.h.db.pool.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and application_name = 'orchestra sessions'`,
    )
  ).rows.map((r) => r.pid);

describe('sessions remembered by a server', () => {
  it('the first request of a session looks it up; the next ones send no statement at all for a viewer', async () => {
    const { worker, token } = await signedIn('remembered');
    const first = await viewer(s.url, token);
    expect(first.body.data.viewer).toEqual({ username: worker.username, firstName: '', isAdmin: false });
    expect(first.lookups).toBe(1);
    for (let i = 0; i < 3; i++) {
      const next = await viewer(s.url, token);
      expect(next.body.data.viewer).toEqual(first.body.data.viewer);
      expect(next.statements).toBe(0);
    }
  });

  it('a logout is refused at once by its server, and within a second by another server on the same database', async () => {
    const { token } = await signedIn('leaving');
    for (const url of [s.url, other.http.url]) {
      await viewer(url, token);
      expect((await viewer(url, token)).lookups).toBe(0); // both remember it
    }
    const out = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'mutation { logout { loggedOut } }' }),
    });
    expect(((await out.json()) as any).data.logout.loggedOut).toBe(true);
    const here = await viewer(s.url, token); // no waiting: the logout forgot it before it answered
    expect(here.status).toBe(401);
    expect(here.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_EXPIRED' });
    expect(await refusedWithin(other.http.url, token, 1000)).toBeLessThan(1000);
  });

  it('a session ended in SQL by another process is refused within a second by both servers', async () => {
    const { worker, token } = await signedIn('ended_by_hand');
    for (const url of [s.url, other.http.url]) await viewer(url, token);
    const by = new pg.Client({ connectionString: s.h.db.url }); // as the CLI or psql would
    await by.connect();
    try {
      await by.query('delete from session where worker_id = $1', [worker.workerId]);
    } finally {
      await by.end();
    }
    for (const url of [s.url, other.http.url]) expect(await refusedWithin(url, token, 1000)).toBeLessThan(1000);
  });

  it("a worker changed in SQL (no longer an admin) is seen within a second; the session's own changes too", async () => {
    const { worker, token } = await signedIn('demoted', { isAdmin: true });
    await viewer(s.url, token);
    expect((await viewer(s.url, token)).body.data.viewer.isAdmin).toBe(true);
    await s.h.db.pool.query('update worker set is_admin = false where id = $1', [worker.workerId]);
    await until(async () => (await viewer(s.url, token)).body.data.viewer.isAdmin === false, 'the demotion', 1000);
    const admins = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ apiKeys { id } }' }),
    });
    expect(((await admins.json()) as any).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a profile change shows in the viewer at once, on the server that made it', async () => {
    const { token } = await signedIn('renamed');
    await viewer(s.url, token);
    const res = await s.gql(
      'mutation { updateProfile(input: { firstName: "Ada" }) { worker { firstName } } }',
      {},
      { token },
    );
    expect(res.data?.updateProfile.worker.firstName).toBe('Ada');
    expect((await viewer(s.url, token)).body.data.viewer.firstName).toBe('Ada');
  });

  it('when the connection that hears of changes drops, the server forgets: a change made meanwhile is not missed', async () => {
    const { worker, token } = await signedIn('while_deaf');
    const { token: kept } = await signedIn('kept');
    await viewer(s.url, token);
    await viewer(s.url, kept);
    expect((await viewer(s.url, token)).lookups).toBe(0);
    const before = await sessionListeners();
    expect(before.length).toBe(2); // this server's and the other one's
    for (const pid of before) await s.h.db.pool.query('select pg_terminate_backend($1)', [pid]);
    await until(async () => (await sessionListeners()).every((pid) => !before.includes(pid)), 'the listeners to go');
    // The server has seen its connection end (it reconnects 200 ms later)...
    await until(() => !s.h.orchestra.auth.sessions.isListening, 'the server to notice the drop');
    // ...so nobody hears this...
    await s.h.db.pool.query('delete from session where worker_id = $1', [worker.workerId]);
    // ...and yet it is refused, and meanwhile every session is looked up: nothing answered from memory.
    expect((await viewer(s.url, token)).status).toBe(401);
    expect((await viewer(s.url, kept)).lookups).toBe(1);
    expect((await viewer(s.url, kept)).lookups).toBe(1);
    await until(async () => (await sessionListeners()).length === 2, 'the servers to listen again');
    // Remembering again once listening: looked up once more, then not.
    expect((await viewer(s.url, kept)).lookups).toBe(1);
    expect((await viewer(s.url, kept)).lookups).toBe(0);
  });
});

describe('changes made in this process are forgotten before they answer', () => {
  // A memory that hears nothing: only the use case itself can make it forget.
  const deaf = () => {
    const memory = new SessionMemory<any>({ ttlMs: 30_000, maxEntries: 100 });
    memory.handlers.up();
    const auth = new AuthService(s.h.orchestra.engine, memory);
    const accounts = new AccountsService(s.h.orchestra.engine, memory);
    return { memory, auth, accounts };
  };

  it('a logout', async () => {
    const { memory, auth } = deaf();
    const w = await s.h.worker('deaf_logout', [], { password: PASSWORD });
    const { token } = await auth.login(w.username, PASSWORD);
    await auth.resolve({ sessionToken: token });
    expect(memory.size).toBe(1);
    await auth.logout(token);
    await expect(auth.resolve({ sessionToken: token })).rejects.toMatchObject({ reason: 'SESSION_EXPIRED' });
  });

  it("a password change ends the worker's other sessions, and keeps the one it was made with", async () => {
    const { auth, accounts } = deaf();
    const w = await s.h.worker('deaf_password', [], { password: PASSWORD });
    const { token: here } = await auth.login(w.username, PASSWORD);
    const { token: elsewhere } = await auth.login(w.username, PASSWORD);
    for (const t of [here, elsewhere]) await auth.resolve({ sessionToken: t });
    await accounts.changePassword(w, PASSWORD, 'a new long password', here);
    await expect(auth.resolve({ sessionToken: elsewhere })).rejects.toMatchObject({ reason: 'SESSION_EXPIRED' });
    expect((await auth.resolve({ sessionToken: here }))?.actor).toMatchObject({ workerId: w.workerId });
  });

  it('a profile change: the viewer has the new name', async () => {
    const { auth, accounts } = deaf();
    const w = await s.h.worker('deaf_profile', [], { password: PASSWORD });
    const { token } = await auth.login(w.username, PASSWORD);
    await auth.resolve({ sessionToken: token });
    await accounts.updateProfile(w, { firstName: 'Grace' });
    expect((await auth.resolve({ sessionToken: token }))?.viewer()?.firstName).toBe('Grace');
  });
});
