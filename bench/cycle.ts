// The cycle benchmark: a reviewed task's four transitions — claim, submit, review claim, accept — run by
// C clients at once, three ways in the same run and interleaved: over GraphQL (HTTP to a server child
// process, bench/server.ts), the same use cases in this process (LifecycleService), and the same four
// transitions as bare SQL (bench/raw-sql/, a copy of ../shared/reference/raw-sql/: one transaction each
// with an outbox insert, prepared statements through pg) — the physical limit the other two are
// compared with.
//
//   node --import @swc-node/register/esm-register bench/cycle.ts [--concurrency 8,32] [--cycles 400]
//        [--raw-cycles 3000] [--rounds 2] [--raw-tasks 400000] [--drivers graphql,inprocess,raw] [--json]
//        [--cpu-prof] [--show-sql] [--pg-statements]
//
// For each phase (driver × C): transitions/s, the ratio to raw SQL in the same round, latency of one
// transition p50/p95/p99, CPU per transition in the Node process doing the work (the server child for
// GraphQL, this process otherwise) and in PostgreSQL (its processes' CPU time from /proc), statements per
// transition. Before the phases, a sequential probe counts each transition's statements by kind.
// Its own embedded PostgreSQL (.data/bench-cycle, port 54364). See bench/README.md.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startOrchestra, type Orchestra } from '../server/app.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { SYSTEM, type Actor } from '../server/kernel/actor.js';
import { CertificationRole } from '../server/kernel/status.js';
import { SubmitAction } from '../server/lifecycle/rules.js';
import { benchPostgres, createWorkers, freshDatabase, log, postgresCpuSeconds, ServerChild } from './harness.js';
import { percentile, pool } from './stats.js';
import { reviewedWorkflow } from './workflow.js';

const { values: opts } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '8,32' },
    cycles: { type: 'string', default: '400' },
    'raw-cycles': { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '2' },
    'raw-tasks': { type: 'string', default: '400000' },
    drivers: { type: 'string', default: 'graphql,inprocess,raw' },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'show-sql': { type: 'boolean', default: false },
    'pg-statements': { type: 'boolean', default: false },
  },
});
const posInt = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return n;
};
const CONCURRENCIES = opts.concurrency!.split(',').map((c) => posInt('concurrency', c));
const CYCLES = posInt('cycles', opts.cycles!);
const RAW_CYCLES = posInt('raw-cycles', opts['raw-cycles']!);
const ROUNDS = posInt('rounds', opts.rounds!);
const RAW_TASKS = posInt('raw-tasks', opts['raw-tasks']!);
const DRIVERS = opts.drivers!.split(',') as Driver[];
type Driver = 'graphql' | 'inprocess' | 'raw';
for (const d of DRIVERS)
  if (!['graphql', 'inprocess', 'raw'].includes(d)) throw new Error(`--drivers: unknown driver ${d}`);
const MAX_C = Math.max(...CONCURRENCIES);

setTimeout(() => (log('watchdog: giving up'), process.exit(3)), 1_800_000).unref();

// ---- statements: every query this process sends, except the raw driver's own ---------------------------

