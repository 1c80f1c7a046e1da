// The start-up benchmark: `npm start`'s command (`node bin/orchestra.js serve`, the compiled build) →
// /readyz answering 200, the first run on a fresh data folder (initdb, migrations, demo data) and the
// runs after it; the same from the TypeScript sources (ORCHESTRA_FROM_SOURCE=1, compiled by swc-node on
// every start) for comparison. Each run is stopped as a terminal's Ctrl-C would (SIGINT to its process
// group) and must exit 0 with nothing logged as an error after "Stopping…".
//
//   node --import @swc-node/register/esm-register bench/startup.ts [--runs 5] [--json]
//
// A data folder of its own (.data/bench-startup), removed at the start.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../server/config.js';
import { freePort } from '../test/support/net.js';
import { log, machineLine } from './harness.js';
import { percentile } from './stats.js';

const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const RUNS = Number(opts.runs);
const DATA = path.join(PROJECT_ROOT, '.data', 'bench-startup');
setTimeout(() => (log('watchdog: giving up'), process.exit(3)), 600_000).unref();

async function once(fromSource: boolean): Promise<{ readyMs: number; stopMs: number; clean: boolean }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ORCHESTRA_DATA_DIR: DATA,
    ORCHESTRA_EMBEDDED_PG_PORT: String(await freePort()),
    PORT: String(port),
    ORCHESTRA_FROM_SOURCE: fromSource ? '1' : '',
  };
  delete env.DATABASE_URL;
  const started = performance.now();
  const proc = spawn(process.execPath, ['bin/orchestra.js', 'serve'], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal gives it
  });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serve exited:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - started;
  const stopAt = performance.now();
  process.kill(-proc.pid!, 'SIGINT');
  const code = await exited;
  const after = output.slice(output.indexOf('Stopping'));
  return { readyMs, stopMs: performance.now() - stopAt, clean: code === 0 && !/error|terminating/i.test(after) };
}

fs.rmSync(DATA, { recursive: true, force: true });
// The build is made before timing: `npm start` makes it once, after a change.
const { ensureServerBuild } = (await import(path.join(PROJECT_ROOT, 'bin', 'build.js'))) as {
  ensureServerBuild: (say: (m: string) => void) => Promise<void>;
};
await ensureServerBuild(log);
const rows: { name: string; first: number; later: number[]; stop: number[]; clean: boolean }[] = [];
for (const fromSource of [false, true]) {
  const name = fromSource ? 'from source (swc-node)' : 'compiled build (npm start)';
  const results = [];
  for (let i = 0; i <= RUNS; i++) results.push(await once(fromSource));
  const [first, ...later] = results;
  rows.push({
    name,
    first: first!.readyMs,
    later: later.map((r) => r.readyMs).sort((a, b) => a - b),
    stop: results.map((r) => r.stopMs).sort((a, b) => a - b),
    clean: results.every((r) => r.clean),
  });
  log(`${name}: first ${(first!.readyMs / 1000).toFixed(2)} s`);
  fs.rmSync(DATA, { recursive: true, force: true });
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  [
    '',
    `Start-up: command → /readyz 200 (${RUNS} later runs each; Ctrl-C to the process group after each)`,
    '',
    '| how | first run (fresh data folder) | later runs p50 | later runs max | Ctrl-C → exit p50 | every stop clean |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${s(r.first)} | ${s(percentile(r.later, 50))} | ${s(r.later.at(-1)!)} | ${s(percentile(r.stop, 50))} | ${r.clean ? 'yes' : 'NO'} |`,
    ),
    '',
    machineLine(),
    '',
  ].join('\n'),
);
if (opts.json) console.log(JSON.stringify({ bench: 'startup', rows }));
process.exit(rows.every((r) => r.clean) ? 0 : 1);
