// A transaction's BEGIN rides on its first statement and the outbox's insert on its COMMIT
// (server/db/round-trips.ts). What must not change with it: what a transaction does, what it leaves
// behind when it fails, the errors it gives, and the connection it hands back to the pool.
import {
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
  type EntityManager,
  type MikroORM,
} from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.js';
import { together, withCommit } from '../../server/db/round-trips.js';
import { nameOf, prepared } from '../../server/db/round-trips.js';
import { openOrm } from '../../server/db/orm.js';
import { createTestDatabase } from '../support/db.js';
import { recordOrmQueries } from '../support/sql-count.js';

let db: Database;
let orm: MikroORM; // one connection: whether pg has prepared a statement on it is known to each test
beforeAll(async () => {
  db = await createTestDatabase();
  orm = await openOrm(db.url, { pool: { min: 1, max: 1 } });
  await db.pool.query('create table rt_item (id int primary key, note text)');
  await db.pool.query('create table rt_child (id int primary key, item_id int not null references rt_item (id))');
});
afterAll(async () => {
  await orm.close(true);
  await db.close();
});

/** Every text the ORM's connections send while `fn` runs (what PostgreSQL receives, one round trip each). */
const sent = async (fn: () => Promise<unknown>): Promise<string[]> =>
  (await recordOrmQueries(fn)).queries.map((q) => q.text.replace(/\s+/g, ' '));

const inTransaction = <T>(fn: (em: EntityManager) => Promise<T>): Promise<T> =>
  orm.em.fork().transactional((em) => fn(em as EntityManager));
const ADD_ITEM = 'insert into rt_item (id, note) values (?, ?)';
const ADD_CHILD = 'insert into rt_child (id, item_id) values (?, ?)';
const items = async () => (await db.pool.query('select id, note from rt_item order by id')).rows;
const reset = () => db.pool.query('truncate rt_child, rt_item');

/** The ORM's connections to this database that are inside a transaction: none once every use case is done. */
async function connectionsInTransaction(): Promise<string[]> {
  const { rows } = await db.pool.query<{ state: string }>(
    `select state from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
        and state like 'idle in transaction%'`,
  );
  return rows.map((r) => r.state);
}

