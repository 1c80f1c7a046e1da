// Lifecycle benchmark: what each use case of LifecycleService costs the calling process. For every use
// case on a task's way through a reviewed human step (create, claim, pull, save, submit, review claim,
// accept, reject, resubmit), it measures sequential latency (p50/p95), CPU time per call in this
// process (process.cpuUsage: the ORM, our code, pg), SQL statements per call (statements sent on the
// ORM's connections, BEGIN and COMMIT included), and throughput with C use cases in flight.
//
//   node --import @swc-node/register/esm-register bench/lifecycle.ts [--projects 200] [--concurrency 8]
//        [--rounds 1] [--warmup 30] [--show-sql] [--json]
//
// --projects N: tasks per batch (2N projects are created: N claimed by id, N pulled with requestTask);
// --rounds R: R sequential + concurrent batch pairs, each figure the median of the rounds; --show-sql:
// the statements of each use case's first call. See bench/README.md.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startOrchestra, type Orchestra } from '../server/app.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from '../server/db/embedded.js';
import { SYSTEM, type Actor } from '../server/kernel/actor.js';
import { SubmitAction } from '../server/lifecycle/rules.js';
import { CertificationRole, TaskClass } from '../server/kernel/status.js';
import { Worker, WorkerCertification } from '../server/workers/worker.entity.js';
import { Certification } from '../server/catalog/catalog.entity.js';
import { reviewedWorkflow } from './workflow.js';
import { percentile, pool } from './stats.js';

// ---- options ------------------------------------------------------------------------------------

const { values: opts } = parseArgs({
  options: {
    projects: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    'show-sql': { type: 'boolean', default: false },
  },
});
const posInt = (name: string, v: string | undefined, min = 1) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return n;
};
const N = posInt('projects', opts.projects, 2);
const C = posInt('concurrency', opts.concurrency);
const WARMUP = posInt('warmup', opts.warmup, 0);
const ROUNDS = posInt('rounds', opts.rounds);

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${m}\n`);

// Everything stops by itself.
const watchdog = setTimeout(
  () => {
    log('watchdog: giving up');
    process.exit(3);
  },
  300_000 + N * ROUNDS * 500,
);
watchdog.unref();

// ---- SQL statements on the ORM's connections ----------------------------------------------------------

// Every statement MikroORM sends goes through pg.Client#query on a connection of its (knex) pool; those
// carry __knexUid (see test/support/sql-count.ts). Counted for the whole run; phases read differences.
let statements = 0;
/** With --show-sql: the statements of the first call of each use case in the sequential batch. */
let capture: string[] | null = null;
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { __knexUid?: string }, ...args: unknown[]) {
  if (this.__knexUid) {
    statements++;
    if (capture) {
      const first = args[0] as string | { text?: string };
      capture.push((typeof first === 'string' ? first : (first?.text ?? String(first))).replace(/\s+/g, ' '));
    }
  }
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof originalQuery;

// ---- the database -----------------------------------------------------------------------------------

let embedded: EmbeddedServer | null = null;

async function database(): Promise<string> {
  if (process.env.DATABASE_URL) {
    log('using DATABASE_URL (benchmark rows are added to it)');
    return process.env.DATABASE_URL;
  }
  const port = Number(process.env.ORCHESTRA_EMBEDDED_PG_PORT ?? 54361);
  embedded = await startEmbeddedPostgres(path.join(PROJECT_ROOT, '.data', 'bench-lifecycle'), port);
  const admin = new pg.Client({ connectionString: embedded.url('postgres') });
  await admin.connect();
  await admin.query('drop database if exists orchestra_bench_lifecycle with (force)');
  await admin.end();
  await ensureDatabase(embedded.url('postgres'), 'orchestra_bench_lifecycle');
  log(
    `embedded PostgreSQL on 127.0.0.1:${port} (data in .data/bench-lifecycle), fresh database orchestra_bench_lifecycle`,
  );
  return embedded.url('orchestra_bench_lifecycle');
}

// ---- measuring ----------------------------------------------------------------------------------------

interface PhaseResult {
  calls: number;
  p50: number;
  p95: number;
  cpuMsPerCall: number;
  statementsPerCall: number;
  perSecond: number;
}

/** One use case over items, `concurrency` at a time. A failure stops the bench: the walk must be exact. */
async function phase<T>(
  name: string,
  items: T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<unknown>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const statementsAt = statements;
  const cpuAt = process.cpuUsage();
  const start = performance.now();
  await pool(items, concurrency, async (item, i) => {
    const show = opts['show-sql'] && measuredSequential && i === 0;
    if (show) capture = [];
    const began = performance.now();
    try {
      await fn(item, i);
    } catch (error) {
      throw new Error(`${name} #${i} failed: ${(error as Error).message}`, { cause: error });
    }
    latencies.push(performance.now() - began);
    if (show) {
      console.log(
        `\n${name}: ${capture!.length} statements\n${capture!.map((q) => `  ${q.slice(0, 220)}`).join('\n')}`,
      );
      capture = null;
    }
  });
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuAt);
  latencies.sort((a, b) => a - b);
  return {
    calls: items.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    cpuMsPerCall: (cpu.user + cpu.system) / 1000 / items.length,
    statementsPerCall: (statements - statementsAt) / items.length,
    perSecond: items.length / (elapsed / 1000),
  };
}

