// Records the SQL statements the ORM's connections send while `fn` runs (the server runs in the test
// process). Only the ORM's (knex) pool counts: not the relay's LISTEN or the job queue's connections.
import pg from 'pg';

export interface SentQuery {
  text: string;
  values?: unknown[];
  /** A prepared statement's name. */
  name?: string;
}

/** Every query the ORM's connections send while `fn` runs (one round trip each): text, values, name. */
export async function recordOrmQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: SentQuery[] }> {
  const queries: SentQuery[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client & { __knexUid?: string }, ...args: unknown[]) {
    const first = args[0] as string | SentQuery;
    if (this.__knexUid) queries.push(typeof first === 'string' ? { text: first } : first);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await fn(), queries };
  } finally {
    pg.Client.prototype.query = original;
  }
}

export async function recordOrmStatements<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const { result, queries } = await recordOrmQueries(fn);
  return { result, sql: queries.map((q) => q.text ?? String(q)) };
}
