// What the benchmarks share beyond stats: a bench-only embedded PostgreSQL with fresh databases, the
// server child process (bench/server.ts) and its IPC questions, workers with sessions, and the CPU time
// PostgreSQL's processes have used (to split a transition's cost between Node and the database).
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Orchestra } from '../server/app.js';
import { SESSION_PREFIX } from '../server/auth/auth.service.js';
import { Session } from '../server/auth/auth.entity.js';
import { PROJECT_ROOT } from '../server/config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from '../server/db/embedded.js';
import type { Actor } from '../server/kernel/actor.js';
import { CertificationRole, TaskClass } from '../server/kernel/status.js';
import { Certification } from '../server/catalog/catalog.entity.js';
import { Worker, WorkerCertification } from '../server/workers/worker.entity.js';
import { freePort } from '../test/support/net.js';

/** The line every benchmark ends with: what else the machine was doing, and when. */
export const machineLine = () =>
  `machine load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (${os.cpus().length} CPUs); node ${process.version}; ${new Date().toISOString()}`;

export const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${m}\n`);

/** A bench-only embedded PostgreSQL in .data/<dir> (port from ORCHESTRA_EMBEDDED_PG_PORT or the default). */
export async function benchPostgres(
  dir: string,
  defaultPort: number,
  settings?: Record<string, string>,
): Promise<BenchPostgres> {
  const port = Number(process.env.ORCHESTRA_EMBEDDED_PG_PORT ?? defaultPort);
  const dataDir = path.join(PROJECT_ROOT, '.data', dir);
  const embedded = await startEmbeddedPostgres(dataDir, port, { settings });
  log(`embedded PostgreSQL on 127.0.0.1:${port} (data in .data/${dir})`);
  return Object.assign(embedded, { dataDir });
}
export type BenchPostgres = EmbeddedServer & { dataDir: string };

/** Drops and creates `name`; its URL. */
export async function freshDatabase(embedded: EmbeddedServer, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: embedded.url('postgres') });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
  await ensureDatabase(embedded.url('postgres'), name);
  return embedded.url(name);
}

/**
 * CPU seconds used so far by the PostgreSQL server: the postmaster's own, its live children's (backends,
 * helpers) and its exited children's (reaped by the postmaster, so counted in its cutime/cstime), read
 * from /proc.
 */
export function postgresCpuSeconds(embedded: BenchPostgres): number {
  const postmaster = Number(readFileSync(path.join(embedded.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const ticks = 100; // USER_HZ on Linux
  // Fields after the command's closing parenthesis: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
  const fields = (pid: string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  const own = fields(String(postmaster));
  let total = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / ticks;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === postmaster) continue;
    try {
      const f = fields(entry);
      if (Number(f[1]) === postmaster) total += (Number(f[11]) + Number(f[12])) / ticks;
    } catch {
      // the process ended while we looked (its time is now in the postmaster's cutime)
    }
  }
  return total;
}

/** n workers with a session each (inserted in bulk, not measured); `certify` gives each the workflow's certification. */
export async function createWorkers(
  app: Orchestra,
  n: number,
  options: { prefix: string; certify?: { workflow: string; slug: string; roles: CertificationRole[] } },
): Promise<{ actor: Extract<Actor, { kind: 'worker' }>; token: string }[]> {
  const em = app.db.orm.em.fork();
  const certify = options.certify;
  const certification = certify
    ? em.getReference(Certification, app.engine.catalog.certificationId(certify.workflow, certify.slug)!)
    : null;
  const tag = randomBytes(3).toString('hex');
  const expiresAt = new Date(Date.now() + 24 * 3600_000);
  const made = Array.from({ length: n }, (_, i) => {
    const worker = em.create(Worker, { username: `${options.prefix}_${tag}_${i}` });
    for (const role of certify?.roles ?? [])
      em.create(WorkerCertification, { worker, certification: certification!, role, taskClass: TaskClass.REAL });
    const token = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
    em.create(Session, { tokenHash: createHash('sha256').update(token).digest('hex'), worker, expiresAt });
    return { worker, token };
  });
  await em.flush();
  return made.map(({ worker, token }) => ({
    actor: { kind: 'worker' as const, workerId: worker.id, isAdmin: false },
    token,
  }));
}

/** The server child process (bench/server.ts): Orchestra's HTTP server on its own, asked over IPC. */
export class ServerChild {
  private child: ChildProcess | null = null;
  private requestId = 0;
  private readonly pending = new Map<number, (m: any) => void>();
  url = '';
  pid = 0;

  async start(
    databaseUrl: string,
    options: { workflow: 'bench' | 'reviewed'; profileDir?: string; countSql?: boolean },
  ): Promise<this> {
    const port = await freePort();
    const execArgv = ['--import', '@swc-node/register/esm-register', '--expose-gc'];
    if (options.profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
    const child = fork(path.join(PROJECT_ROOT, 'bench', 'server.ts'), [], {
      cwd: PROJECT_ROOT,
      execArgv,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        HOST: '127.0.0.1',
        PORT: String(port),
        ORCHESTRA_JOBS_IN_PROCESS: 'false',
        NODE_ENV: 'production',
        BENCH_WORKFLOW: options.workflow,
        BENCH_COUNT_SQL: options.countSql ? '1' : '',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    const relay = (chunk: Buffer) => process.stderr.write(chunk.toString().replace(/^(?=.)/gm, '[server] '));
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited during start (code ${code})`)));
      child.on('message', (m: any) => {
        if (m?.type === 'ready') {
          this.url = m.url;
          this.pid = m.pid;
          resolve();
        } else if (typeof m?.id === 'number') {
          this.pending.get(m.id)?.(m);
          this.pending.delete(m.id);
        }
      });
    });
    return this;
  }

  /** `mem`: memory after a full GC; `stats`: CPU and event-loop delay since the last `stats` (and SQL statements). */
  ask<T = any>(type: 'mem' | 'stats'): Promise<T> {
    const id = ++this.requestId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not answer ${type}`)), 30_000);
      this.pending.set(id, (m) => (clearTimeout(timer), resolve(m)));
      this.child!.send({ type, id });
    });
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.send({ type: 'stop' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(kill);
  }
}
