// The server's compiled build: every TypeScript file of server/, migrations/, seeds/ and workflows/
// (tests left out) compiled once to dist/ (same tree, `.js`, inline source maps), by the same swc
// transform and tsconfig that `node --import @swc-node/register/esm-register` applies on the fly — so
// the build runs exactly the code the tests run, without compiling ~150 files on every start.
// Plain JavaScript: it has to run before anything is compiled.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
/** Written last: its time is the build's, its content the list of compiled files. */
const STAMP = path.join(DIST, '.build.json');
const SOURCE_DIRS = ['server', 'migrations', 'seeds', 'workflows'];
/** What else changes the output: the compiler's settings and versions, and this file. */
const INPUTS = ['tsconfig.json', 'package-lock.json', 'bin/build.js'];

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');
const SKIP = new Set(['node_modules', 'ui', 'public']); // step UIs are the app's (vite), not the server's

/** Every source file, relative to the project root. */
function sources() {
  const found = [];
  const walk = (rel) => {
    const abs = path.join(ROOT, rel);
    if (!fs.existsSync(abs)) return;
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name) && !entry.name.startsWith('.')) walk(child);
      } else if (isSource(entry.name)) found.push(child);
    }
  };
  SOURCE_DIRS.forEach(walk);
  return found.sort();
}

/** Why dist/ must be built now, or null when it is up to date. */
export function serverStaleness() {
  if (!fs.existsSync(STAMP)) return 'dist/ is missing';
  const built = fs.statSync(STAMP).mtimeMs;
  let previous;
  try {
    previous = JSON.parse(fs.readFileSync(STAMP, 'utf8')).files;
  } catch {
    return 'dist/ is incomplete';
  }
  const files = sources();
  if (files.join('\n') !== previous.join('\n')) return 'source files were added or removed';
  for (const file of [...files, ...INPUTS]) {
    const abs = path.join(ROOT, file);
    if (fs.existsSync(abs) && fs.statSync(abs).mtimeMs > built) return `${file} changed`;
  }
  return null;
}

/**
 * Compiles into a fresh folder and swaps it in whole: a process starting meanwhile (or a second build
 * racing this one) sees the old build or the new one, never half of each.
 */
export async function buildServer() {
  const require = createRequire(import.meta.url);
  const ts = require('typescript');
  const { readDefaultTsConfig } = require('@swc-node/register/read-default-tsconfig');
  const { compile } = require('@swc-node/register/register');
  const tsconfig = readDefaultTsConfig(path.join(ROOT, 'tsconfig.json'));
  tsconfig.module = ts.ModuleKind.ESNext; // as swc-node's ESM loader sets it

  const files = sources();
  const staging = `${DIST}.building-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  await Promise.all(
    files.map(async (file) => {
      const abs = path.join(ROOT, file);
      const code = await compile(fs.readFileSync(abs, 'utf8'), abs, { ...tsconfig }, true);
      const out = path.join(staging, file.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, code);
    }),
  );
  // Relative imports that leave the tree (../node_modules, package.json) resolve from dist/ as from the root.
  fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ type: 'module', private: true }) + '\n');
  fs.writeFileSync(path.join(staging, '.build.json'), JSON.stringify({ files }) + '\n');
  const old = `${DIST}.old-${process.pid}`;
  try {
    fs.renameSync(DIST, old);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  try {
    fs.renameSync(staging, DIST);
  } catch (error) {
    // Another build swapped its own in between: the same sources, as fresh as ours.
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    fs.rmSync(staging, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return files.length;
}

/** Builds when stale, saying so; resolves when dist/ is up to date. */
export async function ensureServerBuild(say) {
  const stale = serverStaleness();
  if (!stale) return;
  const started = Date.now();
  say(`Building the server (${stale})…`);
  const count = await buildServer();
  say(`Built the server: ${count} files compiled to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await ensureServerBuild((m) => process.stdout.write(`${m}\n`));
}