describe('BEGIN with the first statement', () => {
  it('sends BEGIN and the first statement as one text, its values written in; the later ones as they are', async () => {
    await reset();
    const texts = await sent(() =>
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'one']);
        await prepared(em, ADD_ITEM, [2, 'two']);
      }),
    );
    expect(texts).toEqual([
      "BEGIN; insert into rt_item (id, note) values (1, 'one')",
      'insert into rt_item (id, note) values ($1, $2)',
      'COMMIT;',
    ]);
    expect(await items()).toEqual([
      { id: 1, note: 'one' },
      { id: 2, note: 'two' },
    ]);
  });

  it('sends a prepared first statement on its own the first time on a connection, then as EXECUTE with BEGIN', async () => {
    await reset();
    const sql = 'insert into rt_item (id, note) values (?, ?) returning id';
    const first = await sent(() => inTransaction((em) => prepared(em, sql, [1, 'one'])));
    expect(first).toEqual(['BEGIN', 'insert into rt_item (id, note) values ($1, $2) returning id', 'COMMIT;']);
    let rows: unknown;
    const later = await sent(async () => (rows = await inTransaction((em) => prepared(em, sql, [2, "it's"]))));
    expect(later).toEqual([`BEGIN; EXECUTE ${nameOf(sql)}('2', 'it''s')`, 'COMMIT;']);
    expect(rows).toEqual([{ id: 2 }]); // the rows of the statement, as prepared it returns them
    expect(await items()).toEqual([
      { id: 1, note: 'one' },
      { id: 2, note: "it's" },
    ]);
  });

  it('sends nothing at all for a transaction that ran no statement, committed or failed', async () => {
    expect(await sent(() => inTransaction(async () => 'nothing'))).toEqual([]);
    const refused = new Error('refused before any statement');
    let texts: string[] = [];
    await expect(
      (async () => {
        texts = await sent(() =>
          inTransaction(async () => {
            throw refused;
          }),
        );
      })(),
    ).rejects.toBe(refused);
    expect(texts).toEqual([]);
    expect(await connectionsInTransaction()).toEqual([]);
  });

  it('rolls back what the first statement did when the transaction fails after it', async () => {
    await reset();
    const failed = new Error('after the first statement');
    await expect(
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'kept?']);
        throw failed;
      }),
    ).rejects.toBe(failed);
    expect(await items()).toEqual([]);
    expect(await connectionsInTransaction()).toEqual([]);
  });

  it('gives the ORM’s typed error when the first statement fails, and hands back a clean connection', async () => {
    await reset();
    await db.pool.query(`insert into rt_item values (1, 'there')`);
    await expect(inTransaction((em) => em.execute(ADD_ITEM, [1, 'again']))).rejects.toBeInstanceOf(
      UniqueConstraintViolationException,
    );
    expect(await connectionsInTransaction()).toEqual([]);
    // Every pooled connection still works (none was left in an aborted transaction).
    await Promise.all(Array.from({ length: 8 }, () => inTransaction((em) => em.execute('select 1 as one')))).then(
      (all) => expect(all.flat()).toEqual(Array.from({ length: 8 }, () => ({ one: 1 }))),
    );
  });

  it('writes values in exactly as a parameter would carry them, quotes, backslashes and SQL inside included', async () => {
    const values = [
      "it's",
      "'); drop table rt_item; --",
      "back\\slash \\' quote",
      '$1 $$ dollar',
      'line\nbreak',
      '',
      null,
      42,
      -1.5,
      true,
      new Date('2026-12-02T10:11:12.345Z'),
      { json: "o'k", nested: ['\\', '"'] },
    ];
    const sql = `select ${values.map(() => '?::text').join(', ')}, 'a $1 in a string' as lit, 1 as "$2"`;
    const viaParameters = await inTransaction(async (em) => {
      await em.execute('select 1'); // takes the BEGIN: what follows is sent with its values apart
      return prepared(em, sql, values);
    });
    const results: unknown[] = [];
    const texts = await sent(async () => {
      // Through knex with its bindings: written into the text here (em.execute formats values itself).
      results.push(
        await inTransaction(async (em) => {
          const knex = em.getKnex().raw(sql, values as never[]);
          return ((await knex.transacting(em.getTransactionContext()!)) as { rows: unknown[] }).rows;
        }),
      );
      results.push(await inTransaction((em) => prepared(em, sql, values))); // EXECUTE with literals
    });
    expect(texts.filter((t) => t.startsWith('BEGIN; ')).map((t) => t.split(' ')[1])).toEqual(['select', 'EXECUTE']);
    expect(results).toEqual([viaParameters, viaParameters]);
    expect((viaParameters as Record<string, unknown>[])[0]).toMatchObject({ lit: 'a $1 in a string', $2: 1 });
    expect(await db.pool.query(`select to_regclass('rt_item') as t`).then((r) => r.rows[0].t)).toBe('rt_item');
  });

  it('keeps an isolation level: that BEGIN is sent as knex sends it', async () => {
    const texts = await sent(() =>
      db.orm.em.fork().transactional((em) => em.execute('select 1'), { isolationLevel: 'repeatable read' as never }),
    );
    expect(texts[0]).toMatch(/^BEGIN TRANSACTION ISOLATION LEVEL repeatable read/i);
    expect(texts).toHaveLength(3);
  });
});

