// The compiled build, as `npm start` meets it: in a copy of the project, the first `orchestra` command
// builds dist/ and says why; the next runs from it without building; changing, adding or removing a
// source rebuilds; and what runs is the compiled code (dist/server/…), not the TypeScript.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-build-'));
  for (const entry of ['bin', 'server', 'migrations', 'seeds', 'workflows'])
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json'])
    fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(root, file));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const orchestra = (...args: string[]) => {
  const run = spawnSync(process.execPath, ['bin/orchestra.js', ...args], { cwd: root, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
};

describe('the compiled build (bin/build.js)', { timeout: 120_000 }, () => {
  it('is built when missing or stale, says so, and is what runs', () => {
    const first = orchestra('--help');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Building the server (dist/ is missing)…');
    expect(first.stderr).toMatch(/Built the server: \d+ files compiled to dist\/ in [\d.]+ s\./);
    expect(first.stdout).toContain('Usage: orchestra');
    expect(fs.existsSync(path.join(root, 'dist', 'server', 'cli.js'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'workflows', 'journalism', 'workflow.js'))).toBe(true);
    // Tests are not part of it.
    expect(fs.readdirSync(path.join(root, 'dist', 'server', 'lifecycle')).some((f) => f.includes('.test.'))).toBe(
      false,
    );

    const second = orchestra('--help');
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('Building');

    // A changed source: rebuilt, and the change is what runs.
    const cli = path.join(root, 'server', 'cli.ts');
    fs.writeFileSync(
      cli,
      fs.readFileSync(cli, 'utf8').replace('Orchestra: workflows of human experts and machines.', 'Rebuilt build.'),
    );
    const later = new Date(Date.now() + 2000);
    fs.utimesSync(cli, later, later);
    const third = orchestra('--help');
    expect(third.stderr).toContain('Building the server (server/cli.ts changed)…');
    expect(third.stdout).toContain('Rebuilt build.');

    // A removed source is noticed too (its compiled copy goes with the rebuild).
    fs.rmSync(path.join(root, 'server', 'demo', 'report.ts'));
    const fourth = orchestra('--help');
    expect(fourth.stderr).toContain('Building the server (source files were added or removed)…');
    expect(fs.existsSync(path.join(root, 'dist', 'server', 'demo', 'report.js'))).toBe(false);
  });
});
