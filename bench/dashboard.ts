// The dashboard benchmark: the worker app's Dashboard query (client/src/lib/operations.ts, as the page
// sends it) over HTTP, and the available-task counts its subscription computes when the page opens, in a
// database of --waiting waiting tasks plus two workers' histories: one with --completed completed tasks,
// one with 10. For each worker: p50/p95/max of the query, its SQL statements (every statement this
// process sent while it ran), and the counts' p50/p95; the plans of the group and count statements.
//
//   node --import @swc-node/register/esm-register bench/dashboard.ts [--waiting 100000] [--completed 1000]
//        [--requests 200] [--json]
//
// Its own embedded PostgreSQL (.data/bench-dashboard, port 54365), a fresh database each run.
import { parseArgs } from 'node:util';
import { print } from 'graphql';
import pg from 'pg';
import { DashboardQuery } from '../client/src/lib/operations.js';
import { startOrchestra } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { startHttpServer } from '../server/http/server.js';
import { CertificationRole } from '../server/kernel/status.js';
import { insertCompletedHistory, insertWaitingTasks } from '../test/support/bulk.js';
import { machineLine, benchPostgres, createWorkers, freshDatabase, log } from './harness.js';
import { percentile } from './stats.js';
import { reviewedWorkflow } from './workflow.js';

const { values: opts } = parseArgs({
  options: {
    waiting: { type: 'string', default: '100000' },
    completed: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const WAITING = Number(opts.waiting);
const COMPLETED = Number(opts.completed);
const REQUESTS = Number(opts.requests);
setTimeout(() => (log('watchdog: giving up'), process.exit(3)), 900_000).unref();

let statements = 0;
/** While set, the statements sent (text and values), to explain them afterwards. */
let capture: { text: string; values: unknown[] }[] | null = null;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
  if (capture)
    capture.push(
      typeof first === 'string'
        ? { text: first, values: Array.isArray(second) ? second : [] }
        : { text: first.text, values: first.values ?? [] },
    );
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

// The page's query, as the app sends it.
const DASHBOARD = print(DashboardQuery);

const pgsrv = await benchPostgres('bench-dashboard', 54365);
const url = await freshDatabase(pgsrv, 'orchestra_bench_dashboard');
const app = await startOrchestra({
  config: loadConfig({ ...process.env, DATABASE_URL: url }),
  definitions: [reviewedWorkflow],
  jobs: false,
  log: () => {},
});
const http = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
try {
  const db = app.db.pool;
  const versionId = app.catalog.versionId('lcbench', 'v1')!;
  const { rows: steps } = await db.query<{ id: number }>(`select id from step where version_id = $1`, [versionId]);
  const stepId = steps[0]!.id;
  const [heavy, light] = await createWorkers(app, 2, {
    prefix: 'dash',
    certify: {
      workflow: 'lcbench',
      slug: 'writer',
      roles: [CertificationRole.ENTRY_LEVEL, CertificationRole.REVIEWER],
    },
  });
  log(`inserting ${WAITING} waiting tasks and ${COMPLETED + 10} completed ones`);
  await insertWaitingTasks(db, { versionId, stepId, count: WAITING });
  // Each worker's history: completed projects whose one task they did.
  await insertCompletedHistory(db, { versionId, stepId, workerId: heavy!.actor.workerId, count: COMPLETED });
  await insertCompletedHistory(db, { versionId, stepId, workerId: light!.actor.workerId, count: 10 });
  await db.query('vacuum analyze');
  const { rows: total } = await db.query<{ n: number }>('select count(*)::int as n from task');
  log(`${total[0]!.n} tasks in the database`);

  const results: Record<string, unknown>[] = [];
  let plans: string[] = [];
  for (const [name, worker] of [
    [`${COMPLETED} completed`, heavy!],
    ['10 completed', light!],
  ] as const) {
    const ask = async () => {
      const res = await fetch(`${http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${worker.token}` },
        body: JSON.stringify({ query: DASHBOARD, variables: { completedFirst: 10 } }),
      });
      const json = (await res.json()) as {
        errors?: unknown;
        data?: { dashboard: { completed: { totalCount: number } } };
      };
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data!.dashboard;
    };
    for (let i = 0; i < 10; i++) await ask(); // warm-up
    const times: number[] = [];
    let perRequest = 0;
    let completedCount = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const at = statements;
      const t0 = performance.now();
      completedCount = (await ask()).completed.totalCount;
      times.push(performance.now() - t0);
      perRequest = statements - at;
    }
    const counts: number[] = [];
    let entryLevel = 0;
    for (let i = 0; i < Math.min(REQUESTS, 100); i++) {
      const t0 = performance.now();
      entryLevel = (await app.reads.dashboard.availableTaskCounts(worker.actor, app.reads.reader())).entryLevel;
      counts.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    counts.sort((a, b) => a - b);
    // The plans of the two slowest statements of one dashboard open (query and counts).
    if (worker === heavy) {
      capture = [];
      await ask();
      await app.reads.dashboard.availableTaskCounts(worker.actor, app.reads.reader());
      const sent = capture.filter((c) => /^\s*(with|select|\()/i.test(c.text));
      capture = null;
      const explained = [];
      for (const c of sent) {
        const { rows } = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${c.text}`, c.values);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        explained.push({ ms: Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1] ?? 0), plan });
      }
      explained.sort((a, b) => b.ms - a.ms);
      plans = explained.slice(0, 2).map((e) => e.plan);
    }
    results.push({
      worker: name,
      completedCount,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      max: times.at(-1)!,
      statements: perRequest,
      countsP50: percentile(counts, 50),
      countsP95: percentile(counts, 95),
      entryLevel,
    });
  }
  const f = (ms: unknown) => (ms as number).toFixed(1);
  console.log(
    [
      '',
      `Dashboard: ${total[0]!.n.toLocaleString('en')} tasks in the database (${WAITING.toLocaleString('en')} waiting); the page's query over HTTP, ${REQUESTS} requests each`,
      '',
      '| worker | Dashboard p50 ms | p95 ms | max ms | statements | counts p50 ms | counts p95 ms | (completed shown as / claimable) |',
      '|---|---|---|---|---|---|---|---|',
      ...results.map(
        (r) =>
          `| ${r.worker} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} | ${r.statements} | ${f(r.countsP50)} | ${f(r.countsP95)} | ${r.completedCount} / ${r.entryLevel} |`,
      ),
      '',
      'The two slowest statements of one dashboard open (the query and the counts), explained:',
      ...plans.map((p) => `\n${p}`),
      '',
      machineLine(),
      '',
    ].join('\n'),
  );
  if (opts.json) console.log(JSON.stringify({ bench: 'dashboard', waiting: WAITING, completed: COMPLETED, results }));
} finally {
  await http.close();
  await app.close();
  await pgsrv.stop();
}
process.exit(0);
