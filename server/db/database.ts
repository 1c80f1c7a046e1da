// Opens Orchestra's database: the embedded PostgreSQL unless DATABASE_URL is set, MikroORM on
// top, our migrations and graphile-worker's schema applied, and a plain pg pool for the job queue.
import path from 'node:path';
import pg from 'pg';
import { Logger, runMigrations } from 'graphile-worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { migrate, openOrm } from './orm.js';
import { logRateLimited } from '../log.js';

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

export interface OpenOptions {
  migrate?: boolean;
  log?: (m: string) => void;
  /** The embedded PostgreSQL: a `server` owns its folder; a `command` uses a running server's (embedded.ts). */
  role?: 'server' | 'command';
  /** The embedded PostgreSQL died and could not be started again. */
  onFatal?: (error: Error) => void;
}

export async function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  let embedded: EmbeddedServer | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'), config.embeddedPgPort, {
      role: options.role ?? 'command',
      say: options.log,
      onFatal: options.onFatal,
    });
    await ensureDatabase(embedded.url('postgres'), 'orchestra');
    url = embedded.url('orchestra');
    const where = `${path.relative(process.cwd(), config.dataDir) || '.'}/pg`;
    options.log?.(
      embedded.attached
        ? `Using the embedded PostgreSQL of the Orchestra already running (data in ${where})`
        : `Embedded PostgreSQL on 127.0.0.1:${config.embeddedPgPort} (data in ${where})`,
    );
  }
  const orm = await openOrm(url, { pool: { min: 0, max: config.dbPoolSize } });
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
  // The queue retries on its own while the database is away: one line per kind of trouble, not one per poll.
  if (level === 'error' || level === 'warning') logRateLimited(`jobs:${message.slice(0, 40)}`, `[jobs] ${message}`);
});
