// Fewer round trips per transaction: BEGIN rides on the transaction's first statement and the outbox's
// insert on its COMMIT. On these machines a round trip to PostgreSQL is dear (bench/cycle.ts profile: a
// socket write and a wake-up of the other process per statement, a quarter of the server's CPU), and
// a use case is BEGIN, a lock, a read, a write, its events and COMMIT: two of its six round trips carry
// no work of their own. PostgreSQL's simple query protocol runs several statements sent as one text, in
// order, stopping at the first error, so "BEGIN; <first statement>" and "<events>; COMMIT" each take one
// round trip. A statement sent that way carries its values as literals (exactly the text pg would send as
// the parameter, quoted: the same type inference as an untyped parameter). A prepared statement goes as
// `EXECUTE name('v1', …)`, which keeps its plan; the first time on a connection it is sent on its own,
// so that pg prepares it. Any other statement has its values written into its text.
//
// How: knex (under MikroORM) begins a transaction by sending BEGIN on its connection; here that BEGIN is
// kept pending on the connection instead, and `withCommit` adds a statement to the pending ones. Every
// statement sent on a connection with pending statements takes them along — in one text when it can,
// else just after them. COMMIT takes them along too; when only BEGIN is pending, nothing was done and
// COMMIT or ROLLBACK sends nothing. ROLLBACK drops what is pending. `together` sends several prepared
// statements in one text and returns each one's rows: a lock and the read after it (each statement of
// the text takes its own snapshot, so the read sees what the lock's last holder committed).
// MikroORM patches knex's query method the same way (@mikro-orm/knex AbstractSqlConnection); this is
// the one other place that reaches into knex (and reads pg's list of what it prepared on a connection);
// test/db/round-trips.test.ts pins its behaviour.
//
// The use cases' hot statements are prepared statements (`prepared`, `together`): em.execute inlines
// every value into the SQL text, so PostgreSQL parses and plans each statement anew; a named statement is
// parsed once per connection and its plan kept (bench/cycle.ts: the cycle's PostgreSQL CPU). Only for
// statements with a fixed number of parameters: the name is taken from the text, and an array expanded
// into one placeholder per element would give a new text for every length. They go straight to pg on the
// transaction's connection (or a connection of knex's pool), not through knex's query builder and runner:
// that path cost about 70 µs of CPU per statement more than pg's own (bench/overhead.ts).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { PostgreSqlExceptionConverter, type EntityManager, type Knex } from '@mikro-orm/postgresql';
import pg from 'pg';

const require = createRequire(import.meta.url);

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: Record<string, unknown>;
  response?: unknown;
}
type Connection = pg.Client & {
  [PENDING]?: string[];
  connection: { parsedStatements: Record<string, string> };
};
type QueryFn = (this: unknown, connection: Connection, obj: QueryObject) => Promise<QueryObject>;

const PENDING = Symbol('orchestra.pendingStatements');
const BEGIN = 'BEGIN';
const converter = new PostgreSqlExceptionConverter();
const utils = require('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown };

/** Each value as the literal of the text pg would send for it; null if one would go as binary. */
function literalsOf(values: readonly unknown[]): string[] | null {
  const literals: string[] = [];
  for (const value of values) {
    const text = utils.prepareValue(value);
    if (text === null) literals.push('NULL');
    else if (typeof text === 'string') literals.push(pg.escapeLiteral(text));
    else return null;
  }
  return literals;
}

/**
 * A prepared statement's run as SQL, `EXECUTE name('v1', …)`, when pg has prepared it on this
 * connection already (same name, same text): its plan is kept, only the values travel. Else null.
 */
function executeOf(connection: Connection, name: unknown, sql: string, values: readonly unknown[]): string | null {
  if (typeof name !== 'string' || connection.connection.parsedStatements[name] !== sql) return null;
  const literals = literalsOf(values);
  if (!literals) return null;
  return literals.length ? `EXECUTE ${name}(${literals.join(', ')})` : `EXECUTE ${name}`;
}

/**
 * A statement's text with its `$n` parameters written in as literals, or null when that cannot be done
 * safely: a value pg would send as binary (a Buffer), or a text this scanner does not fully understand
 * (comments, backslashes, dollar quotes, `$` within a name). Quoted strings and identifiers are skipped.
 */
export function inlineParameters(sql: string, values: readonly unknown[] = []): string | null {
  if (values.length === 0) return sql;
  if (/--|\/\*|\\/.test(sql)) return null;
  const literals = literalsOf(values);
  if (!literals) return null;
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      if (end < 0) return null;
      out += sql.slice(i, end + 1); // a doubled quote inside is two quoted runs side by side: same text
      i = end;
    } else if (c === '$') {
      if (/[\w$]/.test(sql[i - 1] ?? '')) return null; // part of an identifier (PostgreSQL allows a$1)
      const digits = /^\d+/.exec(sql.slice(i + 1))?.[0];
      if (!digits) return null; // a dollar-quoted string
      const literal = literals[Number(digits) - 1];
      if (literal === undefined) return null;
      out += literal;
      i += digits.length;
    } else out += c;
  }
  return out;
}