describe('a statement with the COMMIT', () => {
  /** Prepares ADD_CHILD on the connection: a withCommit statement waits for COMMIT once pg has it. */
  const prepareChild = () =>
    inTransaction(async (em) => {
      await em.execute(ADD_ITEM, [99, 'warm-up']);
      await withCommit(em, ADD_CHILD, [99, 99]);
    }).then(reset);

  it('runs at once, prepared, the first time on a connection', async () => {
    await reset();
    const texts = await sent(() =>
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'first']);
        await withCommit(em, 'insert into rt_child (item_id, id) values (?, ?)', [1, 10]);
      }),
    );
    expect(texts).toEqual([
      "BEGIN; insert into rt_item (id, note) values (1, 'first')",
      'insert into rt_child (item_id, id) values ($1, $2)',
      'COMMIT;',
    ]);
    expect((await db.pool.query('select id, item_id from rt_child')).rows).toEqual([{ id: 10, item_id: 1 }]);
  });

  it('then goes in one text with COMMIT, last, as EXECUTE, and is committed with the rest', async () => {
    await prepareChild();
    const texts = await sent(() =>
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'first']);
        await withCommit(em, ADD_CHILD, [10, 1]);
      }),
    );
    expect(texts).toEqual([
      "BEGIN; insert into rt_item (id, note) values (1, 'first')",
      `EXECUTE ${nameOf(ADD_CHILD)}('10', '1'); COMMIT`,
    ]);
    expect((await db.pool.query('select id, item_id from rt_child')).rows).toEqual([{ id: 10, item_id: 1 }]);
  });

  it('is taken along, in order, by a statement that comes after it', async () => {
    await prepareChild();
    const texts = await sent(() =>
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'first']);
        await withCommit(em, ADD_CHILD, [10, 1]);
        // Reads its row: it was sent first.
        expect(await em.execute('select count(*)::int as n from rt_child')).toEqual([{ n: 1 }]);
      }),
    );
    expect(texts).toEqual([
      "BEGIN; insert into rt_item (id, note) values (1, 'first')",
      `EXECUTE ${nameOf(ADD_CHILD)}('10', '1'); select count(*)::int as n from rt_child`,
      'COMMIT;',
    ]);
  });

  it('is dropped when the transaction fails before its COMMIT', async () => {
    await prepareChild();
    const failed = new Error('after it was queued');
    await expect(
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'first']);
        await withCommit(em, ADD_CHILD, [10, 1]);
        throw failed;
      }),
    ).rejects.toBe(failed);
    expect(await items()).toEqual([]);
    expect((await db.pool.query('select * from rt_child')).rows).toEqual([]);
    expect(await connectionsInTransaction()).toEqual([]);
  });

  it('fails the whole transaction with the ORM’s typed error when it fails at COMMIT, and leaves nothing', async () => {
    await prepareChild();
    await expect(
      inTransaction(async (em) => {
        await em.execute(ADD_ITEM, [1, 'first']);
        await withCommit(em, ADD_CHILD, [10, 999]); // no such item: fails in the text that carries COMMIT
      }),
    ).rejects.toBeInstanceOf(ForeignKeyConstraintViolationException);
    expect(await items()).toEqual([]);
    expect(await connectionsInTransaction()).toEqual([]);
    expect(await inTransaction((em) => em.execute('select 1 as one'))).toEqual([{ one: 1 }]);
  });

  it('runs at once, prepared, outside a transaction', async () => {
    await reset();
    await db.pool.query(`insert into rt_item values (1, 'there')`);
    const texts = await sent(() => withCommit(orm.em.fork(), ADD_CHILD, [11, 1]));
    expect(texts).toEqual(['insert into rt_child (id, item_id) values ($1, $2)']);
    expect((await db.pool.query('select id from rt_child')).rows).toEqual([{ id: 11 }]);
  });
});

