// Findings 2, 4 and 7 of the hardening issue, with real processes on a real embedded PostgreSQL:
// one owner of the embedded database (a CLI command beside `orchestra serve` uses its database and
// stops nothing; a second server says who holds the folder; a taken port is said in a sentence), a
// PostgreSQL killed with SIGKILL is started again by its owner, and production seeds no known password.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { runOrchestraCommand, startOrchestraCommand, type Child } from '../support/child.js';
import { freePort } from '../support/net.js';
import { until } from '../support/wait.js';

const folders: string[] = [];
const children: Child[] = [];

function dataFolder(): string {
  const dir = path.join(PROJECT_ROOT, '.data', `hardening-${randomBytes(4).toString('hex')}`);
  folders.push(dir);
  return dir;
}

async function environment(dataDir: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ORCHESTRA_DATA_DIR: dataDir,
    ORCHESTRA_EMBEDDED_PG_PORT: String(await freePort()),
    NODE_ENV: 'test',
    ...extra,
  };
  delete env.DATABASE_URL;
  return env;
}

async function serve(env: NodeJS.ProcessEnv): Promise<{ child: Child; url: string }> {
  const child = startOrchestraCommand(['serve', '--port', String(await freePort())], env);
  children.push(child);
  const [, url] = await child.waitFor(/GraphQL API\s+(http:\/\/\S+)\/graphql/, 'the server to start');
  return { child, url: url! };
}

const login = async (url: string, username: string, password: string) => {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token } }',
      variables: { u: username, p: password },
    }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: { login: { token: string } } | null;
      errors?: { extensions?: { code?: string } }[];
    },
  };
};

const ready = async (url: string) => (await fetch(`${url}/readyz`).catch(() => null))?.status ?? 0;

afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL');
  for (const dir of folders) {
    const pidFile = path.join(dir, 'pg', 'postmaster.pid');
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0] || 0) : 0;
    if (pid)
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* gone */
      }
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

describe('one owner of the embedded database', () => {
  let env: NodeJS.ProcessEnv;
  let first: { child: Child; url: string };

  beforeAll(async () => {
    env = await environment(dataFolder());
    first = await serve(env);
  }, 120_000);

  it('a CLI command beside the running server uses the same database and leaves it running', async () => {
    const info = await runOrchestraCommand(['projects', 'info', '1'], env);
    expect(info.code, info.output).toBe(0);
    expect(info.output).toContain('"id": 1');
    const migrate = await runOrchestraCommand(['migrate'], env);
    expect(migrate.code, migrate.output).toBe(0);
    // The server still has its database: ready, and its demo accounts log in.
    expect(await ready(first.url)).toBe(200);
    expect((await login(first.url, 'demo', 'demo')).body.data?.login.token).toMatch(/^os_/);
  }, 90_000);

  it('a second server on the same data folder refuses to start and says who holds it; the first goes on', async () => {
    const second = startOrchestraCommand(['serve', '--port', String(await freePort())], env);
    children.push(second);
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toMatch(
      new RegExp(
        `error: Orchestra is already running with the data folder .*\\(process ${first.child.proc.pid}, database port ${env.ORCHESTRA_EMBEDDED_PG_PORT}\\)\\. Stop it first, or give this one a folder of its own with ORCHESTRA_DATA_DIR\\.`,
      ),
    );
    expect(await ready(first.url)).toBe(200);
  }, 90_000);

  it('is started again by its owner when PostgreSQL is killed with SIGKILL, and the log says so without flooding', async () => {
    const pidFile = path.join(env.ORCHESTRA_DATA_DIR!, 'pg', 'postmaster.pid');
    const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    const before = first.child.output().length;
    process.kill(postmaster, 'SIGKILL');
    await first.child.waitFor(
      /The embedded PostgreSQL stopped unexpectedly \(SIGKILL\); starting it again\./,
      'the owner to notice',
    );
    await first.child.waitFor(/The embedded PostgreSQL is running again/, 'PostgreSQL to run again', 60_000);
    await until(async () => (await ready(first.url)) === 200, 'the server to be ready again', 30_000);
    expect((await login(first.url, 'admin', 'admin')).body.data?.login.token).toMatch(/^os_/);
    // A few lines about it, not one every 250 ms.
    const logged = first.child
      .output()
      .slice(before)
      .split('\n')
      .filter((l) => l.trim());
    expect(logged.length).toBeLessThan(20);
  }, 90_000);
});

describe('starting when the embedded database cannot', () => {
  it('a taken port fails with a sentence that says what to do', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const env = { ...(await environment(dataFolder())), ORCHESTRA_EMBEDDED_PG_PORT: String(port) };
      const run = await runOrchestraCommand(['serve', '--port', String(await freePort())], env);
      expect(run.code).toBe(1);
      expect(run.output).toContain(
        `error: The embedded PostgreSQL's port ${port} is in use by another program. Set ORCHESTRA_EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use a PostgreSQL of your own.`,
      );
      expect(run.output).not.toMatch(/error: undefined|\bat \S+ \(/);
    } finally {
      blocker.close();
    }
  }, 90_000);
});

describe('production mode', () => {
  it('seeds no known password: an empty database gets one admin with a generated password, shown once', async () => {
    const env = await environment(dataFolder(), { NODE_ENV: 'production' });
    const { child, url } = await serve(env);
    const [, password] = await child.waitFor(
      /created the admin account "admin" with this password, shown only now:\n\s+(\S+)/,
      'the generated password',
    );
    expect(password!.length).toBeGreaterThanOrEqual(20);
    expect((await login(url, 'admin', 'admin')).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await login(url, 'demo', 'demo')).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await login(url, 'admin', password!)).body.data?.login.token).toMatch(/^os_/);
    expect(child.output()).not.toContain('demo/demo');
    await child.stop();
    // Started again on the same data: the password is not printed a second time.
    const again = await serve(env);
    expect(again.child.output()).not.toContain('shown only now');
  }, 120_000);
});
