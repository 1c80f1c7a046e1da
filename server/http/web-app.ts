// The worker app (client/, SvelteKit) as the HTTP server mounts it: adapter-node's handler from
// client/build, given every request that is not the API, GraphiQL or health. `npm start` builds the
// app first when the build is missing or older than its sources (the app, its config, step UIs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../config.js';
import type { FallbackHandler } from './server.js';

const CLIENT = path.join(PROJECT_ROOT, 'client');
const HANDLER = path.join(CLIENT, 'build', 'handler.js');

/** What the build is made of: a change to any of these makes the build stale. */
const sources = (root: string) => [
  path.join(root, 'client', 'src'),
  path.join(root, 'client', 'svelte.config.js'),
  path.join(root, 'client', 'vite.config.ts'),
  path.join(root, 'client', 'package.json'),
  path.join(root, 'package-lock.json'),
];

function newestUnder(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(file)) newest = Math.max(newest, newestUnder(path.join(file, entry)));
  return newest;
}

/** Why the app must be built now, or null when client/build is up to date. */
export function webAppStaleness(root = PROJECT_ROOT): string | null {
  const handler = path.join(root, 'client', 'build', 'handler.js');
  if (!fs.existsSync(handler)) return 'client/build is missing';
  const built = fs.statSync(handler).mtimeMs;
  const workflowsDir = path.join(root, 'workflows');
  const stepUis = fs.existsSync(workflowsDir)
    ? fs.readdirSync(workflowsDir).map((slug) => path.join(workflowsDir, slug, 'ui'))
    : [];
  const newest = Math.max(...[...sources(root), ...stepUis].map(newestUnder));
  return newest > built ? 'client/build is older than its sources' : null;
}

/** Runs `vite build` in client/ (what `npm run build` does); rejects with vite's output when it fails. */
export async function buildWebApp(): Promise<void> {
  const require = createRequire(import.meta.url);
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: CLIENT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`Building the worker app failed (vite build):\n${output}`)),
    );
  });
}

/** Builds the app when it is stale, saying so; resolves when client/build is up to date. */
export async function ensureWebApp(say: (message: string) => void): Promise<void> {
  const stale = webAppStaleness();
  if (!stale) return;
  const started = Date.now();
  say(`Building the worker app (${stale})…`);
  await buildWebApp();
  say(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

type NodeHandler = (req: Parameters<FallbackHandler>[0], res: Parameters<FallbackHandler>[1], next: () => void) => void;

/** The app's request handler, or null when it has not been built. */
export async function loadWebApp(): Promise<FallbackHandler | null> {
  if (!fs.existsSync(HANDLER)) return null;
  const { handler } = (await import(pathToFileURL(HANDLER).href)) as { handler: NodeHandler };
  return (req, res) =>
    handler(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found');
    });
}
