// ORCHESTRA_DB_POOL_SIZE: a process's ORM holds at most that many connections. Use cases beyond it wait
// their turn in the process (and all complete), instead of crowding PostgreSQL's cores; the default is
// twice the cores and two more (bench/cycle.ts at 32 clients: see defaultPoolSize).
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { startOrchestra, type Orchestra } from '../../server/app.js';
import { ConfigError, defaultPoolSize, loadConfig } from '../../server/config.js';
import type { Database } from '../../server/db/database.js';
import { SYSTEM } from '../../server/kernel/actor.js';
import { transact } from '../../server/lifecycle/transaction.js';
import { createTestDatabase } from '../support/db.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

let db: Database | null = null;
let app: Orchestra | null = null;
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('the ORM pool size', () => {
  it('defaults to twice the cores and two more; ORCHESTRA_DB_POOL_SIZE sets it, and nonsense is refused', () => {
    expect(loadConfig({}).dbPoolSize).toBe(2 * os.availableParallelism() + 2);
    expect(defaultPoolSize(2)).toBe(6);
    expect(loadConfig({ ORCHESTRA_DB_POOL_SIZE: '3' }).dbPoolSize).toBe(3);
    for (const bad of ['0', '-1', 'many', '2.5'])
      expect(() => loadConfig({ ORCHESTRA_DB_POOL_SIZE: bad })).toThrow(ConfigError);
  });

  it('with 2, six use cases at once run two at a time in PostgreSQL, and all of them complete', async () => {
    db = await createTestDatabase();
    const config = loadConfig(
      { ...process.env, ORCHESTRA_DB_POOL_SIZE: '2' },
      { databaseUrl: db.url, jobs: { ...loadConfig().jobs, inProcess: false } },
    );
    app = await startOrchestra({ config, definitions: [reviewWorkflow], jobs: false });
    const MARK = 'pool_size_probe';
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await db!.pool.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
            where datname = current_database() and state = 'active' and query like '%${MARK}%' and pid <> pg_backend_pid()`,
        );
        peak = Math.max(peak, rows[0]!.n);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        transact(app!.engine, SYSTEM, async (tx) => {
          await tx.em.execute(`select pg_sleep(0.15), '${MARK}'`);
          return i;
        }),
      ),
    );
    const elapsed = Date.now() - started;
    sampling = false;
    await sampler;
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 150 - 20); // three turns of two
  });
});