let statements = 0;
/** --show-sql: the text of every statement, while the probe runs its first in-process cycle. */
let shown: string[] | null = null;
const RAW = Symbol('raw driver');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { [RAW]?: true }, ...args: unknown[]) {
  if (!this[RAW]) statements++;
  if (!this[RAW] && shown) {
    const first = args[0] as string | { text?: string };
    shown.push((typeof first === 'string' ? first : (first?.text ?? '')).replace(/\s+/g, ' ').slice(0, 220));
  }
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

// ---- the three ways to run one transition -------------------------------------------------------------

const TRANSITIONS = ['claim', 'submit', 'review claim', 'accept'] as const;
type Transition = (typeof TRANSITIONS)[number];

/** One client: runs transition `t` of task `taskId`, as worker `w` (entry) or reviewer `r`. */
type Runner = (t: Transition, taskId: number) => Promise<void>;

interface Pair {
  entry: { actor: Actor; token: string };
  reviewer: { actor: Actor; token: string };
}

const inProcessRunner =
  (app: Orchestra, pair: Pair): Runner =>
  async (t, taskId) => {
    const { lifecycle } = app;
    if (t === 'claim') await lifecycle.claimTask(pair.entry.actor, taskId);
    else if (t === 'submit')
      await lifecycle.submitTask(pair.entry.actor, { taskId, data: { rating: 4 }, action: SubmitAction.SUBMIT });
    else if (t === 'review claim') await lifecycle.claimTask(pair.reviewer.actor, taskId);
    else await lifecycle.submitTask(pair.reviewer.actor, { taskId, data: { rating: 4 }, action: SubmitAction.ACCEPT });
  };

const CLAIM = `mutation Claim($taskId: ID!) { claimTask(input: { taskId: $taskId }) { task { id status } } }`;
const SUBMIT = `mutation Submit($taskId: ID!, $data: JSONObject!, $action: SubmitAction!) {
  submitTask(input: { taskId: $taskId, data: $data, action: $action }) { task { id status } } }`;

/**
 * One POST over a kept-alive connection with node:http, not fetch: the clients share the two cores with
 * the server and PostgreSQL, and fetch (undici) cost about 0.25 ms of CPU per request (1 ms per
 * transition, a fifth of the run's CPU), which the raw driver's clients (pg) do not pay.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function post(url: URL, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const graphqlRunner = (url: string, pair: Pair): Runner => {
  const endpoint = new URL(`${url}/graphql`);
  return async (t, taskId) => {
    const [token, body] =
      t === 'claim'
        ? [pair.entry.token, { query: CLAIM, variables: { taskId } }]
        : t === 'submit'
          ? [pair.entry.token, { query: SUBMIT, variables: { taskId, data: { rating: 4 }, action: 'SUBMIT' } }]
          : t === 'review claim'
            ? [pair.reviewer.token, { query: CLAIM, variables: { taskId } }]
            : [pair.reviewer.token, { query: SUBMIT, variables: { taskId, data: { rating: 4 }, action: 'ACCEPT' } }];
    const res = await post(endpoint, token, JSON.stringify(body));
    const json = JSON.parse(res.text) as { errors?: { message: string }[] };
    if (res.status !== 200 || json.errors) throw new Error(`${t} ${taskId}: ${res.status} ${res.text}`);
  };
};

// The raw cycle of bench/raw-sql/cycle.sql, statement for statement, prepared.
const RAW_SQL = {
  pick: 'SELECT t.id AS tid FROM task t WHERE t.status = 0 ORDER BY t.id LIMIT 1 FOR UPDATE SKIP LOCKED',
  assign: 'INSERT INTO task_assignment (task_id, worker_id, counter, status) VALUES ($1, $2, 0, 0) RETURNING id',
  iterate: 'INSERT INTO iteration (assignment_id, status) VALUES ($1, 0)',
  status: 'UPDATE task SET status = $2, version = version + 1 WHERE id = $1',
  event: 'INSERT INTO event (topic, payload) VALUES ($1, json_build_object($2::text, $3::bigint))',
  lock: 'SELECT id FROM task WHERE id = $1 FOR UPDATE',
  endIteration: `UPDATE iteration SET status = 1, data = $2, ended_at = now() WHERE assignment_id = $1 AND ended_at IS NULL`,
  endAssignment: 'UPDATE task_assignment SET status = 1, data = $2 WHERE id = $1',
  review: `INSERT INTO task_assignment (task_id, worker_id, counter, status, data) VALUES ($1, $2, 1, 0, '{"rating": 4}') RETURNING id`,
};

function rawClient(
  url: string,
  index: number,
): { connect(): Promise<void>; end(): Promise<void>; cycle: () => Promise<number[]> } {
  const client = new pg.Client({ connectionString: url }) as pg.Client & { [RAW]?: true };
  client[RAW] = true;
  const q = (name: keyof typeof RAW_SQL, values: unknown[]) => client.query({ name, text: RAW_SQL[name], values });
  const w = 1 + (index % 1000);
  const r = 1001 + (index % 1000);
  const data = '{"rating": 4}';
  const tx = async (body: () => Promise<void>) => {
    const began = performance.now();
    await client.query('BEGIN');
    await body();
    await client.query('COMMIT');
    return performance.now() - began;
  };
  return {
    connect: () => client.connect(),
    end: () => client.end(),
    async cycle() {
      let tid = 0;
      let aid = 0;
      let rid = 0;
      const claim = await tx(async () => {
        tid = (await q('pick', [])).rows[0].tid;
        aid = (await q('assign', [tid, w])).rows[0].id;
        await q('iterate', [aid]);
        await q('status', [tid, 1]);
        await q('event', ['task.assigned', 'task', tid]);
      });
      const submit = await tx(async () => {
        await q('lock', [tid]);
        await q('endIteration', [aid, data]);
        await q('endAssignment', [aid, data]);
        await q('status', [tid, 2]);
        await q('event', ['task.submitted', 'task', tid]);
      });
      const review = await tx(async () => {
        await q('lock', [tid]);
        rid = (await q('review', [tid, r])).rows[0].id;
        await q('iterate', [rid]);
        await q('status', [tid, 3]);
        await q('event', ['task.review_claimed', 'task', tid]);
      });
      const accept = await tx(async () => {
        await q('lock', [tid]);
        await q('endIteration', [rid, '{}']);
        await q('endAssignment', [rid, data]);
        await q('status', [tid, 5]);
        await q('event', ['task.completed', 'task', tid]);
      });
      return [claim, submit, review, accept];
    },
  };
}

/** The reference schema (without its DROP/CREATE DATABASE), with `tasks` waiting tasks. */
async function rawSchema(url: string, tasks: number): Promise<void> {
  const sql = readFileSync(path.join(PROJECT_ROOT, 'bench', 'raw-sql', 'schema.sql'), 'utf8')
    .split('\n')
    .filter((l) => !/^(DROP DATABASE|CREATE DATABASE|\\c|VACUUM)/.test(l))
    .join('\n')
    .replace('generate_series(1,400000)', `generate_series(1,${tasks})`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql); // one implicit transaction; VACUUM cannot run in one
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

// ---- phases ---------------------------------------------------------------------------------------------

interface PhaseResult {
  driver: Driver;
  concurrency: number;
  round: number;
  transitions: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU per transition of the Node process that runs the use cases (server child for GraphQL). */
  nodeCpuMs: number;
  /** CPU per transition of this (client) process, for GraphQL. */
  clientCpuMs: number;
  pgCpuMs: number;
  statements: number;
}

async function main() {
  // --pg-statements: PostgreSQL's own account of where its time went (pg_stat_statements), per statement.
  const pgsrv = await benchPostgres(
    'bench-cycle',
    54364,
    opts['pg-statements'] ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {},
  );
  const server = new ServerChild();
  let app: Orchestra | null = null;
  try {
    const rawUrl = await freshDatabase(pgsrv, 'rawbench');
    if (DRIVERS.includes('raw')) {
      const started = performance.now();
      await rawSchema(rawUrl, RAW_TASKS);
      log(`raw schema with ${RAW_TASKS} waiting tasks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const url = await freshDatabase(pgsrv, 'orchestra_bench_cycle');
    const config = loadConfig(process.env, { databaseUrl: url, jobs: { ...loadConfig().jobs, inProcess: false } });
    app = await startOrchestra({ config, definitions: [reviewedWorkflow], jobs: false });
    await server.start(url, {
      workflow: 'reviewed',
      countSql: true,
      profileDir: opts['cpu-prof'] ? path.join(PROJECT_ROOT, '.data', 'profiles') : undefined,
    });
    log(`server child pid ${server.pid} at ${server.url}`);
    const certify = { workflow: 'lcbench', slug: 'writer' };
    const entries = await createWorkers(app, MAX_C, {
      prefix: 'cy_e',
      certify: { ...certify, roles: [CertificationRole.ENTRY_LEVEL] },
    });
    const reviewers = await createWorkers(app, MAX_C, {
      prefix: 'cy_r',
      certify: { ...certify, roles: [CertificationRole.ENTRY_LEVEL, CertificationRole.REVIEWER] },
    });
    const pairs: Pair[] = entries.map((entry, i) => ({ entry, reviewer: reviewers[i]! }));

    /** `n` fresh waiting tasks (projects created in this process, not measured). */
    const freshTasks = async (n: number): Promise<number[]> => {
      const ids: number[] = [];
      await pool(
        Array.from({ length: n }, (_, i) => i),
        8,
        async (i) => {
          const p = await app!.lifecycle.createProject(SYSTEM, {
            workflowSlug: 'lcbench',
            versionSlug: 'v1',
            description: `cycle ${i}`,
          });
          ids.push(p.id);
        },
      );
      const { rows } = await app!.db.pool.query<{ id: number }>(
        'select id from task where project_id = any($1::int[]) order by id',
        [ids],
      );
      return rows.map((r) => r.id);
    };

    const runnerFor = (driver: 'graphql' | 'inprocess', pair: Pair) =>
      driver === 'graphql' ? graphqlRunner(server.url, pair) : inProcessRunner(app!, pair);

    // The probe: statements of each transition, one cycle at a time.
    const probe: Record<string, Record<Transition, number>> = {};
    for (const driver of DRIVERS.filter((d): d is 'graphql' | 'inprocess' => d !== 'raw')) {
      const tasks = await freshTasks(10);
      const run = runnerFor(driver, pairs[0]!);
      const sums = Object.fromEntries(TRANSITIONS.map((t) => [t, 0])) as Record<Transition, number>;
      const count = async () =>
        driver === 'graphql' ? (await server.ask<{ statements: number }>('stats')).statements : statements;
      for (const [i, taskId] of tasks.entries())
        for (const t of TRANSITIONS) {
          const before = await count();
          const show = opts['show-sql'] && driver === 'inprocess' && i === 1;
          if (show) shown = [];
          await run(t, taskId);
          sums[t] += (await count()) - before;
          if (show) console.log(`-- ${t}:\n${shown!.map((q) => `   ${q}`).join('\n')}`);
          shown = null;
        }
      probe[driver] = Object.fromEntries(TRANSITIONS.map((t) => [t, sums[t] / tasks.length])) as Record<
        Transition,
        number
      >;
    }

    const phase = async (driver: Driver, c: number, round: number): Promise<PhaseResult> => {
      const latencies: number[] = [];
      let transitions = 0;
      let serverStats: { cpuMs: number; statements: number } = { cpuMs: 0, statements: 0 };
      const statementsAt = statements;
      let elapsed: number;
      let cpu: NodeJS.CpuUsage;
      let pgCpu: number;
      if (driver === 'raw') {
        const clients = Array.from({ length: c }, (_, i) => rawClient(rawUrl, i));
        await Promise.all(clients.map((cl) => cl.connect()));
        const pgAt = postgresCpuSeconds(pgsrv);
        const cpuAt = process.cpuUsage();
        const started = performance.now();
        let left = RAW_CYCLES;
        await Promise.all(
          clients.map(async (cl) => {
            while (left-- > 0) {
              latencies.push(...(await cl.cycle()));
              transitions += 4;
            }
          }),
        );
        elapsed = performance.now() - started;
        cpu = process.cpuUsage(cpuAt);
        pgCpu = postgresCpuSeconds(pgsrv) - pgAt;
        await Promise.all(clients.map((cl) => cl.end()));
      } else {
        const tasks = await freshTasks(CYCLES);
        const runners = pairs.slice(0, c).map((p) => runnerFor(driver, p));
        // Starts the server's CPU window; its statement count is a running total.
        const atStart = driver === 'graphql' ? await server.ask<{ statements: number }>('stats') : null;
        const pgAt = postgresCpuSeconds(pgsrv);
        const cpuAt = process.cpuUsage();
        const started = performance.now();
        let next = 0;
        await Promise.all(
          runners.map(async (run) => {
            while (next < tasks.length) {
              const taskId = tasks[next++]!;
              for (const t of TRANSITIONS) {
                const began = performance.now();
                await run(t, taskId);
                latencies.push(performance.now() - began);
                transitions++;
              }
            }
          }),
        );
        elapsed = performance.now() - started;
        cpu = process.cpuUsage(cpuAt);
        pgCpu = postgresCpuSeconds(pgsrv) - pgAt;
        if (atStart) {
          const atEnd = await server.ask<{ cpuMs: number; statements: number }>('stats');
          serverStats = { cpuMs: atEnd.cpuMs, statements: atEnd.statements - atStart.statements };
        }
      }
      latencies.sort((a, b) => a - b);
      const ownCpuMs = (cpu.user + cpu.system) / 1000 / transitions;
      return {
        driver,
        concurrency: c,
        round,
        transitions,
        perSecond: transitions / (elapsed / 1000),
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        nodeCpuMs: driver === 'graphql' ? serverStats.cpuMs / transitions : ownCpuMs,
        clientCpuMs: ownCpuMs,
        pgCpuMs: (pgCpu * 1000) / transitions,
        statements:
          driver === 'graphql'
            ? serverStats.statements / transitions
            : driver === 'raw'
              ? 7 // BEGIN, five statements, COMMIT: as cycle.sql writes each transition
              : (statements - statementsAt) / transitions,
      };
    };

    // A warm-up phase per driver, not reported: the JIT and the pools are warm before anything counts.
    for (const driver of DRIVERS) await phase(driver, Math.min(8, MAX_C), 0);
    const loadBefore = os.loadavg();
    const results: PhaseResult[] = [];
    for (let round = 1; round <= ROUNDS; round++)
      for (const c of CONCURRENCIES)
        for (const driver of DRIVERS) {
          const r = await phase(driver, c, round);
          results.push(r);
          log(
            `round ${round} C=${c} ${driver}: ${r.perSecond.toFixed(0)} transitions/s, p99 ${r.p99.toFixed(1)} ms, ` +
              `node ${r.nodeCpuMs.toFixed(2)} ms, pg ${r.pgCpuMs.toFixed(2)} ms, ${r.statements.toFixed(2)} statements per transition`,
          );
        }
    const loadAfter = os.loadavg();
    report(results, probe, loadBefore, loadAfter);
    if (opts['pg-statements']) await reportStatements(app.db.pool);
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  } finally {
    await server.stop().catch(() => {});
    await app?.close().catch(() => {});
    await pgsrv.stop().catch(() => {});
  }
}

/** The statements of Orchestra's database (the probe's and every phase's) by PostgreSQL's time in them. */
async function reportStatements(db: pg.Pool): Promise<void> {
  await db.query('create extension if not exists pg_stat_statements');
  const { rows } = await db.query<{ calls: string; ms: number; mean: number; share: number; query: string }>(
    `select calls, total_exec_time as ms, total_exec_time / calls as mean,
            total_exec_time / sum(total_exec_time) over () as share, regexp_replace(query, '\\s+', ' ', 'g') as query
       from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit 15`,
  );
  console.log(
    '\nPostgreSQL time by statement, set-up included (pg_stat_statements: execution, not planning; waits included)\n',
  );
  console.log('| calls | total ms | mean ms | share | statement |\n|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.calls} | ${r.ms.toFixed(0)} | ${r.mean.toFixed(3)} | ${(r.share * 100).toFixed(1)} % | \`${r.query.slice(0, 100).replace(/\|/g, '\\|')}\` |`,
    );
}

function report(
  results: PhaseResult[],
  probe: Record<string, Record<Transition, number>>,
  loadBefore: number[],
  loadAfter: number[],
) {
  const f = (x: number, d = 1) => x.toFixed(d);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const lines: string[] = [
    '',
    `Cycle benchmark: claim → submit → review claim → accept (${ROUNDS} round${ROUNDS > 1 ? 's' : ''}, interleaved; medians)`,
    '',
    '| C | driver | transitions/s | × raw SQL | p50 ms | p95 ms | p99 ms | Node CPU ms/transition | PostgreSQL CPU ms/transition | statements/transition |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const summary: Record<string, unknown>[] = [];
  for (const c of CONCURRENCIES) {
    const rawRate = median(results.filter((r) => r.driver === 'raw' && r.concurrency === c).map((r) => r.perSecond));
    for (const driver of DRIVERS) {
      const rs = results.filter((r) => r.driver === driver && r.concurrency === c);
      const m = (k: keyof PhaseResult) => median(rs.map((r) => r[k] as number));
      // The ratio is taken per round (raw and the driver ran side by side), then the median.
      const ratio = median(
        rs.map(
          (r) =>
            r.perSecond /
            (results.find((x) => x.driver === 'raw' && x.concurrency === c && x.round === r.round)?.perSecond ?? NaN),
        ),
      );
      const row = {
        concurrency: c,
        driver,
        perSecond: m('perSecond'),
        ratio: Number.isFinite(rawRate) ? ratio : NaN,
        p50: m('p50'),
        p95: m('p95'),
        p99: m('p99'),
        nodeCpuMs: m('nodeCpuMs'),
        clientCpuMs: m('clientCpuMs'),
        pgCpuMs: m('pgCpuMs'),
        statements: m('statements'),
      };
      summary.push(row);
      lines.push(
        `| ${c} | ${driver} | ${f(row.perSecond, 0)} | ${Number.isFinite(row.ratio) ? f(row.ratio, 2) + ' ×' : '–'} | ${f(row.p50)} | ${f(row.p95)} | ${f(row.p99)} | ${f(row.nodeCpuMs, 2)}${driver === 'graphql' ? ` (client ${f(row.clientCpuMs, 2)})` : ''} | ${f(row.pgCpuMs, 2)} | ${f(row.statements, 2)} |`,
      );
    }
  }
  lines.push(
    '',
    'Statements per transition, one at a time (BEGIN and COMMIT included; GraphQL: every statement of the server process):',
    '',
  );
  lines.push(`| driver | ${TRANSITIONS.join(' | ')} |`, `|---|${TRANSITIONS.map(() => '---|').join('')}`);
  for (const [driver, byT] of Object.entries(probe))
    lines.push(`| ${driver} | ${TRANSITIONS.map((t) => f(byT[t])).join(' | ')} |`);
  lines.push(
    '',
    `machine load average before ${loadBefore.map((l) => f(l)).join(' ')}, after ${loadAfter.map((l) => f(l)).join(' ')} (${os.cpus().length} CPUs); node ${process.version}; ${new Date().toISOString()}`,
    '',
  );
  console.log(lines.join('\n'));
  if (opts.json)
    console.log(JSON.stringify({ bench: 'cycle', rounds: ROUNDS, loadAverage: loadAfter, results: summary, probe }));
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    log(`failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
