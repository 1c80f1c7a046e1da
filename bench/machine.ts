// The machine-step benchmark: how long from a submission's commit (the human step before a machine
// step) to the machine step's function starting. Idle (one submission every 200 ms), then at --rate
// submissions a second for --seconds. The machine steps run either in `orchestra worker` processes of
// their own (--workers K, the compiled build) or in the bench's process beside the submissions
// (--workers 0: what one `npm start` does).
//
//   node --import @swc-node/register/esm-register bench/machine.ts [--workers 2] [--rate 40] [--seconds 10] [--json]
//        [--cpu-prof: the worker processes' profiles, in .data/profiles] [--async-commit]
//
// The function (bench/workflows/stamp) notes this machine's wall clock when it starts; the bench notes
// the same clock when submitTask's promise resolves. Its own embedded PostgreSQL (.data/bench-machine,
// port 54366), a fresh database each run.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startOrchestra } from '../server/app.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { SYSTEM } from '../server/kernel/actor.js';
import { SubmitAction } from '../server/lifecycle/rules.js';
import { machineLine, benchPostgres, createWorkers, freshDatabase, log } from './harness.js';
import { percentile, pool } from './stats.js';

const { values: opts } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    rate: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '10' },
    idle: { type: 'string', default: '40' },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'async-commit': { type: 'boolean', default: false },
  },
});
const WORKERS = Number(opts.workers);
const RATE = Number(opts.rate);
const SECONDS = Number(opts.seconds);
const IDLE = Number(opts.idle);
const WORKFLOWS = path.join(PROJECT_ROOT, 'bench', 'workflows');
setTimeout(() => (log('watchdog: giving up'), process.exit(3)), 600_000).unref();
const now = () => performance.timeOrigin + performance.now();

