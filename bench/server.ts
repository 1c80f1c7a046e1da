// The benchmark's server process: Orchestra (startOrchestra + startHttpServer) on DATABASE_URL with the
// bench workflow (BENCH_WORKFLOW=bench, the default) or the reviewed one (=reviewed), driven by its parent over IPC: `mem` answers the process's memory after a full GC
// (run with --expose-gc) and its open subscriptions; `stats` its CPU time and event-loop delay (and,
// with BENCH_COUNT_SQL=1, the SQL statements this process sent, on every connection); `stop`
// shuts it down. It also stops when the parent goes away (the IPC channel closes).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startOrchestra } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { startHttpServer } from '../server/http/server.js';
import pg from 'pg';
import { benchWorkflow, reviewedWorkflow } from './workflow.js';

type Request = { type: 'mem' | 'stats' | 'stop'; id: number };

const send = (message: unknown) => process.send?.(message);
const config = loadConfig(process.env, { jobs: { ...loadConfig().jobs, inProcess: false } });
if (!config.databaseUrl) throw new Error('bench/server.ts needs DATABASE_URL');
let statements = 0;
if (process.env.BENCH_COUNT_SQL === '1') {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
}
const definitions = process.env.BENCH_WORKFLOW === 'reviewed' ? [reviewedWorkflow] : [benchWorkflow];
const app = await startOrchestra({ config, definitions, jobs: false });
const http = await startHttpServer(app, { host: '127.0.0.1', port: config.port });
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpuAt = process.cpuUsage();
let wallAt = performance.now();

let stopping: Promise<void> | null = null;
const stop = () =>
  (stopping ??= (async () => {
    const hard = setTimeout(() => process.exit(1), 20_000);
    hard.unref();
    await http.close().catch(() => {});
    await app.close().catch(() => {});
    process.exit(0); // writes the --cpu-prof profile, if asked for
  })());

process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('message', (m: Request) => {
  if (m.type === 'stop') return void stop();
  if (m.type === 'mem') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const u = process.memoryUsage();
    return send({
      id: m.id,
      rss: u.rss,
      heapUsed: u.heapUsed,
      heapTotal: u.heapTotal,
      external: u.external,
      gc: !!gc,
      subscriptions: http.realtime.subscriptions,
    });
  }
  if (m.type === 'stats') {
    // CPU share and event-loop delay since the last `stats` request.
    const cpu = process.cpuUsage(cpuAt);
    const wall = performance.now() - wallAt;
    const stats = {
      id: m.id,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
      statements,
      loopDelayP50Ms: loop.percentile(50) / 1e6,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      subscriptions: http.realtime.subscriptions,
    };
    cpuAt = process.cpuUsage();
    wallAt = performance.now();
    loop.reset();
    return send(stats);
  }
});
send({ type: 'ready', url: http.url, pid: process.pid });