const isCommit = (sql: string) => /^\s*commit\b/i.test(sql);
const isRollback = (sql: string) => /^\s*rollback\b/i.test(sql);

async function simple(connection: Connection, statements: string[]): Promise<pg.QueryResult> {
  const result = (await connection.query(statements.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
  return Array.isArray(result) ? result[result.length - 1]! : result;
}

/** Statement texts that go out with the connection's next statement. */
function takePending(connection: Connection): string[] | undefined {
  const pending = connection[PENDING];
  delete connection[PENDING];
  return pending?.length ? pending : undefined;
}

function patchedQuery(original: QueryFn): QueryFn {
  return async function (this: unknown, connection, obj) {
    const pending = takePending(connection);
    if (!pending) return original.call(this, connection, obj);
    const began = pending[0] === BEGIN;
    if (isRollback(obj.sql)) {
      // Nothing of the transaction reached PostgreSQL when BEGIN is still pending: nothing to undo.
      if (began) return { ...obj, response: { command: 'ROLLBACK', rows: [], rowCount: null } };
      return original.call(this, connection, obj);
    }
    if (isCommit(obj.sql)) {
      if (began && pending.length === 1) return { ...obj, response: { command: 'COMMIT', rows: [], rowCount: null } };
      try {
        return { ...obj, response: await simple(connection, [...pending, 'COMMIT']) };
      } catch (error) {
        // A failed statement before COMMIT leaves the transaction open and aborted; end it here, as the
        // connection goes back to the pool (after a failed COMMIT itself this is a no-op with a warning).
        await connection.query('ROLLBACK').catch(() => {});
        // MikroORM converts a statement's error to its typed one (a deadlock, a violated constraint) but not
        // COMMIT's, which this one now is.
        throw converter.convertException(error as Error);
      }
    }
    // A statement through knex (em.execute, the unit of work's) has its values written in. (Prepared
    // statements do not come this way: `prepared` sends them itself.)
    const text = inlineParameters(obj.sql, obj.bindings);
    if (text === null) {
      await simple(connection, pending);
      return original.call(this, connection, obj);
    }
    const response = await connection.query({ ...obj.options, text: [...pending, text].join(';\n') } as pg.QueryConfig);
    obj.response = Array.isArray(response) ? response[response.length - 1] : response;
    return obj;
  };
}

/**
 * A prepared statement (`$n` text) on a connection, with the statements pending there: as EXECUTE in one
 * text with them once pg has prepared it on this connection; the first time, after them, on its own, so
 * that pg prepares it.
 */
async function sendPrepared(
  connection: Connection,
  name: string,
  text: string,
  values: readonly unknown[],
): Promise<pg.QueryResult> {
  const pending = takePending(connection);
  if (pending) {
    const execute = executeOf(connection, name, text, values);
    if (execute !== null) return simple(connection, [...pending, execute]);
    await simple(connection, pending);
  }
  return connection.query({ name, text, values: values as unknown[] });
}

let installed = false;

/** Installs the pending BEGIN (knex's PostgreSQL transactions) and the taking-along of pending statements. */
export function installRoundTrips(): void {
  if (installed) return;
  installed = true;
  const knexRequire = createRequire(require.resolve('@mikro-orm/knex'));
  const Client = knexRequire('knex/lib/dialects/postgres/index.js') as {
    prototype: { _query: QueryFn; releaseConnection(connection: Connection): Promise<void> };
  };
  const Transaction = knexRequire('knex/lib/dialects/postgres/execution/pg-transaction.js') as {
    prototype: { begin(conn: Connection): Promise<unknown>; isolationLevel?: string; readOnly?: boolean };
  };
  Client.prototype._query = patchedQuery(Client.prototype._query);
  // Every transaction ends in COMMIT or ROLLBACK, which take what is pending; should one not, what it
  // left must not ride on the next user's first statement (a BEGIN there would open a transaction).
  const release = Client.prototype.releaseConnection;
  Client.prototype.releaseConnection = function (this: unknown, connection: Connection) {
    delete connection[PENDING];
    return release.call(this, connection);
  };
  const begin = Transaction.prototype.begin;
  Transaction.prototype.begin = function (conn: Connection) {
    // A plain BEGIN only: with an isolation level or READ ONLY it is sent as knex sends it.
    if (this.isolationLevel || this.readOnly) return begin.call(this, conn);
    conn[PENDING] = [BEGIN];
    return Promise.resolve();
  };
}

const positionedTexts = new Map<string, string>();
/** A `?` statement's text as knex sends it (`$1`, `$2`, …): the text pg keeps for its prepared statement. */
function positioned(em: EntityManager, sql: string): string {
  let text = positionedTexts.get(sql);
  if (text === undefined) {
    text = em.getKnex().client.positionBindings(sql) as string;
    positionedTexts.set(sql, text);
  }
  return text;
}

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

/** Whether a statement's parameters fit a prepared statement (no arrays: see above). */
export const preparable = (params: readonly unknown[]): boolean => !params.some(Array.isArray);

/** The connection of the entity manager's transaction, or null outside one. */
async function transactionConnection(em: EntityManager): Promise<Connection | null> {
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (!trx) return null;
  return (trx as unknown as { client: { acquireConnection(): Promise<Connection> } }).client.acquireConnection();
}

/**
 * `fn` with the connection of the entity manager's transaction, or outside one with a connection of
 * knex's pool (released after). Errors become the ORM's typed ones (a deadlock, a unique violation), as
 * from em.execute, so `transact` treats them alike.
 */
async function onConnection<T>(em: EntityManager, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const own = await transactionConnection(em);
  const client = own
    ? null
    : (em.getKnex().client as {
        acquireConnection(): Promise<Connection>;
        releaseConnection(c: Connection): Promise<void>;
      });
  const connection = own ?? (await client!.acquireConnection());
  try {
    return await fn(connection);
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  } finally {
    if (client) await client.releaseConnection(connection);
  }
}

function checkParams(params: readonly unknown[]): void {
  if (!preparable(params)) throw new Error('prepared: an array parameter would change the text with its length');
  // knex refused these too: a forgotten value must not become a NULL.
  if (params.includes(undefined)) throw new Error('prepared: an undefined parameter');
}

/**
 * Runs `sql` (`?` placeholders, a fixed number of them) as a prepared statement, in the entity
 * manager's transaction if it has one (with what is pending there), and returns its rows.
 */
export async function prepared<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  checkParams(params);
  return onConnection(em, async (connection) => {
    const result = await sendPrepared(connection, nameOf(sql), positioned(em, sql), params);
    return result.rows as T[];
  });
}

/**
 * Runs `sql` (`?` placeholders) with the transaction's COMMIT (or with its next statement, if one comes
 * first), in one round trip, as EXECUTE, and answers null; without a transaction, or before pg has
 * prepared it on the transaction's connection, now, as a prepared statement, and answers its rows. For a
 * statement whose result the caller can do without: its errors surface from the COMMIT (or that next
 * statement), and fail the transaction all the same.
 */
export async function withCommit<T = unknown>(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<T[] | null> {
  checkParams(params);
  const connection = await transactionConnection(em);
  const text = connection && executeOf(connection, nameOf(sql), positioned(em, sql), params);
  if (connection && text) {
    (connection[PENDING] ??= []).push(text);
    return null;
  }
  return prepared<T>(em, sql, params); // the first time on this connection: pg prepares it
}

/** A statement of `together`: `?` placeholders, a fixed number of them (a prepared statement). */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

/**
 * Runs prepared statements one after the other in one round trip (with what is pending on the
 * transaction's connection: its BEGIN, queued statements) and returns each one's rows. Each is a
 * statement of its own: in READ COMMITTED each takes its own snapshot when it starts, so a read sent
 * after a lock sees what the lock's last holder committed, exactly as when it is sent after the lock's
 * answer. A failure stops the text there (the statements after it do not run) and throws the ORM's
 * typed error; the transaction is then aborted, as after any failed statement. Outside a transaction, or
 * before pg has prepared every one of them on the connection: one by one, as prepared statements (the
 * first takes what is pending along).
 */
export async function together(em: EntityManager, statements: readonly Statement[]): Promise<unknown[][]> {
  for (const s of statements) checkParams(s.params);
  const own = statements.length > 1 ? await transactionConnection(em) : null;
  const texts = own ? statements.map((s) => executeOf(own, nameOf(s.sql), positioned(em, s.sql), s.params)) : [];
  if (!own || texts.some((t) => t === null)) {
    const results: unknown[][] = [];
    for (const s of statements) results.push(await prepared(em, s.sql, s.params));
    return results;
  }
  return onConnection(em, async (connection) => {
    const sent = [...(takePending(connection) ?? []), ...(texts as string[])];
    const response = (await connection.query(sent.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
    const results = Array.isArray(response) ? response : [response];
    return results.slice(results.length - statements.length).map((r) => r.rows);
  });
}
