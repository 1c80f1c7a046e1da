// Subscription benchmark: N workers each hold a graphql-ws socket subscribed to their own
// `dashboardChanges` (fan-out 1: an event names the workers on its task), while task transitions
// (claim, submit) are committed at R per second straight through the lifecycle service. For every
// transition, the time from its commit (the use case's promise resolving) to the delivery of its event
// (task.assigned / task.submitted) to the worker's socket is measured. The server is a separate
// process (bench/server.ts), so its memory per subscriber can be read; clients and the driver share
// this process. Everything is bounded: the run stops by itself, and a watchdog ends it if it hangs.
//
//   node --import @swc-node/register/esm-register bench/subscriptions.ts --subscribers 1000 --rate 200 --seconds 20
//
// See bench/README.md.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startOrchestra, type Orchestra } from '../server/app.js';
import { SESSION_PREFIX } from '../server/auth/auth.service.js';
import { Session } from '../server/auth/auth.entity.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { makePool } from '../server/db/database.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from '../server/db/embedded.js';
import { SYSTEM, type Actor } from '../server/kernel/actor.js';
import { SubmitAction } from '../server/lifecycle/rules.js';
import { AssignmentStatus, IterationStatus, TaskStatus } from '../server/kernel/status.js';
import { EVENTS_CHANNEL } from '../server/events/outbox.js';
import { Worker } from '../server/workers/worker.entity.js';
import { BENCH_STEPS } from './workflow.js';
import { ServerChild } from './harness.js';
import { percentile, pool } from './stats.js';
import { sleep } from '../test/support/wait.js';

// ---- options ------------------------------------------------------------------------------------

const { values: opts } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    'connect-concurrency': { type: 'string', default: '200' },
    'max-in-flight': { type: 'string', default: '64' },
    driver: { type: 'string', default: 'sql' },
    'cpu-prof': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const posInt = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};
const N = posInt('subscribers', opts.subscribers);
const RATE = posInt('rate', opts.rate);
const SECONDS = posInt('seconds', opts.seconds);
const CONNECT_CONCURRENCY = posInt('connect-concurrency', opts['connect-concurrency']);
const MAX_IN_FLIGHT = posInt('max-in-flight', opts['max-in-flight']);
if (opts.driver !== 'sql' && opts.driver !== 'lifecycle') throw new Error('--driver must be sql or lifecycle');
const DRIVER: 'sql' | 'lifecycle' = opts.driver;
const TARGET = { subscribers: 10_000, rate: 200, p95Ms: 100 };
const DRAIN_MS = 5_000;
const BENCH_DIR = path.join(PROJECT_ROOT, '.data', 'bench');

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${m}\n`);

// Everything stops by itself: a watchdog for setup + run + teardown.
const budgetMs = 180_000 + N * 15 + SECONDS * 1000;
const watchdog = setTimeout(() => {
  log(`watchdog: still running after ${Math.round(budgetMs / 1000)} s — giving up`);
  server.kill();
  process.exit(3);
}, budgetMs);
watchdog.unref();

function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line?.split(/\s+/)[3]) || Infinity;
  } catch {
    return Infinity;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- the server process ---------------------------------------------------------------------------

const server = new ServerChild();

// ---- the database ----------------------------------------------------------------------------------

let embedded: EmbeddedServer | null = null;

/** DATABASE_URL as given, or a fresh `orchestra_bench` database on a bench-only embedded PostgreSQL. */
async function database(): Promise<string> {
  if (process.env.DATABASE_URL) {
    log(`using DATABASE_URL (benchmark rows are added to it)`);
    return process.env.DATABASE_URL;
  }
  const port = Number(process.env.ORCHESTRA_EMBEDDED_PG_PORT ?? 54360);
  embedded = await startEmbeddedPostgres(path.join(BENCH_DIR, 'pg'), port);
  const admin = new pg.Client({ connectionString: embedded.url('postgres') });
  await admin.connect();
  await admin.query(`drop database if exists orchestra_bench with (force)`);
  await admin.end();
  await ensureDatabase(embedded.url('postgres'), 'orchestra_bench');
  log(`embedded PostgreSQL on 127.0.0.1:${port} (data in .data/bench/pg), fresh database orchestra_bench`);
  return embedded.url('orchestra_bench');
}

// ---- data: workers, their sessions, their tasks --------------------------------------------------------

interface BenchWorker {
  index: number;
  actor: Actor;
  token: string;
  tasks: number[];
  next: number; // index into tasks of the task to claim (or, when holding, to submit)
  holding: boolean;
}

async function createWorkers(app: Orchestra, transitions: number): Promise<BenchWorker[]> {
  const tag = randomBytes(3).toString('hex');
  const em = app.db.orm.em.fork();
  const rows: Worker[] = [];
  for (let i = 0; i < N; i++) rows.push(em.create(Worker, { username: `bench_${tag}_${i}` }));
  await em.flush();
  const tokens: string[] = [];
  const expiresAt = new Date(Date.now() + 24 * 3600_000);
  for (const worker of rows) {
    const token = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
    tokens.push(token);
    em.create(Session, { tokenHash: createHash('sha256').update(token).digest('hex'), worker, expiresAt });
  }
  await em.flush();

  // Enough projects that no worker runs out of tasks (each task: one claim, one submit).
  const perWorker = Math.max(1, Math.ceil((transitions * 1.5) / (2 * BENCH_STEPS * N)));
  const projectIds: number[][] = rows.map(() => []);
  const started = performance.now();
  await pool(
    rows.flatMap((_, w) => Array.from({ length: perWorker }, () => w)),
    8,
    async (w) => {
      const p = await app.lifecycle.createProject(SYSTEM, {
        workflowSlug: 'bench',
        versionSlug: 'v1',
        description: `bench worker ${w}`,
      });
      projectIds[w]!.push(p.id);
    },
  );
  log(
    `created ${N * perWorker} projects (${N * perWorker * BENCH_STEPS} tasks) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const { rows: tasks } = await app.db.pool.query<{ id: number; project_id: number }>(
    `select id, project_id from task where project_id = any($1::int[]) order by id`,
    [projectIds.flat()],
  );
  const byProject = new Map<number, number[]>();
  for (const t of tasks) byProject.set(t.project_id, [...(byProject.get(t.project_id) ?? []), t.id]);
  return rows.map((worker, index) => ({
    index,
    actor: { kind: 'worker', workerId: worker.id, isAdmin: false },
    token: tokens[index]!,
    tasks: projectIds[index]!.flatMap((p) => byProject.get(p) ?? []),
    next: 0,
    holding: false,
  }));
}

