// Records the SQL statements the ORM's connections send while `fn` runs (the server runs in the test
// process). Only the ORM's (knex) pool counts: not the relay's LISTEN or the job queue's connections.
import pg from 'pg';

export async function recordOrmStatements<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client & { __knexUid?: string }, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    if (this.__knexUid) sql.push(typeof first === 'string' ? first : (first?.text ?? String(first)));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await fn(), sql };
  } finally {
    pg.Client.prototype.query = original;
  }
}
