/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The worker app, measured in Chromium: how long a committed change takes to be visible on a
// worker's dashboard (p50/p95 over N changes with M dashboards open), and how much JavaScript the
// dashboard route ships (gzipped, as the server sends it). Prints figures and ratios to the targets.
//
//   npm run build && node --import @swc-node/register/esm-register bench/app.ts [--dashboards 50] [--changes 200]
//
// Its own embedded PostgreSQL (data in .data/bench-app, port 54362) and a fresh database each run;
// Orchestra runs in this process with the app mounted, Chromium is Debian's (or $CHROMIUM_PATH).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { chromium, type Page } from 'playwright-core';
import { startOrchestra } from '../server/app.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../server/db/embedded.js';
import { startHttpServer } from '../server/http/server.js';
import { loadWebApp, webAppStaleness } from '../server/http/web-app.js';
import { SYSTEM } from '../server/kernel/actor.js';
import { chromiumPath } from '../test/support/chromium.js';
import { percentile, pool } from './stats.js';
import { BENCH_STEPS, benchWorkflow } from './workflow.js';

const { values } = parseArgs({
  options: { dashboards: { type: 'string', default: '50' }, changes: { type: 'string', default: '200' } },
});
const DASHBOARDS = Number(values.dashboards);
const CHANGES = Number(values.changes);
const TARGET_P95_MS = 250;
const TARGET_JS_KB = 120;

const stale = webAppStaleness();
if (stale) throw new Error(`${stale}: run \`npm run build\` first`);
const browserPath = chromiumPath();
if (!browserPath.path) throw new Error(`bench/app.ts needs Chromium: ${browserPath.why}`);

const embedded = await startEmbeddedPostgres(path.join(PROJECT_ROOT, '.data', 'bench-app', 'pg'), 54362);
const admin = new pg.Client({ connectionString: embedded.url('postgres') });
await admin.connect();
await admin.query('drop database if exists orchestra_bench_app with (force)');
await admin.end();
await ensureDatabase(embedded.url('postgres'), 'orchestra_bench_app');
const config = loadConfig({ ...process.env, DATABASE_URL: embedded.url('orchestra_bench_app') });
const app = await startOrchestra({ config, definitions: [benchWorkflow], jobs: false });
const http = await startHttpServer(app, { host: '127.0.0.1', port: 0, fallback: (await loadWebApp())! });
const browser = await chromium.launch({
  executablePath: browserPath.path,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-timer-throttling'],
});