// ---- one batch: n tasks through the whole step ------------------------------------------------------

const USE_CASES = [
  'createProject',
  'claimTask',
  'requestTask',
  'saveTask',
  'submitTask SUBMIT',
  'claimTask (reviewer)',
  'submitTask ACCEPT',
  'submitTask REJECT',
  'submitTask SUBMIT (returned)',
  'submitTask ACCEPT (2nd review)',
] as const;
type UseCase = (typeof USE_CASES)[number];

/** Per use case and figure, the median over rounds. */
function medians(rounds: Map<UseCase, PhaseResult>[]): Map<UseCase, PhaseResult> {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  return new Map(
    USE_CASES.map((u) => {
      const rs = rounds.map((r) => r.get(u)!);
      const keys = Object.keys(rs[0]!) as (keyof PhaseResult)[];
      return [u, Object.fromEntries(keys.map((k) => [k, median(rs.map((r) => r[k]))])) as unknown as PhaseResult];
    }),
  );
}

let batchNo = 0;
/** True while the measured sequential batch runs (--show-sql lists its first calls). */
let measuredSequential = false;

/** Workers of a batch, inserted in bulk (setup, not measured): n entry-level workers and n reviewers. */
async function createWorkers(app: Orchestra, n: number): Promise<{ entry: Actor[]; reviewers: Actor[] }> {
  const em = app.db.orm.em.fork();
  const certificationId = app.engine.catalog.certificationId('lcbench', 'writer')!;
  const certification = em.getReference(Certification, certificationId);
  const make = (kind: string, roles: CertificationRole[]) =>
    Array.from({ length: n }, (_, i) => {
      const worker = em.create(Worker, { username: `lc_${batchNo}_${kind}_${i}` });
      for (const role of roles)
        em.create(WorkerCertification, { worker, certification, role, taskClass: TaskClass.REAL });
      return worker;
    });
  const entry = make('e', [CertificationRole.ENTRY_LEVEL]);
  const reviewers = make('r', [CertificationRole.ENTRY_LEVEL, CertificationRole.REVIEWER]);
  await em.flush();
  const actor = (w: Worker): Actor => ({ kind: 'worker', workerId: w.id, isAdmin: false });
  return { entry: entry.map(actor), reviewers: reviewers.map(actor) };
}

/**
 * n projects whose task each worker claims by id, n more that they pull with requestTask; every claimed
 * task is saved, submitted, claimed by a reviewer; even ones are accepted, odd ones rejected, resubmitted
 * and accepted.
 */
async function batch(app: Orchestra, n: number, concurrency: number): Promise<Map<UseCase, PhaseResult>> {
  batchNo++;
  const { lifecycle } = app;
  const { entry, reviewers } = await createWorkers(app, n);
  const results = new Map<UseCase, PhaseResult>();
  const run = async <T>(name: UseCase, items: T[], fn: (item: T, index: number) => Promise<unknown>) => {
    results.set(name, await phase(name, items, concurrency, fn));
  };
  const indexes = Array.from({ length: n }, (_, i) => i);
  const even = indexes.filter((i) => i % 2 === 0);
  const odd = indexes.filter((i) => i % 2 === 1);

  const projectIds: number[] = new Array(2 * n);
  await run(
    'createProject',
    Array.from({ length: 2 * n }, (_, i) => i),
    async (i) => {
      const p = await lifecycle.createProject(SYSTEM, {
        workflowSlug: 'lcbench',
        versionSlug: 'v1',
        description: `batch ${batchNo} project ${i}`,
      });
      projectIds[i] = p.id;
    },
  );
  // The claimed projects are created first, so the pull (oldest project first) takes the others.
  const { rows } = await app.db.pool.query<{ id: number; project_id: number }>(
    'select id, project_id from task where project_id = any($1::int[])',
    [projectIds.slice(0, n)],
  );
  const taskOfProject = new Map(rows.map((r) => [r.project_id, r.id]));
  const task = (i: number) => taskOfProject.get(projectIds[i]!)!;

  await run('claimTask', indexes, (i) => lifecycle.claimTask(entry[i]!, task(i)));
  await run('requestTask', indexes, (i) => lifecycle.requestTask(entry[i]!));
  await run('saveTask', indexes, (i) => lifecycle.saveTask(entry[i]!, { taskId: task(i), data: { draft: i } }));
  await run('submitTask SUBMIT', indexes, (i) =>
    lifecycle.submitTask(entry[i]!, { taskId: task(i), data: { answer: i }, action: SubmitAction.SUBMIT }),
  );
  await run('claimTask (reviewer)', indexes, (i) => lifecycle.claimTask(reviewers[i]!, task(i)));
  await run('submitTask ACCEPT', even, (i) =>
    lifecycle.submitTask(reviewers[i]!, {
      taskId: task(i),
      data: { answer: i, ok: true },
      action: SubmitAction.ACCEPT,
    }),
  );
  await run('submitTask REJECT', odd, (i) =>
    lifecycle.submitTask(reviewers[i]!, {
      taskId: task(i),
      data: { answer: i, fix: 'please' },
      action: SubmitAction.REJECT,
    }),
  );
  await run('submitTask SUBMIT (returned)', odd, (i) =>
    lifecycle.submitTask(entry[i]!, { taskId: task(i), data: { answer: i, fixed: true }, action: SubmitAction.SUBMIT }),
  );
  await run('submitTask ACCEPT (2nd review)', odd, (i) =>
    lifecycle.submitTask(reviewers[i]!, {
      taskId: task(i),
      data: { answer: i, ok: true },
      action: SubmitAction.ACCEPT,
    }),
  );

  // The walk ended where it should: every claimed project completed, every pulled task in progress.
  const { rows: check } = await app.db.pool.query<{ completed: number; processing: number }>(
    `select count(*) filter (where p.status = 4 and p.id = any($1::int[]))::int as completed,
            count(*) filter (where t.status = 1 and p.id = any($2::int[]))::int as processing
       from project p join task t on t.project_id = p.id`,
    [projectIds.slice(0, n), projectIds.slice(n)],
  );
  if (check[0]!.completed !== n || check[0]!.processing !== n)
    throw new Error(`batch ${batchNo} ended in the wrong state: ${JSON.stringify(check[0])}`);
  return results;
}

