// The `orchestra` command line, run for real: each call is a child process (Node + swc, as `npm run
// orchestra` runs it) against this file's own database. Exit codes: 0 done, 1 the command failed,
// 2 the command was misused — each failure with its message on stderr. And `serve` starts, answers
// its health checks and stops on SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import type { Database } from '../../server/db/database.js';
import { CertificationRole, ProjectStatus } from '../../server/kernel/status.js';
import { Project } from '../../server/projects/project.entity.js';
import { Worker, WorkerCertification } from '../../server/workers/worker.entity.js';
import { createTestDatabase } from '../support/db.js';
import { runCommand, type Run } from '../support/cli.js';
import { freePort } from '../support/net.js';

let db: Database;
let invalidWorkflows: string;

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL: db.url,
  ORCHESTRA_JOBS_IN_PROCESS: 'false',
  NODE_ENV: 'test',
  ...extra,
});

/** Runs `server/cli.ts <args>` to its end (or another entry, e.g. bin/orchestra.js, from another folder). */
const cli = (args: string[], extraEnv: Record<string, string> = {}, entry?: string[], cwd?: string) =>
  runCommand(args, env(extraEnv), entry, cwd);

/** Expects a run to have succeeded (showing its output when it did not). */
function ok(run: Run): Run {
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
  return run;
}

beforeAll(async () => {
  db = await createTestDatabase();
  // A workflows folder with one invalid workflow: a dependency on a step that does not exist.
  invalidWorkflows = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-cli-workflows-'));
  fs.mkdirSync(path.join(invalidWorkflows, 'broken'));
  fs.writeFileSync(
    path.join(invalidWorkflows, 'broken', 'workflow.ts'),
    `export default {
      slug: 'broken',
      name: 'Broken',
      versions: [{ slug: 'v1', name: 'v1', steps: [{ kind: 'human', slug: 'write', name: 'Write', creationDependsOn: ['nowhere'] }] }],
    };\n`,
  );
});

afterAll(async () => {
  fs.rmSync(invalidWorkflows, { recursive: true, force: true });
  await db?.close();
});

// Each call starts Node and compiles the server with swc: seconds each, more on a busy machine.
const SLOW = { timeout: 180_000 };

describe('workflows', SLOW, () => {
  it('list shows every workflow with its versions and steps; validate exits 0', async () => {
    const [list, validate] = await Promise.all([cli(['workflows', 'list']), cli(['workflows', 'validate'])]);
    ok(list);
    expect(list.stdout).toMatch(/^journalism — /m);
    expect(list.stdout).toMatch(/^simple_workflow — /m);
    expect(list.stdout).toMatch(/^ {2}v1 — /m);
    expect(list.stdout).toContain('    document_creation (machine)');
    expect(list.stdout).toContain('    copy_editing (human) ← reporting, photo_adjustment');
    expect(list.stdout).toContain('    rate (human) ← crawl');
    expect(ok(validate).stdout).toContain('OK: 2 workflow(s) valid.');
  });

  it('runs as the `orchestra` command (bin/orchestra.js) from any folder', async () => {
    const run = await cli(['workflows', 'validate'], {}, [path.join(PROJECT_ROOT, 'bin', 'orchestra.js')], os.tmpdir());
    expect(ok(run).stdout).toContain('OK: 2 workflow(s) valid.');
  });

  it('validate exits 1 and lists every problem with its path', async () => {
    const run = await cli(['workflows', 'validate'], { ORCHESTRA_WORKFLOWS_DIR: invalidWorkflows });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      'error: Workflow definitions are invalid:\n  broken.versions.v1.steps.write.creationDependsOn[0]: unknown step "nowhere"\n',
    );
  });
});

