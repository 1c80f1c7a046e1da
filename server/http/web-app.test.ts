// When `npm start` rebuilds the worker app: the build missing, or older than any of its sources
// (the app's own files, its config, the lock file, a workflow's step UI).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webAppStaleness } from './web-app.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

/** A project folder with the app's sources and a build, every file `ageSeconds` old. */
function project(): { root: string; touch(rel: string, secondsAgo: number): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-webapp-'));
  roots.push(root);
  const touch = (rel: string, secondsAgo: number) => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    const t = new Date(Date.now() - secondsAgo * 1000);
    fs.utimesSync(file, t, t);
    // Directories' own times follow their newest change: set them old, so only files decide.
    for (let dir = path.dirname(file); dir.startsWith(root) && dir !== root; dir = path.dirname(dir)) {
      fs.utimesSync(dir, new Date(0), new Date(0));
    }
  };
  for (const f of ['client/src/routes/+page.svelte', 'client/svelte.config.js', 'package-lock.json']) touch(f, 100);
  touch('workflows/demo/ui/Step.svelte', 100);
  touch('workflows/demo/workflow.ts', 100);
  return { root, touch };
}

describe('web app staleness', () => {
  it('asks for a build when there is none', () => {
    expect(webAppStaleness(project().root)).toBe('client/build is missing');
  });

  it('is up to date when the build is newer than every source', () => {
    const p = project();
    p.touch('client/build/handler.js', 10);
    expect(webAppStaleness(p.root)).toBeNull();
  });

  it.each([
    'client/src/routes/+page.svelte',
    'client/svelte.config.js',
    'package-lock.json',
    'workflows/demo/ui/Step.svelte',
  ])('is stale when %s changed after the build', (changed) => {
    const p = project();
    p.touch('client/build/handler.js', 10);
    p.touch(changed, 1);
    expect(webAppStaleness(p.root)).toBe('client/build is older than its sources');
  });

  it('does not rebuild for a change the app does not contain (a workflow definition)', () => {
    const p = project();
    p.touch('client/build/handler.js', 10);
    p.touch('workflows/demo/workflow.ts', 1);
    expect(webAppStaleness(p.root)).toBeNull();
  });
});
