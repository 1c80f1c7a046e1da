// The README's promise, for real: `orchestra serve` as `npm start` runs it (bin/orchestra.js: the
// compiled build in dist/) without DATABASE_URL starts an embedded PostgreSQL in its data folder, loads
// demo data on the empty database and says so, and the demo accounts log in. A server killed with
// SIGKILL leaves its PostgreSQL behind: the next start stops that stale server and comes up on the same
// data (without loading the demo data twice). Ctrl-C in a terminal (SIGINT to the whole process group)
// and SIGTERM both stop it in order: no error on the way out, its PostgreSQL stopped last.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { freePort } from '../support/net.js';

const dataDir = path.join(PROJECT_ROOT, '.data', `start-test-${randomBytes(4).toString('hex')}`);
const running: ChildProcess[] = [];

afterAll(async () => {
  for (const p of running) p.kill('SIGKILL');
  // A postgres left by the last SIGKILL: stop it through its pid file before removing its folder.
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* gone already */
    }
    for (let i = 0; i < 100 && fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `serve` with the embedded database; resolves with its URL and what it printed once it is up. */
async function serve(): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ORCHESTRA_DATA_DIR: dataDir,
    ORCHESTRA_EMBEDDED_PG_PORT: String(await freePort()),
    NODE_ENV: 'test',
  };
  delete env.DATABASE_URL;
  // A process group of its own, as a terminal gives a foreground command.
  const proc = spawn(process.execPath, ['bin/orchestra.js', 'serve', '--port', String(await freePort())], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.push(proc);
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 90_000);
    const check = () => {
      const m = /GraphQL API\s+(http:\/\/\S+)\/graphql/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
  return { proc, url, output: () => output };
}

async function login(url: string, username: string, password: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { worker { username isAdmin certifications { role certification { slug } } } } }`,
      variables: { u: username, p: password },
    }),
  });
  return (await res.json()) as {
    data?: {
      login: {
        worker: {
          username: string;
          isAdmin: boolean;
          certifications: { role: string; certification: { slug: string } }[];
        };
      };
    };
    errors?: unknown[];
  };
}

describe('npm start on a fresh machine', { timeout: 240_000 }, () => {
  it('starts the embedded database, loads demo data once, and recovers from a killed server', async () => {
    const first = await serve();
    expect(first.output()).toContain('Embedded PostgreSQL');
    expect(first.output()).toMatch(/loaded demo data/);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    // The worker app on the same port: its page for any app path, the API where it was.
    expect(first.output()).toContain(`Worker app    ${first.url}/`);
    for (const appPath of ['/', '/signin', '/task/1']) {
      const page = await fetch(`${first.url}${appPath}`, { headers: { accept: 'text/html' } });
      expect(page.status, appPath).toBe(200);
      expect(await page.text(), appPath).toContain('/_app/immutable/');
    }

    const demo = await login(first.url, 'demo', 'demo');
    expect(demo.data?.login.worker).toMatchObject({ username: 'demo', isAdmin: false });
    expect((await login(first.url, 'admin', 'admin')).data?.login.worker.isAdmin).toBe(true);
    const senior = (await login(first.url, 'journalism-reporter-2', 'reporter')).data!.login.worker;
    expect(senior.certifications.map((c) => `${c.certification.slug}:${c.role}`).sort()).toEqual([
      'reporter:ENTRY_LEVEL',
      'reporter:REVIEWER',
    ]);
    for (const [u, p] of [
      ['journalism-editor', 'editor'],
      ['journalism-reporter-1', 'reporter'],
      ['journalism-photographer-1', 'photographer'],
      ['journalism-photographer-2', 'photographer'],
      ['journalism-copy-editor', 'copy-editor'],
    ]) {
      expect((await login(first.url, u!, p!)).data?.login.worker.username, u).toBe(u);
    }

    // Killed without a chance to stop its PostgreSQL.
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

    const second = await serve();
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    expect(second.output()).not.toMatch(/loaded demo data/);
    expect((await login(second.url, 'demo', 'demo')).data?.login.worker.username).toBe('demo');

    // A graceful stop drains and stops its PostgreSQL too: nothing is left behind.
    const exited = new Promise<number | null>((r) => second.proc.once('exit', (code) => r(code)));
    second.proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(second.output()).toContain('Stopping');
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    // Ctrl-C: SIGINT to every process of the group. PostgreSQL runs in a group of its own, so the
    // server drains its connections before stopping it: nothing is logged as an error.
    const third = await serve();
    expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
    const stopped = new Promise<number | null>((r) => third.proc.once('exit', (code) => r(code)));
    process.kill(-third.proc.pid!, 'SIGINT');
    expect(await stopped).toBe(0);
    const afterStart = third.output().slice(third.output().indexOf('Stopping'));
    expect(afterStart).toContain('Stopping');
    expect(afterStart).not.toMatch(/error|terminating connection/i);
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
