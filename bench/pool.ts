// The pool benchmark: `requestTask` (the pull model's "give me the best task I may take") with many
// waiting tasks. For each size it fills a fresh database with that many waiting human tasks (one
// project each, priorities and ages spread), then has distinct certified workers pull one task each,
// in this process (the use case, not HTTP), and prints p50/p95/max, the ratio between the largest and
// the smallest size, and the plan of the pool's query at the largest.
//
//   node --import @swc-node/register/esm-register bench/pool.ts [--sizes 1000,100000] [--pulls 300] [--json]
//
// Its own embedded PostgreSQL (.data/bench-pool, port 54363), a fresh database per size.
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startOrchestra } from '../server/app.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../server/db/embedded.js';
import { SYSTEM } from '../server/kernel/actor.js';
import { CertificationRole, TaskClass, TaskStatus } from '../server/kernel/status.js';
import { nextTaskSql } from '../server/lifecycle/pool.js';
import { defineWorkflow } from '../server/workflow/definition.js';
import { insertWaitingTasks } from '../test/support/bulk.js';
import { percentile } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,100000' },
    pulls: { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});
const sizes = opts.sizes!.split(',').map(Number);
const PULLS = Number(opts.pulls);
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${m}\n`);
setTimeout(() => (log('watchdog: giving up'), process.exit(3)), 900_000).unref();

const poolWorkflow = defineWorkflow({
  slug: 'poolbench',
  name: 'Pool benchmark',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'One step',
      steps: [{ kind: 'human', slug: 'write', name: 'Write', requiredCertifications: ['writer'] }],
    },
  ],
});

const port = Number(process.env.ORCHESTRA_EMBEDDED_PG_PORT ?? 54363);
const embedded = await startEmbeddedPostgres(path.join(PROJECT_ROOT, '.data', 'bench-pool'), port);
const results: { size: number; p50: number; p95: number; max: number }[] = [];
let plan = '';

for (const size of sizes) {
  const admin = new pg.Client({ connectionString: embedded.url('postgres') });
  await admin.connect();
  await admin.query('drop database if exists orchestra_bench_pool with (force)');
  await admin.end();
  await ensureDatabase(embedded.url('postgres'), 'orchestra_bench_pool');
  const url = embedded.url('orchestra_bench_pool');
  const app = await startOrchestra({
    config: loadConfig({ ...process.env, DATABASE_URL: url }),
    definitions: [poolWorkflow],
    jobs: false,
    log: () => {},
  });
  const db = app.db.pool;
  const versionId = app.catalog.versionId('poolbench', 'v1')!;
  const { rows: steps } = await db.query<{ id: number }>(`select id from step where version_id = $1`, [versionId]);
  log(`size ${size}: inserting ${size} waiting tasks`);
  await insertWaitingTasks(db, { versionId, stepId: steps[0]!.id, count: size });
  await db.query('analyze');
  const workers = [];
  for (let i = 0; i < PULLS + 20; i++) {
    const w = await app.workers.createWorker(SYSTEM, { username: `w${i}` });
    await app.workers.grantCertification(SYSTEM, {
      workerId: w.id,
      workflowSlug: 'poolbench',
      certificationSlug: 'writer',
      role: CertificationRole.ENTRY_LEVEL,
      taskClass: TaskClass.REAL,
    });
    workers.push({ kind: 'worker' as const, workerId: w.id, isAdmin: false });
  }
  // Warm-up, then measured pulls by distinct workers (each may hold few tasks).
  for (const w of workers.slice(0, 20)) await app.lifecycle.requestTask(w);
  const times: number[] = [];
  for (const w of workers.slice(20)) {
    const t0 = performance.now();
    const r = await app.lifecycle.requestTask(w);
    times.push(performance.now() - t0);
    if (!r.assignment) throw new Error('no task given');
  }
  times.sort((a, b) => a - b);
  results.push({ size, p50: percentile(times, 50), p95: percentile(times, 95), max: times.at(-1)! });
  if (size === Math.max(...sizes)) {
    // The plan requestTask runs with: the prepared statement's generic plan.
    const client = await app.db.pool.connect();
    let n = 0;
    const text = nextTaskSql([TaskStatus.AWAITING_PROCESSING, TaskStatus.PENDING_REVIEW]).replace(
      /\?/g,
      () => `$${++n}`,
    );
    await client.query(`prepare next_task_plan (int, int) as ${text}`);
    await client.query('set plan_cache_mode = force_generic_plan');
    const explained = await client.query<{ 'QUERY PLAN': string }>(
      `explain (analyze, buffers) execute next_task_plan(${workers[0]!.workerId}, ${workers[0]!.workerId})`,
    );
    client.release(true);
    plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n');
  }
  await app.close();
}

const f = (ms: number) => ms.toFixed(1);
console.log('\n| waiting tasks | requestTask p50 ms | p95 ms | max ms |');
console.log('|---|---|---|---|');
for (const r of results) console.log(`| ${r.size.toLocaleString('en')} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} |`);
if (results.length > 1) {
  const [small, large] = [results[0]!, results.at(-1)!];
  console.log(
    `\np95 at ${large.size.toLocaleString('en')} / at ${small.size.toLocaleString('en')}: ${(large.p95 / small.p95).toFixed(2)} ×`,
  );
}
console.log(`\nPlan of the pool's query at ${Math.max(...sizes).toLocaleString('en')} waiting tasks:\n${plan}`);
if (opts.json) console.log(JSON.stringify({ bench: 'pool', results }));
await embedded.stop();
process.exit(0);