describe('statements together', () => {
  const LOCK = 'select id, note from rt_item where id = ? for update';
  const READ = 'select count(*)::int as n, max(note) as note from rt_item where id >= ?';
  const both = (em: EntityManager, id: number) =>
    together(em, [
      { sql: LOCK, params: [id] },
      { sql: READ, params: [id] },
    ]);

  it('go one by one, prepared, the first time on a connection; then in one text with BEGIN, each one’s rows apart', async () => {
    await reset();
    await db.pool.query(`insert into rt_item values (1, 'one'), (2, 'two')`);
    const first = await sent(() => inTransaction((em) => both(em, 1)));
    expect(first).toEqual([
      'BEGIN',
      'select id, note from rt_item where id = $1 for update',
      'select count(*)::int as n, max(note) as note from rt_item where id >= $1',
      'COMMIT;',
    ]);
    let rows: unknown;
    const later = await sent(async () => (rows = await inTransaction((em) => both(em, 2))));
    expect(later).toEqual([`BEGIN; EXECUTE ${nameOf(LOCK)}('2'); EXECUTE ${nameOf(READ)}('2')`, 'COMMIT;']);
    expect(rows).toEqual([[{ id: 2, note: 'two' }], [{ n: 1, note: 'two' }]]);
  });

  it('read after the lock what its last holder committed while they waited for it', async () => {
    await reset();
    await db.pool.query(`insert into rt_item values (1, 'before')`);
    await inTransaction((em) => both(em, 1)); // prepared on the connection: the next call goes as one text
    const holder = await db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query(`update rt_item set note = 'after' where id = 1`);
      let texts: string[] = [];
      const waiting = (async () => {
        let rows: unknown;
        texts = await sent(async () => (rows = await inTransaction((em) => both(em, 1))));
        return rows;
      })();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the text waits on the lock
      await holder.query(`insert into rt_item values (2, 'zz committed with it')`);
      await holder.query('commit');
      // The lock sees the row as committed; the read after it, its own snapshot, sees the new row too.
      expect(await waiting).toEqual([[{ id: 1, note: 'after' }], [{ n: 2, note: 'zz committed with it' }]]);
      expect(texts[0]).toMatch(/^BEGIN; EXECUTE \w+\('1'\); EXECUTE \w+\('1'\)$/);
    } finally {
      holder.release();
    }
  });

  it('stop at a failed statement: the ORM’s typed error, nothing after it runs, nothing left behind', async () => {
    await reset();
    const ADD = 'insert into rt_item (id, note) values (?, ?)';
    const go = (em: EntityManager, a: number, b: number) =>
      together(em, [
        { sql: ADD, params: [a, 'first'] },
        { sql: ADD, params: [b, 'second'] },
        { sql: ADD, params: [b + 1, 'third'] },
      ]);
    await inTransaction((em) => go(em, 1, 2)).then(reset); // prepares the statement on the connection
    const texts = await sent(() =>
      expect(inTransaction((em) => go(em, 1, 1))).rejects.toBeInstanceOf(UniqueConstraintViolationException),
    );
    expect(texts[0]).toMatch(/^BEGIN; (EXECUTE \w+\('\d+', '\w+'\)(; )?){3}$/);
    expect(await items()).toEqual([]);
    expect(await connectionsInTransaction()).toEqual([]);
    expect(await inTransaction((em) => em.execute('select 1 as one'))).toEqual([{ one: 1 }]);
  });
});

describe('prepared statements, sent straight to pg', () => {
  const note = 'select note from rt_item where id = ?';

  it('outside a transaction take a connection of the pool and give it back, after an error too', async () => {
    await reset();
    await db.pool.query(`insert into rt_item values (1, 'there')`);
    // The pool has one connection: one not given back would leave every later statement waiting.
    for (let i = 0; i < 30; i++) expect(await prepared(orm.em.fork(), note, [1])).toEqual([{ note: 'there' }]);
    await expect(prepared(orm.em.fork(), ADD_ITEM, [1, 'again'])).rejects.toBeInstanceOf(
      UniqueConstraintViolationException,
    );
    const all = await Promise.all(Array.from({ length: 10 }, () => prepared(orm.em.fork(), note, [1])));
    expect(all.flat()).toEqual(Array.from({ length: 10 }, () => ({ note: 'there' })));
    expect(await connectionsInTransaction()).toEqual([]);
  });

  it('in a transaction run on its connection: rolled back with it, and a failure fails it', async () => {
    await reset();
    const failed = new Error('after the statement');
    await expect(
      inTransaction(async (em) => {
        await prepared(em, ADD_ITEM, [1, 'kept?']);
        expect(await prepared(em, note, [1])).toEqual([{ note: 'kept?' }]); // its own write, seen
        throw failed;
      }),
    ).rejects.toBe(failed);
    expect(await items()).toEqual([]);
    await db.pool.query(`insert into rt_item values (1, 'there')`);
    await expect(
      inTransaction(async (em) => {
        await prepared(em, ADD_ITEM, [2, 'kept?']);
        await prepared(em, ADD_ITEM, [1, 'again']);
      }),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    expect(await items()).toEqual([{ id: 1, note: 'there' }]);
    expect(await connectionsInTransaction()).toEqual([]);
  });

  it('refuse an undefined value (it would go as NULL) and an array (a new text for every length), sending nothing', async () => {
    const texts = await sent(async () => {
      await expect(prepared(orm.em.fork(), note, [undefined])).rejects.toThrow(/undefined parameter/);
      await expect(prepared(orm.em.fork(), note, [[1, 2]])).rejects.toThrow(/array parameter/);
      await expect(together(orm.em.fork(), [{ sql: note, params: [undefined] }])).rejects.toThrow(/undefined/);
    });
    expect(texts).toEqual([]);
  });
});