// ---- main ---------------------------------------------------------------------------------------------

async function main() {
  log(`${N} projects per batch (${2 * N} created), concurrency ${C}, warm-up ${WARMUP}`);
  const url = await database();
  const config = loadConfig(process.env, { databaseUrl: url, jobs: { ...loadConfig().jobs, inProcess: false } });
  const app = await startOrchestra({ config, definitions: [reviewedWorkflow], jobs: false });
  try {
    const loadBefore = os.loadavg();
    if (WARMUP > 0) {
      const started = performance.now();
      await batch(app, WARMUP, 1);
      log(`warm-up (${WARMUP} tasks) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    // Each round: a sequential batch, then a concurrent one. With several rounds, every figure is the
    // median of the rounds' figures (runs on a shared machine are noisy).
    const sequentialRounds: Map<UseCase, PhaseResult>[] = [];
    const concurrentRounds: Map<UseCase, PhaseResult>[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      let started = performance.now();
      measuredSequential = round === 1;
      sequentialRounds.push(await batch(app, N, 1));
      measuredSequential = false;
      log(`round ${round}: sequential batch in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      started = performance.now();
      concurrentRounds.push(await batch(app, N, C));
      log(`round ${round}: concurrent batch (C=${C}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const sequential = medians(sequentialRounds);
    const concurrent = medians(concurrentRounds);
    const loadAfter = os.loadavg();

    const f1 = (x: number) => x.toFixed(1);
    const header = [
      'use case',
      'calls',
      'p50 ms',
      'p95 ms',
      'CPU ms/call',
      'SQL/call',
      `C=${C} /s`,
      `C=${C} p95 ms`,
      `C=${C} CPU ms/call`,
    ];
    const table = USE_CASES.map((name) => {
      const s = sequential.get(name)!;
      const c = concurrent.get(name)!;
      return [
        name,
        String(s.calls),
        f1(s.p50),
        f1(s.p95),
        f1(s.cpuMsPerCall),
        f1(s.statementsPerCall),
        f1(c.perSecond),
        f1(c.p95),
        f1(c.cpuMsPerCall),
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(
      [
        '',
        `Lifecycle benchmark (${N} tasks per batch; sequential, then ${C} in flight${ROUNDS > 1 ? `; medians of ${ROUNDS} rounds` : ''})`,
        line(header),
        line(widths.map((w) => '-'.repeat(w))),
        ...table.map(line),
        '',
        `  machine load average   before ${loadBefore.map(f1).join(' ')}, after ${loadAfter.map(f1).join(' ')} (${os.cpus().length} CPUs; other processes share them)`,
        `  node ${process.version}, PostgreSQL ${embedded ? 'embedded' : 'DATABASE_URL'}`,
        '',
      ].join('\n'),
    );
    if (opts.json) {
      const round = (r: PhaseResult) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(2))]));
      console.log(
        JSON.stringify({
          projects: N,
          concurrency: C,
          rounds: ROUNDS,
          loadAverage: loadAfter.map((l) => Number(l.toFixed(2))),
          sequential: Object.fromEntries(USE_CASES.map((u) => [u, round(sequential.get(u)!)])),
          concurrent: Object.fromEntries(USE_CASES.map((u) => [u, round(concurrent.get(u)!)])),
        }),
      );
    }
  } finally {
    await app.close();
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  async (error) => {
    log(`failed: ${(error as Error).stack ?? error}`);
    await embedded?.stop().catch(() => {});
    process.exit(1);
  },
);
