// `npm run bench`: every benchmark of issue 13's table once, at a small size (a few minutes in all), one
// after the other (never two at once: they share the machine's two cores), each in its own process; then
// one markdown table of the figures, printed and written to .data/bench-results.md. The full-size runs
// are each benchmark's own command (bench/README.md). Not part of `npm test`.
//
//   node --import @swc-node/register/esm-register bench/all.ts
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/config.js';
import { log } from './harness.js';

const RUNS: { name: string; args: string[] }[] = [
  {
    name: 'cycle',
    args: ['bench/cycle.ts', '--rounds', '1', '--cycles', '150', '--raw-cycles', '1500', '--raw-tasks', '50000'],
  },
  { name: 'pool', args: ['bench/pool.ts', '--sizes', '1000,30000', '--pulls', '100'] },
  { name: 'dashboard', args: ['bench/dashboard.ts', '--waiting', '30000', '--completed', '1000', '--requests', '60'] },
  { name: 'machine', args: ['bench/machine.ts', '--workers', '2', '--rate', '40', '--seconds', '5', '--idle', '20'] },
  { name: 'startup', args: ['bench/startup.ts', '--runs', '2'] },
];

/** Runs one benchmark with --json; its last JSON line. */
function runOne(args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', ...args, '--json'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      const line = out
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`${args[0]} failed (exit ${code}):\n${out}`));
      resolve(JSON.parse(line));
    });
  });
}

const started = performance.now();
const results: Record<string, any> = {};
for (const run of RUNS) {
  log(`${run.name}: ${run.args.join(' ')}`);
  results[run.name] = await runOne(run.args);
}
const f = (x: number, d = 1) => x.toFixed(d);
const cycle = (c: number, driver: string) =>
  results.cycle.results.find((r: any) => r.concurrency === c && r.driver === driver);
const [g8, g32, r8] = [cycle(8, 'graphql'), cycle(32, 'graphql'), cycle(8, 'raw')];
const [poolSmall, poolLarge] = [results.pool.results[0], results.pool.results.at(-1)];
const dash = results.dashboard.results;
const m = results.machine;
const compiled = results.startup.rows[0];
const probe = results.cycle.probe.graphql;
const rows: [string, string, string][] = [
  [
    'claim → submit → review claim → accept over GraphQL, C = 8',
    `${f(g8.perSecond, 0)} transitions/s; raw SQL ${f(r8.perSecond, 0)}/s: **${f(g8.ratio, 2)} ×**`,
    '≥ 0.4 × raw SQL',
  ],
  ['the same, C = 32', `p99 ${f(g32.p99)} ms`, 'p99 ≤ 100 ms'],
  [
    'server CPU per transition',
    `${f(g8.nodeCpuMs, 2)} ms; PostgreSQL ${f(g8.pgCpuMs, 2)} ms (raw: ${f(r8.pgCpuMs, 2)} ms)`,
    '≤ 1.8 ms server, ≤ 1.8 ms PostgreSQL',
  ],
  [
    'statements per transition (GraphQL)',
    `${f(g8.statements, 2)} (claim ${f(probe.claim)}, submit ${f(probe.submit)}, review claim ${f(probe['review claim'])}, accept ${f(probe.accept)})`,
    'one or two round trips per use case',
  ],
  [
    `requestTask, ${poolLarge.size.toLocaleString('en')} waiting tasks`,
    `p95 ${f(poolLarge.p95)} ms; ${f(poolLarge.p95 / poolSmall.p95, 2)} × the same with ${poolSmall.size.toLocaleString('en')}`,
    'p95 ≤ 10 ms, within 2 ×',
  ],
  [
    `dashboard, ${results.dashboard.waiting.toLocaleString('en')} waiting, worker with ${results.dashboard.completed} completed`,
    `p95 ${f(dash[0].p95)} ms, ${dash[0].statements} statements (${dash[1].statements} with 10); counts p95 ${f(dash[0].countsP95)} ms`,
    'p95 ≤ 50 ms, ≤ 10 statements, the same for 10 and 1,000',
  ],
  [
    `machine step, commit → function start (${m.workers} orchestra worker processes)`,
    `idle p95 ${f(m.idle.p95)} ms; at ${f(m.busy.rate)} submits/s p95 ${f(m.busy.p95)} ms`,
    'p95 ≤ 25 ms at 40 submits/s',
  ],
  [
    'npm start → /readyz',
    `first run ${f(compiled.first / 1000, 2)} s, later ${f(compiled.later[0] / 1000, 2)}–${f(compiled.later.at(-1) / 1000, 2)} s; Ctrl-C clean: ${compiled.clean ? 'yes' : 'no'}`,
    'later runs ≤ 2 s; Ctrl-C stops cleanly',
  ],
];
const table = [
  `Benchmarks at a small size (npm run bench), ${new Date().toISOString()}, ${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((l) => f(l))
    .join(' ')}, ${f((performance.now() - started) / 1000, 0)} s in all`,
  '',
  '| what | measured | target (issue 13, at full size) |',
  '|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
].join('\n');
const file = path.join(PROJECT_ROOT, '.data', 'bench-results.md');
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, table);
console.log(`\n${table}\nWritten to ${path.relative(process.cwd(), file)}.`);
