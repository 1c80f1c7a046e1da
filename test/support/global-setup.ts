// Starts one PostgreSQL for the whole run (embedded unless DATABASE_URL is set) and prepares a
// migrated template database; every test file then clones its own database from it (fast, isolated).
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from 'graphile-worker';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../server/config.js';
import { makePool, silentLogger } from '../../server/db/database.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from '../../server/db/embedded.js';
import { migrate, openOrm } from '../../server/db/orm.js';
import { ensureWebApp } from '../../server/http/web-app.js';
import { chromiumPath } from './chromium.js';

export const TEMPLATE_DB = 'orchestra_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  // The worker app, built once for the run when its sources changed (browser tests and `serve` use it).
  await ensureWebApp((line) => process.stdout.write(`${line}\n`));
  const chromium = chromiumPath();
  if (!chromium.path) process.stdout.write(`Browser tests skipped: ${chromium.why}\n`);
  let embedded: EmbeddedServer | null = null;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    // One server per port: concurrent test runs (e.g. several developers' shells) use different ports.
    const port = Number(process.env.ORCHESTRA_TEST_PG_PORT ?? 54339);
    embedded = await startEmbeddedPostgres(path.join(PROJECT_ROOT, '.data', `test-pg-${port}`), port, { fast: true });
    adminUrl = embedded.url('postgres');
  }

  // Fresh template each run: drop what earlier runs left, then migrate.
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname like 'orchestra_test_%'`,
  );
  for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.end();
  await ensureDatabase(adminUrl, TEMPLATE_DB);
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
  const orm = await openOrm(templateUrl);
  await migrate(orm);
  await orm.close(true);
  const pool = makePool(templateUrl, 2);
  await runMigrations({ pgPool: pool, logger: silentLogger });
  await pool.end();

  project.provide('pgAdminUrl', adminUrl);
  return async () => {
    await embedded?.stop();
  };
}
