// Opens Orchestra's database: the embedded PostgreSQL unless DATABASE_URL is set, MikroORM on
// top, our migrations and graphile-worker's schema applied, and a plain pg pool for the job queue.
import path from 'node:path';
import pg from 'pg';
import { Logger, runMigrations } from 'graphile-worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { migrate, openOrm } from './orm.js';

export interface Database {
  orm: MikroORM;
  /** For graphile-worker and LISTEN/NOTIFY: connections that MikroORM does not manage. */
  pool: pg.Pool;
  url: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

export function makePool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client's connection dropping (e.g. server shutdown) must not crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export async function openDatabase(
  config: Config,
  options: { migrate?: boolean; log?: (m: string) => void } = {},
): Promise<Database> {
  let embedded: EmbeddedServer | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'), config.embeddedPgPort);
    await ensureDatabase(embedded.url('postgres'), 'orchestra');
    url = embedded.url('orchestra');
    options.log?.(
      `Embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort} (data in ${path.relative(process.cwd(), config.dataDir) || '.'}/pg)`,
    );
  }
  const orm = await openOrm(url);
  const pool = makePool(url);
  if (options.migrate !== false) {
    await migrate(orm);
    await runMigrations({ pgPool: pool, logger: silentLogger });
  }
  return {
    orm,
    pool,
    url,
    embedded,
    async close() {
      await orm.close(true);
      await pool.end();
      await embedded?.stop();
    },
  };
}

/** graphile-worker logs every job at info level; keep warnings and errors only. */
export const silentLogger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`[jobs] ${message}\n`);
});