const pgsrv = await benchPostgres('bench-machine', 54366);
const url = await freshDatabase(pgsrv, 'orchestra_bench_machine');
// --async-commit: commits do not wait for the WAL to reach the disk (a diagnosis: how much of the
// latency is fsync), for this database only.
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(
  `alter database orchestra_bench_machine set synchronous_commit = ${opts['async-commit'] ? 'off' : 'on'}`,
);
await admin.end();
const env = { ...process.env, DATABASE_URL: url, ORCHESTRA_WORKFLOWS_DIR: WORKFLOWS };
const app = await startOrchestra({ config: loadConfig(env), jobs: WORKERS === 0, log: () => {} });
const children: ChildProcess[] = [];
try {
  for (let i = 0; i < WORKERS; i++) {
    const profile = opts['cpu-prof']
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROJECT_ROOT, '.data', 'profiles')}`]
      : [];
    const child = spawn(process.execPath, [...profile, 'bin/orchestra.js', 'worker'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const check = (c: Buffer) => {
        output += c.toString();
        if (!output.includes('Orchestra worker running')) return;
        // Ready: from now on its output goes to .data/bench-machine-worker-<i>.log (a job line each).
        child.stdout!.removeListener('data', check);
        child.stderr!.removeListener('data', check);
        const keep = fs.createWriteStream(path.join(PROJECT_ROOT, '.data', `bench-machine-worker-${i}.log`));
        child.stdout!.pipe(keep);
        child.stderr!.pipe(keep);
        resolve();
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code) => reject(new Error(`orchestra worker exited (${code}):\n${output}`)));
    });
  }
  log(WORKERS ? `${WORKERS} orchestra worker process(es) running` : 'machine steps run in this process');

  const [human] = await createWorkers(app, 1, { prefix: 'mach' });
  const total = IDLE + RATE * SECONDS;
  const tasks: { projectId: number; taskId: number }[] = [];
  await pool(
    Array.from({ length: total }, (_, i) => i),
    8,
    async (i) => {
      const p = await app.lifecycle.createProject(SYSTEM, {
        workflowSlug: 'stamp',
        versionSlug: 'v1',
        description: `m ${i}`,
      });
      const { rows } = await app.db.pool.query<{ id: number }>('select id from task where project_id = $1', [p.id]);
      tasks.push({ projectId: p.id, taskId: rows[0]!.id });
    },
  );
  // One worker holds them all (the in-progress cap does not apply to an admin's assignment).
  for (const t of tasks) await app.lifecycle.assignTask(SYSTEM, { taskId: t.taskId, workerId: human!.actor.workerId });
  const committed = new Map<number, number>();
  const submit = async (t: { projectId: number; taskId: number }) => {
    await app.lifecycle.submitTask(human!.actor, {
      taskId: t.taskId,
      data: { n: t.taskId },
      action: SubmitAction.SUBMIT,
    });
    committed.set(t.projectId, now());
  };

  const idle = tasks.slice(0, IDLE);
  for (const t of idle) {
    await submit(t);
    await new Promise((r) => setTimeout(r, 200));
  }
  const busy = tasks.slice(IDLE);
  const commits = async () =>
    (
      await app.db.pool.query<{ n: string }>(
        `select xact_commit::text as n from pg_stat_database where datname = current_database()`,
      )
    ).rows[0]!.n;
  // Flushes of the write-ahead log to the disk (the cluster's: it is this bench's own): what a commit
  // that waits for the disk costs, the rest are commits of reads or commits that do not wait.
  const walSyncs = async () =>
    (await app.db.pool.query<{ n: string }>(`select wal_sync::text as n from pg_stat_wal`)).rows[0]!.n;
  const commitsAt = Number(await commits());
  const walSyncsAt = Number(await walSyncs());
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < busy.length; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(submit(busy[i]!));
  }
  await Promise.all(inFlight);
  const achieved = busy.length / ((performance.now() - started) / 1000);

  // Every machine step done (or the watchdog ends the run).
  for (;;) {
    const { rows } = await app.db.pool.query<{ n: number }>(
      `select count(*)::int as n from task t join step s on s.id = t.step_id where s.slug = 'stamp' and t.status = 5`,
    );
    if (rows[0]!.n >= total) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const { rows } = await app.db.pool.query<{ project_id: number; started_at: number }>(
    `select t.project_id, (a.data->>'startedAt')::float8 as started_at
       from task t join step s on s.id = t.step_id and s.slug = 'stamp'
       join task_assignment a on a.task_id = t.id and not a.is_deleted`,
  );
  const startedAt = new Map(rows.map((r) => [r.project_id, r.started_at]));
  await new Promise((r) => setTimeout(r, 1000)); // statistics reach pg_stat_database within a second
  const commitsPerSubmission = (Number(await commits()) - commitsAt) / busy.length;
  const walSyncsPerSubmission = (Number(await walSyncs()) - walSyncsAt) / busy.length;
  const latencies = (set: typeof tasks) =>
    set.map((t) => startedAt.get(t.projectId)! - committed.get(t.projectId)!).sort((a, b) => a - b);
  const figures = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), max: xs.at(-1)! });
  const result = {
    bench: 'machine',
    workers: WORKERS,
    idle: figures(latencies(idle)),
    busy: { ...figures(latencies(busy)), rate: achieved },
    commitsPerSubmission,
    walSyncsPerSubmission,
    loadAverage: os.loadavg(),
  };
  const f = (x: number) => x.toFixed(1);
  const where = WORKERS
    ? `${WORKERS} \`orchestra worker\` process${WORKERS > 1 ? 'es' : ''}`
    : 'the submitting process';
  console.log(
    [
      '',
      `Machine step: submission commit → function start, machine steps in ${where}`,
      '',
      '| load | submissions | p50 ms | p95 ms | max ms |',
      '|---|---|---|---|---|',
      `| idle (one each 200 ms) | ${idle.length} | ${f(result.idle.p50)} | ${f(result.idle.p95)} | ${f(result.idle.max)} |`,
      `| ${f(achieved)} submissions/s | ${busy.length} | ${f(result.busy.p50)} | ${f(result.busy.p95)} | ${f(result.busy.max)} |`,
      '',
      `${commitsPerSubmission.toFixed(1)} commits per submission while loaded (its own, its machine step's, the job queue's and the consumers'); ${walSyncsPerSubmission.toFixed(1)} flushes of the log to the disk`,
      '',
      machineLine(),
      '',
    ].join('\n'),
  );
  if (opts.json) console.log(JSON.stringify(result));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  await app.close();
  await pgsrv.stop();
}
process.exit(0);