// ---- subscribers -----------------------------------------------------------------------------------

const DASHBOARD = `subscription { dashboardChanges { taskId state event { cursor type taskId occurredAt } } }`;

/** When each (task, event type) reached its worker's socket, and what else arrived. */
const delivered = new Map<string, number>();
let deliveries = 0;
let duplicates = 0;
const subscriptionErrors: unknown[] = [];

async function connectSubscribers(url: string, workers: BenchWorker[]): Promise<Client[]> {
  const clients: Client[] = new Array(workers.length);
  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  let failed = 0;
  await pool(workers, CONNECT_CONCURRENCY, async (w) => {
    const seen = new Set<string>();
    await new Promise<void>((resolve) => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${w.token}` },
        lazy: false,
        retryAttempts: 0,
        keepAlive: 0,
        on: {
          connected: () => resolve(),
          closed: () => resolve(),
          error: () => (failed++, resolve()),
        },
      });
      clients[w.index] = client;
      client.subscribe<{ dashboardChanges: { event: { cursor: string; type: string; taskId: string | null } } }>(
        { query: DASHBOARD },
        {
          next: (value) => {
            const at = performance.now();
            const e = value.data?.dashboardChanges.event;
            if (value.errors) subscriptionErrors.push(value.errors);
            if (!e) return;
            deliveries++;
            if (seen.has(e.cursor)) duplicates++;
            seen.add(e.cursor);
            const key = `${e.taskId}:${e.type}`;
            if (!delivered.has(key)) delivered.set(key, at);
          },
          error: (error) => subscriptionErrors.push(error),
          complete: () => {},
        },
      );
    });
  });
  if (failed) log(`${failed} sockets failed to connect`);
  return clients;
}

// ---- the driver ----------------------------------------------------------------------------------

// `--driver sql`: each transition is the rows and events a claim (or a submit of a never-reviewed task)
// writes, in one transaction sent as one round trip — so the driver's own CPU (a lifecycle use case costs
// several ms of MikroORM work in this process, see bench/lifecycle.ts) does not cap the rate on a small
// machine. What subscribers and the server see (outbox rows, NOTIFY, task/assignment/iteration state) is
// what the use cases write (server/lifecycle/assign.ts, service.ts submitAs); only a project's completion
// event is left out.
// `--driver lifecycle` runs the real use cases (LifecycleService.claimTask / submitTask) instead.
const EVENT_ROWS = `insert into domain_event (type, project_id, task_id, payload) select e.type, t.project_id, t.id, e.payload from t cross join a cross join lateral (values`;
const claimSql = (taskId: number, workerId: number) => `begin;
with t as (update task set status = ${TaskStatus.PROCESSING}, version = version + 1 where id = ${taskId} and status = ${TaskStatus.AWAITING_PROCESSING} returning id, project_id, step_id),
a as (insert into task_assignment (task_id, worker_id, status, level, data, start_datetime) select id, ${workerId}, ${AssignmentStatus.PROCESSING}, 0, '{}', now() from t returning id),
i as (insert into iteration (assignment_id, status, start_datetime, submitted_data) select id, ${IterationStatus.PROCESSING}, now(), '{}' from a)
${EVENT_ROWS}
  (1, 'task.assigned', jsonb_build_object('workerId', ${workerId}, 'level', 0, 'assignmentId', a.id, 'workerIds', jsonb_build_array(${workerId}))),
  (2, 'task.status_changed', jsonb_build_object('status', 'PROCESSING', 'previousStatus', 'AWAITING_PROCESSING', 'step', (select slug from step where id = t.step_id), 'workerIds', jsonb_build_array(${workerId})))
) as e(n, type, payload) order by e.n;
select pg_notify('${EVENTS_CHANNEL}', '');
commit;`;
const submitSql = (taskId: number, workerId: number) => `begin;
with t as (update task set status = ${TaskStatus.COMPLETE}, version = version + 1 where id = ${taskId} and status = ${TaskStatus.PROCESSING} returning id, project_id, step_id),
a as (update task_assignment set status = ${AssignmentStatus.SUBMITTED}, data = '{"done": true}' where task_id = ${taskId} and worker_id = ${workerId} and not is_deleted and exists (select 1 from t) returning id),
i as (update iteration set status = ${IterationStatus.REQUESTED_REVIEW}, submitted_data = '{"done": true}', end_datetime = now() where assignment_id in (select id from a) and end_datetime is null)
${EVENT_ROWS}
  (1, 'task.submitted', jsonb_build_object('workerId', ${workerId}, 'level', 0, 'action', 'SUBMIT', 'workerIds', jsonb_build_array(${workerId}), 'toLevel', null)),
  (2, 'task.status_changed', jsonb_build_object('status', 'COMPLETE', 'previousStatus', 'PROCESSING', 'step', (select slug from step where id = t.step_id), 'workerIds', jsonb_build_array(${workerId}))),
  (3, 'task.completed', jsonb_build_object('step', (select slug from step where id = t.step_id), 'workerIds', jsonb_build_array(${workerId})))
) as e(n, type, payload) order by e.n;
select pg_notify('${EVENTS_CHANNEL}', '');
commit;`;

async function sqlTransition(db: pg.Pool, sql: string): Promise<void> {
  const results = (await db.query(sql)) as unknown as pg.QueryResult[];
  if (!results[2]?.rowCount) throw new Error('the task was not in the expected state');
}

interface Transition {
  key: string; // `${taskId}:${event type}` of the event the worker must receive
  committedAt: number;
  tookMs: number; // the use case, start to resolved
}

async function drive(app: Orchestra, workers: BenchWorker[], db: pg.Pool) {
  const done: Transition[] = [];
  let launched = 0;
  let inFlight = 0;
  let failures = 0;
  let skipped = 0; // slots not launched because MAX_IN_FLIGHT were in flight
  const firstError: string[] = [];
  // Workers without a task wait in `idle`; those holding one wait in `holding` (oldest first) and submit
  // once at least `depth` others hold one too: a steady mix of claims and submits for any N.
  const idle = workers.filter((w) => w.tasks.length > 0);
  const holding: BenchWorker[] = [];
  const depth = Math.max(1, Math.min(RATE, Math.floor(N / 4)));
  let ih = 0;
  let hh = 0; // queue heads (arrays used as FIFOs without shift())

  const transition = async (w: BenchWorker) => {
    inFlight++;
    const taskId = w.tasks[w.next]!;
    const began = performance.now();
    try {
      if (!w.holding) {
        if (DRIVER === 'sql') await sqlTransition(db, claimSql(taskId, (w.actor as { workerId: number }).workerId));
        else await app.lifecycle.claimTask(w.actor, taskId);
        const committedAt = performance.now();
        done.push({ key: `${taskId}:task.assigned`, committedAt, tookMs: committedAt - began });
        w.holding = true;
        holding.push(w);
      } else {
        if (DRIVER === 'sql') await sqlTransition(db, submitSql(taskId, (w.actor as { workerId: number }).workerId));
        else await app.lifecycle.submitTask(w.actor, { taskId, data: { done: true }, action: SubmitAction.SUBMIT });
        const committedAt = performance.now();
        done.push({ key: `${taskId}:task.submitted`, committedAt, tookMs: committedAt - began });
        w.holding = false;
        w.next++;
        if (w.next < w.tasks.length) idle.push(w);
      }
    } catch (error) {
      failures++;
      if (firstError.length < 3) firstError.push((error as Error).message);
    } finally {
      inFlight--;
    }
  };

  const start = performance.now();
  const end = start + SECONDS * 1000;
  const all: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(tick);
        return resolve();
      }
      const due = Math.floor(((now - start) / 1000) * RATE);
      while (launched < due) {
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped += due - launched;
          launched = due;
          break;
        }
        const submit = holding.length - hh >= depth || idle.length - ih === 0;
        const w = submit ? holding[hh++] : idle[ih++];
        if (!w) {
          skipped++;
          launched++;
          continue;
        }
        launched++;
        all.push(transition(w));
      }
    }, 2);
  });
  await Promise.all(all);
  const elapsed = (performance.now() - start) / 1000;
  return { done, launched: launched - skipped, skipped, failures, firstError, elapsed };
}

// ---- main ------------------------------------------------------------------------------------------

async function main() {
  const limit = openFilesLimit();
  if (N + 1000 > limit) {
    throw new Error(
      `--subscribers ${N} needs more open files than this shell allows (ulimit -n = ${limit}): run \`ulimit -n ${N * 2 + 2000}\` first`,
    );
  }
  log(`N=${N} subscribers, ${RATE} transitions/s for ${SECONDS} s, driver: ${DRIVER}`);
  const url = await database();
  // The driver: Orchestra in this process (migrates a fresh database), lifecycle use cases straight on the DB.
  const config = loadConfig(process.env, { databaseUrl: url, jobs: { ...loadConfig().jobs, inProcess: false } });
  const app = await startOrchestra({
    config,
    definitions: [(await import('./workflow.js')).benchWorkflow],
    jobs: false,
  });
  const clientLoop = monitorEventLoopDelay({ resolution: 10 });
  let clients: Client[] = [];
  const driverDb = makePool(url, 16);
  try {
    const workers = await createWorkers(app, RATE * SECONDS);
    const srv = await server.start(url, {
      workflow: 'bench',
      profileDir: opts['cpu-prof'] ? path.join(BENCH_DIR, 'profiles') : undefined,
    });
    log(`server pid ${srv.pid} at ${srv.url}`);
    await sleep(500);
    const before = await server.ask('mem');

    const connectStart = performance.now();
    clients = await connectSubscribers(srv.url, workers);
    for (let i = 0; ; i++) {
      const { subscriptions } = await server.ask<{ subscriptions: number }>('stats');
      if (subscriptions >= N) break;
      if (i > 600) throw new Error(`only ${subscriptions} of ${N} subscriptions went live`);
      await sleep(100);
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const after = await server.ask('mem');
    log(
      `${N} subscriptions live in ${connectSeconds.toFixed(1)} s; server RSS ${mb(before.rss)} → ${mb(after.rss)}, heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}`,
    );

    await server.ask('stats'); // resets the server's CPU and loop-delay window to the run
    clientLoop.enable();
    const clientCpuAt = process.cpuUsage();
    const run = await drive(app, workers, driverDb);
    const clientCpu = process.cpuUsage(clientCpuAt);
    const serverStats = await server.ask('stats');
    // Let the last deliveries arrive.
    const drainUntil = performance.now() + DRAIN_MS;
    while (performance.now() < drainUntil && run.done.some((t) => !delivered.has(t.key))) await sleep(50);
    clientLoop.disable();
    const end = await server.ask('mem');

    const latencies = run.done.filter((t) => delivered.has(t.key)).map((t) => delivered.get(t.key)! - t.committedAt);
    latencies.sort((a, b) => a - b);
    const missing = run.done.length - latencies.length;
    const rate = run.done.length / run.elapsed;
    const p = (q: number) => percentile(latencies, q);
    const took = run.done.map((t) => t.tookMs).sort((a, b) => a - b);
    const result = {
      subscribers: N,
      driver: DRIVER,
      targetRate: RATE,
      seconds: SECONDS,
      transitions: run.done.length,
      rateAchieved: Number(rate.toFixed(1)),
      failedTransitions: run.failures,
      skippedSlots: run.skipped,
      deliveries,
      duplicates,
      missing,
      subscriptionErrors: subscriptionErrors.length,
      latencyMs: { p50: p(50), p95: p(95), p99: p(99), max: latencies.at(-1) ?? NaN },
      useCaseMs: { p50: percentile(took, 50), p95: percentile(took, 95) },
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      server: {
        rssBefore: before.rss,
        rssAfterConnect: after.rss,
        rssAfterRun: end.rss,
        heapBefore: before.heapUsed,
        heapAfterConnect: after.heapUsed,
        heapAfterRun: end.heapUsed,
        rssPerSubscriber: Math.round((after.rss - before.rss) / N),
        heapPerSubscriber: Math.round((after.heapUsed - before.heapUsed) / N),
        cpuPercentDuringRun: Number(serverStats.cpuPercent.toFixed(1)),
        loopDelayP99Ms: Number(serverStats.loopDelayP99Ms.toFixed(1)),
        loopDelayMaxMs: Number(serverStats.loopDelayMaxMs.toFixed(1)),
      },
      benchProcess: {
        cpuPercentDuringRun: Number(
          (((clientCpu.user + clientCpu.system) / 1000 / (run.elapsed * 1000)) * 100).toFixed(1),
        ),
        loopDelayP99Ms: Number((clientLoop.percentile(99) / 1e6).toFixed(1)),
        rss: process.memoryUsage().rss,
      },
      connectSeconds: Number(connectSeconds.toFixed(1)),
    };
    const met =
      N >= TARGET.subscribers &&
      rate >= TARGET.rate * 0.95 &&
      p(95) <= TARGET.p95Ms &&
      missing === 0 &&
      duplicates === 0 &&
      run.failures === 0;
    const f = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(
      [
        ``,
        `Subscriptions benchmark`,
        `  subscribers            ${N} (dashboardChanges, one socket each; connected in ${result.connectSeconds} s)`,
        `  transitions            ${run.done.length} in ${run.elapsed.toFixed(1)} s = ${rate.toFixed(1)}/s (asked ${RATE}/s; ${run.failures} failed, ${run.skipped} slots skipped)`,
        `  deliveries             ${deliveries} events to subscribers (${duplicates} duplicates, ${missing} transitions never delivered, ${subscriptionErrors.length} errors)`,
        `  transition (${DRIVER.padEnd(9)})  p50 ${f(result.useCaseMs.p50)}  p95 ${f(result.useCaseMs.p95)}  (claim or submit, start → committed)`,
        `  commit → delivery      p50 ${f(p(50))}  p95 ${f(p(95))}  p99 ${f(p(99))}  max ${f(result.latencyMs.max)}`,
        `  server RSS             ${mb(before.rss)} → ${mb(after.rss)} with subscribers (${result.server.rssPerSubscriber} B per subscriber), ${mb(end.rss)} after the run`,
        `  server heap            ${mb(before.heapUsed)} → ${mb(after.heapUsed)} with subscribers (${result.server.heapPerSubscriber} B per subscriber), ${mb(end.heapUsed)} after the run`,
        `  server during run      CPU ${result.server.cpuPercentDuringRun}%  event-loop delay p99 ${result.server.loopDelayP99Ms} ms, max ${result.server.loopDelayMaxMs} ms`,
        `  bench process          CPU ${result.benchProcess.cpuPercentDuringRun}%  event-loop delay p99 ${result.benchProcess.loopDelayP99Ms} ms, RSS ${mb(result.benchProcess.rss)}`,
        `  machine load average   ${result.loadAverage.join(' ')} (${os.cpus().length} CPUs; other processes share them)`,
        `  target (${TARGET.subscribers} subscribers, p95 ≤ ${TARGET.p95Ms} ms at ${TARGET.rate}/s): ${met ? 'MET' : 'NOT MET'}`,
        ``,
      ].join('\n'),
    );
    if (run.firstError.length) log(`first failures: ${run.firstError.join(' | ')}`);
    if (subscriptionErrors.length) log(`first subscription error: ${JSON.stringify(subscriptionErrors[0])}`);
    if (opts.json) console.log(JSON.stringify({ ...result, targetMet: met }));
  } finally {
    log('stopping');
    await pool(clients.filter(Boolean), 500, (c) => c.dispose() as Promise<void>).catch(() => {});
    await server.stop();
    await driverDb.end();
    await app.close();
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  async (error) => {
    log(`failed: ${(error as Error).stack ?? error}`);
    server.kill();
    await embedded?.stop().catch(() => {});
    process.exit(1);
  },
);
