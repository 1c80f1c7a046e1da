// A database of one's own for a test file, cloned from the migrated template (see global-setup.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { makePool, type Database } from '../../server/db/database.js';
import { ensureDatabase } from '../../server/db/embedded.js';
import { openOrm } from '../../server/db/orm.js';

const TEMPLATE_DB = 'orchestra_test_template';

export function testDatabaseUrl(name: string): string {
  const u = new URL(inject('pgAdminUrl'));
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates and opens a fresh, migrated database; close() drops it. */
export async function createTestDatabase(): Promise<Database> {
  const adminUrl = inject('pgAdminUrl');
  const name = `orchestra_test_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(adminUrl, name, TEMPLATE_DB);
  const url = testDatabaseUrl(name);
  const orm = await openOrm(url, { pool: { min: 0, max: 30 } });
  const pool = makePool(url, 10);
  return {
    orm,
    pool,
    url,
    embedded: null,
    async close() {
      await orm.close(true);
      await pool.end();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
