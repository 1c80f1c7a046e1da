// The use cases' hot statements as prepared statements on their transaction's connection. em.execute
// inlines every value into the SQL text, so PostgreSQL parses and plans each statement anew; a named
// statement is parsed once per connection and its plan kept (bench/cycle.ts: the cycle's PostgreSQL
// CPU). Only for statements with a fixed number of parameters: the name is taken from the text, and an
// array expanded into one placeholder per element would give a new text for every length.
import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';

const names = new Map<string, string>();

/** A statement's name: the same text always has the same name, on every connection. */
export function nameOf(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `orchestra_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    names.set(sql, name);
  }
  return name;
}

/**
 * Runs `sql` (`?` placeholders, a fixed number of them) as a prepared statement, in the entity manager's
 * transaction if it has one, and returns its rows, as pg returns them. Errors are the ORM's typed ones (a deadlock, a unique
 * violation), as from em.execute, so `transact` treats them alike.
 */
export async function prepared<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  if (!preparable(params)) throw new Error('prepared: an array parameter would change the text with its length');
  const trx = em.getTransactionContext<Knex.Transaction>();
  const knex = em.getConnection().getKnex();
  const query = knex.raw(sql, params as Knex.RawBinding[]).options({ name: nameOf(sql) });
  if (trx) query.transacting(trx);
  try {
    const result = (await query) as { rows: T[] };
    return result.rows;
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  }
}

/** Whether a statement's parameters fit a prepared statement (no arrays: see above). */
export const preparable = (params: readonly unknown[]): boolean => !params.some(Array.isArray);