describe('accounts and projects', SLOW, () => {
  let projectId = 0;

  it('seed demo_admin, then workers create and certify', async () => {
    expect(ok(await cli(['seed', 'demo_admin'])).stdout).toContain('Created: admin');
    const created = ok(await cli(['workers', 'create', 'ann', '--password', 'longenough1']));
    expect(created.stdout).toMatch(/^Created worker ann \(id \d+\)\.$/m);
    const certified = ok(await cli(['workers', 'certify', 'ann', 'journalism', 'reporter']));
    expect(certified.stdout).toContain('ann is certified: journalism/reporter ENTRY_LEVEL REAL.');

    const em = db.orm.em.fork();
    expect(await em.findOne(Worker, { username: 'admin' })).toMatchObject({ isAdmin: true });
    const ann = await em.findOneOrFail(Worker, { username: 'ann' }, { populate: ['passwordHash'] });
    expect(ann.passwordHash).toMatch(/^\$argon2id\$/);
    const certs = await em.find(WorkerCertification, { worker: ann }, { populate: ['certification'] });
    expect(certs.map((c) => [c.certification.slug, c.role])).toEqual([['reporter', CertificationRole.ENTRY_LEVEL]]);
  });

  it('projects create prints the id; info prints it as JSON with its tasks; end aborts it', async () => {
    const created = ok(await cli(['projects', 'create', 'journalism', 'v1', '-d', 'story', '--priority', '3']));
    expect(created.stdout).toMatch(/^\d+\n$/);
    projectId = Number(created.stdout.trim());

    const info = JSON.parse(ok(await cli(['projects', 'info', String(projectId)])).stdout);
    expect(info).toMatchObject({ id: projectId, description: 'story', status: 'ACTIVE', priority: 3, projectData: {} });
    // The first step is a machine step: its task waits for the machine runner (not running here).
    expect(info.tasks).toEqual([
      expect.objectContaining({
        step: 'document_creation',
        status: expect.any(String),
        assignments: expect.any(Array),
      }),
    ]);

    expect(ok(await cli(['projects', 'end', String(projectId)])).stdout).toContain(`Project ${projectId} ended.`);
    const project = await db.orm.em.fork().findOneOrFail(Project, { id: projectId });
    expect(project.status).toBe(ProjectStatus.ABORTED);
  });

  it('misuse exits 2 with a message; a failing command exits 1 with a message', async () => {
    const [unknown, missing, priority, notANumber, shortPassword, noWorker] = await Promise.all([
      cli(['bogus']),
      cli(['projects', 'info']),
      cli(['projects', 'create', 'journalism', 'v1', '-d', 'story', '--priority', 'abc']),
      cli(['projects', 'info', 'notanumber']),
      cli(['workers', 'create', 'bob', '--password', 'short']),
      cli(['workers', 'certify', 'nobody', 'journalism', 'reporter']),
    ]);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown command 'bogus'") });
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: missing required argument 'id'"),
    });
    expect(priority).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("argument 'abc' is invalid. must be a whole number."),
    });
    expect(notANumber).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "value 'notanumber' is invalid for argument 'id'. must be a positive whole number.",
      ),
    });
    expect(shortPassword).toMatchObject({ code: 2, stderr: 'error: --password must have at least 8 characters.\n' });
    expect(noWorker).toMatchObject({ code: 1, stderr: 'error: Worker not found for the given username.\n' });
    for (const run of [unknown, missing, priority, notANumber, shortPassword, noWorker]) expect(run.stdout).toBe('');
    expect(await db.orm.em.fork().count(Worker, { username: 'bob' })).toBe(0);
  });
});

describe('serve', SLOW, () => {
  it('starts, answers /healthz and /readyz, and exits on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'server/cli.ts', 'serve', '--port', String(port)],
      {
        cwd: PROJECT_ROOT,
        env: env({ HOST: '127.0.0.1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "GraphQL API" line within 90 s:\n${output}`)), 90_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const m = /GraphQL API\s+(http:\/\/\S+)\/graphql/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`serve exited early (code ${code}, signal ${signal}):\n${output}`));
        });
      });
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const healthz = await fetch(`${url}/healthz`);
      expect(healthz.status).toBe(200);
      expect(await healthz.json()).toEqual({ status: 'ok' });
      const readyz = await fetch(`${url}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toEqual({ status: 'ready' });

      proc.kill('SIGTERM');
      // A graceful stop: the server closes, then the process exits with 0.
      expect(await exited, output).toEqual({ code: 0, signal: null });
      expect(output).toContain('Stopping…');
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });
});