try {
  // --- JavaScript of the dashboard route, as shipped (adapter-node serves the precompressed .gz files).
  const probe = await browser.newContext({ baseURL: http.url });
  const probePage = await probe.newPage();
  await app.workers.createWorker(SYSTEM, { username: 'probe', password: 'probe password' });
  const scripts = new Set<string>();
  probePage.on('response', (r) => {
    if (r.request().resourceType() === 'script') scripts.add(new URL(r.url()).pathname);
  });
  const token = (await app.auth.login('probe', 'probe password')).token;
  await probe.addCookies([{ name: 'orchestra_session', value: token, url: http.url }]);
  await probePage.goto('/');
  await probePage.getByRole('heading', { name: 'Your dashboard', exact: true }).waitFor();
  await probePage.waitForLoadState('networkidle');
  const shipped = [...scripts].map((p) => {
    const file = path.join(PROJECT_ROOT, 'client', 'build', 'client', p);
    return { path: p, raw: fs.statSync(file).size, gzip: fs.statSync(`${file}.gz`).size };
  });
  const gzipKb = shipped.reduce((n, s) => n + s.gzip, 0) / 1024;
  const rawKb = shipped.reduce((n, s) => n + s.raw, 0) / 1024;
  await probe.close();

  // --- Dashboards: one worker each, signed in, live.
  const tasksNeeded = CHANGES;
  for (let i = 0; i < Math.ceil(tasksNeeded / BENCH_STEPS); i++) {
    await app.lifecycle.createProject(SYSTEM, { workflowSlug: 'bench', versionSlug: 'v1', description: `p${i}` });
  }
  const { rows } = await app.db.pool.query<{ id: number }>(
    `select id from task where status = 0 order by id limit $1`,
    [tasksNeeded],
  );
  const taskIds = rows.map((r) => r.id);
  const viewers: { workerId: number; page: Page }[] = [];
  await pool(
    Array.from({ length: DASHBOARDS }, (_, i) => i),
    4,
    async (i) => {
      const w = await app.workers.createWorker(SYSTEM, { username: `viewer_${i}`, password: 'viewer password' });
      const session = await app.auth.login(`viewer_${i}`, 'viewer password');
      const context = await browser.newContext({ baseURL: http.url, viewport: { width: 1280, height: 800 } });
      await context.addCookies([{ name: 'orchestra_session', value: session.token, url: http.url }]);
      const page = await context.newPage();
      // Notes the moment each task row first appears, by the same clock as this process.
      await page.addInitScript(() => {
        const seen: Record<string, number> = {};
        const heard: Record<string, number> = {};
        (window as unknown as { __seen: typeof seen; __heard: typeof heard }).__seen = seen;
        (window as unknown as { __heard: typeof heard }).__heard = heard;
        // When the dashboard's change arrived over the socket: splits the latency into delivery and the
        // app's refetch and render.
        const Native = window.WebSocket;
        window.WebSocket = class extends Native {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            this.addEventListener('message', (e) => {
              const m = /"dashboardChanges":\{"taskId":"(\d+)"/.exec(String(e.data));
              if (m) heard[m[1]!] ??= Date.now();
            });
          }
        };
        new MutationObserver(() => {
          for (const row of document.querySelectorAll('tr[data-task]')) {
            const id = (row as HTMLElement).dataset.task!;
            seen[id] ??= Date.now();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto('/');
      await page
        .getByRole('status')
        .filter({ hasText: /^Live$/ })
        .waitFor({ timeout: 60_000 });
      viewers.push({ workerId: w.id, page });
    },
  );
  process.stdout.write(`${DASHBOARDS} dashboards open and live; ${CHANGES} changes follow.\n`);

  // --- Changes: an admin gives a waiting task to a worker; we wait until their dashboard shows it.
  const latencies: number[] = [];
  const deliveries: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const viewer = viewers[i % viewers.length]!;
    const taskId = taskIds[i]!;
    await app.lifecycle.assignTask(SYSTEM, { taskId, workerId: viewer.workerId });
    const committed = Date.now();
    const handle = await viewer.page.waitForFunction(
      (id) => (window as unknown as { __seen: Record<string, number> }).__seen[id],
      String(taskId),
      { polling: 'raf', timeout: 10_000 },
    );
    latencies.push((await handle.jsonValue()) - committed);
    const heardAt = await viewer.page.evaluate(
      (id) => (window as unknown as { __heard: Record<string, number> }).__heard[id] ?? NaN,
      String(taskId),
    );
    deliveries.push(heardAt - committed);
  }
  deliveries.sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const max = latencies[latencies.length - 1]!;

  const line = (s: string) => process.stdout.write(`${s}\n`);
  line('');
  line(`commit → visible on a dashboard (${CHANGES} changes, ${DASHBOARDS} dashboards open):`);
  line(
    `  p50 ${p50} ms   p95 ${p95} ms   max ${max} ms   (target p95 ≤ ${TARGET_P95_MS} ms: ${(p95 / TARGET_P95_MS).toFixed(2)} of it)`,
  );
  line(
    `  of which commit → change on the socket: p50 ${percentile(deliveries, 50)} ms   p95 ${percentile(deliveries, 95)} ms`,
  );
  line(
    `dashboard route JavaScript: ${gzipKb.toFixed(1)} KB gzipped (${rawKb.toFixed(1)} KB raw) in ${shipped.length} files`,
  );
  line(`  (target ≤ ${TARGET_JS_KB} KB: ${(gzipKb / TARGET_JS_KB).toFixed(2)} of it)`);
  for (const s of shipped.sort((a, b) => b.gzip - a.gzip).slice(0, 5)) {
    line(`    ${(s.gzip / 1024).toFixed(1).padStart(6)} KB  ${s.path}`);
  }
} finally {
  await browser.close();
  await http.close();
  await app.close();
  await embedded.stop();
}
