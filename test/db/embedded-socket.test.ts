// The embedded PostgreSQL is reached through its Unix socket (server/db/embedded.ts: less CPU per
// statement on both ends than TCP on 127.0.0.1), by every kind of connection Orchestra opens: the ORM's,
// the prepared statements' (straight to pg on a pooled connection) and the job queue's pool. It still
// listens on 127.0.0.1 for other tools. The suite's PostgreSQL is an embedded one unless DATABASE_URL
// names another, whose address is its own business.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.js';
import { prepared } from '../../server/db/round-trips.js';
import { createTestDatabase } from '../support/db.js';

const ADDRESS = 'select inet_server_addr() as addr';
type Address = { addr: string | null };

let db: Database;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});

describe.skipIf(!!process.env.DATABASE_URL)('the embedded PostgreSQL', () => {
  it('is reached through its Unix socket by the ORM, the prepared statements and the job pool', async () => {
    expect(db.url).toMatch(/^postgres:\/\/[^@]+@%2Ftmp:\d+\//);
    // inet_server_addr() is null on a Unix-socket connection, the address on a TCP one.
    const em = db.orm.em.fork();
    expect(await em.execute<Address[]>(ADDRESS)).toEqual([{ addr: null }]);
    expect(await prepared<Address>(em, ADDRESS, [])).toEqual([{ addr: null }]);
    expect((await db.pool.query<Address>(ADDRESS)).rows).toEqual([{ addr: null }]);
  });

  it('still answers on 127.0.0.1 for other tools', async () => {
    const client = new pg.Client({ connectionString: db.url.replace('%2Ftmp', '127.0.0.1') });
    await client.connect();
    try {
      expect((await client.query<Address>(ADDRESS)).rows).toEqual([{ addr: '127.0.0.1' }]);
    } finally {
      await client.end();
    }
  });
});
