// The use cases' hot statements are prepared statements on their transaction's connection
// (server/db/statements.ts): sent with their values apart from the text, under a name PostgreSQL keeps
// for the connection, so it parses and plans them once. Errors stay the ORM's typed ones (`transact`
// maps them), and the cycle's statement counts stay where the one-load-per-use-case design put them.
import { UniqueConstraintViolationException, UnitOfWork, type EntityManager } from '@mikro-orm/postgresql';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { prepared } from '../../server/db/round-trips.js';
import { openOrm } from '../../server/db/orm.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { AssignmentStatus, IterationStatus, TaskStatus } from '../../server/kernel/status.js';
import { expectRefused } from '../support/expect.js';
import { useHarness, type Harness } from '../support/harness.js';
import { recordOrmQueries } from '../support/sql-count.js';
import { claimsWorkflow } from '../workflows/fixtures.js';
import { SYSTEM } from '../../server/kernel/actor.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { lockForClaim, lockTaskWithWork } from '../../server/lifecycle/load.js';
import { assignWorker } from '../../server/lifecycle/assign.js';
import { Iteration, Task } from '../../server/tasks/task.entity.js';
import { writeWork } from '../../server/lifecycle/progress.js';
import { transact, type Tx } from '../../server/lifecycle/transaction.js';
import { Project } from '../../server/projects/project.entity.js';

/** A human step, a machine step that needs its data, and a step after it (so the project does not end). */
const stampWorkflow = defineWorkflow({
  slug: 'prep-stamp',
  name: 'Work, stamp, check',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        { kind: 'human', slug: 'work', name: 'Work', reviewPolicy: { policy: 'no_review' } },
        { kind: 'machine', slug: 'stamp', name: 'Stamp', creationDependsOn: ['work'], run: () => ({ stamped: true }) },
        { kind: 'human', slug: 'check', name: 'Check', creationDependsOn: ['stamp'] },
      ],
    },
  ],
});

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [claimsWorkflow, stampWorkflow] });
});

const sent = async (fn: () => Promise<unknown>) => (await recordOrmQueries(fn)).queries;

const inTransaction = <T>(fn: (em: EntityManager) => Promise<T>): Promise<T> =>
  h.db.orm.em.fork().transactional((em) => fn(em as EntityManager));

describe('prepared', () => {
  it('sends the values apart from the text, under one name that PostgreSQL keeps for the connection', async () => {
    const calls = await sent(() =>
      inTransaction(async (em) => {
        // A transaction's first statement carries its BEGIN, values written in (server/db/round-trips.ts);
        // the prepared statements are the ones after it.
        await em.execute('select 1');
        expect(await prepared<{ n: number }>(em, 'select ?::int + 1 as n', [41])).toEqual([{ n: 42 }]);
        expect(await prepared<{ n: number }>(em, 'select ?::int + 1 as n', [1])).toEqual([{ n: 2 }]);
        // The same connection (the transaction's) holds the statement: parsed once, used twice.
        const held = await em.execute<{ name: string; statement: string }[]>(
          `select name, statement from pg_prepared_statements where statement like 'select $1::int + 1%'`,
        );
        expect(held).toHaveLength(1);
        expect(held[0]!.name).toMatch(/^orchestra_[0-9a-f]{16}$/);
      }),
    );
    const mine = calls.filter((c) => c.text === 'select $1::int + 1 as n');
    expect(mine.map((c) => c.values)).toEqual([[41], [1]]);
    expect(new Set(mine.map((c) => c.name)).size).toBe(1);
  });

  it('throws the ORM’s typed errors, and refuses an array whose length would change the text', async () => {
    await expect(
      inTransaction(async (em) => {
        await em.execute('create temporary table once (id int primary key) on commit drop');
        await prepared(em, 'insert into once (id) values (?)', [1]);
        await prepared(em, 'insert into once (id) values (?)', [1]);
      }),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    await expect(inTransaction((em) => prepared(em, 'select 1 where 1 in (?)', [[1, 2]]))).rejects.toThrow(
      /array parameter/,
    );
  });
});

describe('the cycle’s statements', () => {
  it('reads each use case’s rows in one statement sent with its locks and writes a claim’s or a submission’s in one, all prepared', async () => {
    const writer = await h.worker('prep_writer', [['claims', 'writer', 'ENTRY_LEVEL']]);
    const reviewer = await h.worker('prep_reviewer', [['claims', 'writer', 'REVIEWER']]);
    const project = await h.project('claims', 'write'); // the cycle of bench/cycle.ts: one step, reviewed once
    const taskId = await h.taskId(project.id, 'write');
    const cycle = (taskId: number): [string, () => Promise<unknown>][] => [
      ['claim', () => h.lifecycle.claimTask(writer, taskId)],
      ['submit', () => h.lifecycle.submitTask(writer, { taskId, data: { v: 1 }, action: SubmitAction.SUBMIT })],
      ['review claim', () => h.lifecycle.claimTask(reviewer, taskId)],
      ['accept', () => h.lifecycle.submitTask(reviewer, { taskId, data: { v: 2 }, action: SubmitAction.ACCEPT })],
    ];
    // A first cycle, one use case at a time, prepares each statement on the connection the next cycle
    // uses (the ORM's pool hands out the connection released last): the first time on a connection a
    // prepared statement goes on its own (server/db/round-trips.ts).
    const warmUp = await h.project('claims', 'write');
    for (const [, run] of cycle(await h.taskId(warmUp.id, 'write'))) await run();
    const counts: Record<string, number> = {};
    for (const [name, run] of cycle(taskId)) {
      const calls = await sent(run);
      counts[name] = calls.length;
      const shape = calls.map((c) => {
        const text = c.text.replace(/\s+/g, ' ');
        const execute = String.raw`EXECUTE orchestra_\w+\([^;]*\)`;
        if (new RegExp(`^BEGIN; ${execute}; ${execute}$`).test(text)) return 'BEGIN; lock; read';
        if (new RegExp(`^BEGIN; ${execute}; ${execute}; ${execute}; ${execute}$`).test(text))
          return 'BEGIN; lock; read; lock; read';
        if (new RegExp(`^${execute}; ${execute}; ${execute}$`).test(text)) return 'write; lock; read';
        if (/^EXECUTE orchestra_\w+\('task\.\w+', .*\); COMMIT$/.test(text)) return 'events; COMMIT';
        if (/^EXECUTE orchestra_\w+\('\d+', '\d+'\); EXECUTE orchestra_\w+\('task\.\w+', .*\); COMMIT$/.test(text))
          return 'project status; events; COMMIT';
        if (
          /^EXECUTE orchestra_\w+\('\d+', '\d{4}-[^;]*\); EXECUTE orchestra_\w+\('task\.\w+', .*\); COMMIT$/.test(text)
        )
          return 'write; events; COMMIT';
        if (
          /^EXECUTE orchestra_\w+\('\d+', '\d{4}-[^;]*\); EXECUTE orchestra_\w+\('\d+', '\d+'\); EXECUTE orchestra_\w+\('task\.\w+', .*\); COMMIT$/.test(
            text,
          )
        )
          return 'write; project status; events; COMMIT';
        return c.name ? 'prepared' : `unprepared: ${text.slice(0, 60)}`;
      });
      // BEGIN, the first lock and the read after it go in one text, and the events ride on COMMIT (all
      // prepared, run as EXECUTE with their values); a claim's or a submission's write goes with them
      // (a claim's rows' ids drawn with the read); an accept locks the project and reads its tasks with
      // the task's lock, and its writes and the project's new status go with the events and COMMIT.
      expect(shape, name).toEqual(
        {
          claim: ['BEGIN; lock; read', 'write; events; COMMIT'],
          submit: ['BEGIN; lock; read', 'write; events; COMMIT'],
          'review claim': ['BEGIN; lock; read', 'write; events; COMMIT'],
          accept: [
            'BEGIN; lock; read; lock; read', // the task's lock, its work; the project's lock, its tasks
            'write; project status; events; COMMIT', // the writes; the project completes
          ],
        }[name],
      );
    }
    // BEGIN with the locks (a claim's worker and task in one statement) and the read, the writes in one
    // statement, the events with COMMIT; accepting also locks the project, reads its tasks and ends it.
    // (Before this design: 11, 9, 11, 15; before BEGIN and COMMIT took statements along: 6, 6, 6, 9;
    // before a lock and the read after it went together: 4, 4, 4, 7; before the project's status went
    // with COMMIT: 3, 3, 3, 4; before a claim's and a submission's write went with them: 3, 3, 3, 3;
    // before an accept's project lock came with the task's: 2, 2, 2, 3.)
    expect(counts).toEqual({ claim: 2, submit: 2, 'review claim': 2, accept: 2 });
    // What the statements wrote is what the unit of work would have: the task done, each level's data kept
    // with its closed iteration.
    const rows = await h.db.orm.em
      .fork()
      .getConnection()
      .execute(
        `select a.level, a.status, a.data, i.status as iteration, i.submitted_data, i.end_datetime is not null as ended, t.status as task, t.version
         from task_assignment a join iteration i on i.assignment_id = a.id join task t on t.id = a.task_id
        where a.task_id = ? order by a.level`,
        [taskId],
      );
    const done = (level: number, data: object) => ({
      level,
      status: AssignmentStatus.SUBMITTED,
      data,
      iteration: IterationStatus.REQUESTED_REVIEW,
      submitted_data: data,
      ended: true,
      task: TaskStatus.COMPLETE,
      version: 5, // one more for each of the four transitions
    });
    expect(rows).toEqual([done(0, { v: 1 }), done(1, { v: 2 })]);
  });
});

describe('a next-task request’s statements', () => {
  it('sends the worker’s lock, workload and the pool’s query in one text, all prepared: three round trips', async () => {
    const taker = await h.worker('prep_taker', [['claims', 'writer', 'ENTRY_LEVEL']]);
    const pull = async () => {
      await h.project('claims', 'write');
      let result: Awaited<ReturnType<typeof h.lifecycle.requestTask>> | undefined;
      const calls = await sent(async () => {
        result = await h.lifecycle.requestTask(taker);
      });
      // Sent on, so that the worker stays under their cap of tasks in progress.
      await h.lifecycle.submitTask(taker, {
        taskId: result!.assignment!.task.id,
        data: {},
        action: SubmitAction.SUBMIT,
      });
      return { calls, result: result! };
    };
    await pull(); // the first time on a connection, each statement is prepared on its own
    const { calls, result } = await pull();
    const execute = String.raw`EXECUTE orchestra_\w+\([^;]*\)`;
    const first = calls[0]!.text.replace(/\s+/g, ' ');
    // Then the claim's context (the task's project, assignments and the new rows' ids), then its write
    // with the events and COMMIT. (Before the pool's query went with the lock: four.)
    expect(new RegExp(`^BEGIN; ${execute}; ${execute}; ${execute}$`).test(first), first.slice(0, 200)).toBe(true);
    expect(calls).toHaveLength(3);
    expect(result.assignment?.worker?.id).toBe(taker.workerId);
    expect(result.assignment?.task.status).toBe(TaskStatus.PROCESSING);
  });
});

describe('a machine step’s statements', () => {
  it('starts an attempt in three round trips (its lock with the project and its tasks) and records its result in four', async () => {
    const worker = await h.worker('prep_stamp_worker');
    /** A project whose machine task waits for its first attempt, and that task's id. */
    const waiting = async (n: number) => {
      const project = await h.project('prep-stamp', 'v1', { projectData: { n } });
      const taskId = await h.taskId(project.id, 'work');
      await h.lifecycle.assignTask(SYSTEM, { taskId, workerId: worker.workerId });
      await h.lifecycle.submitTask(worker, { taskId, data: { words: n }, action: SubmitAction.SUBMIT });
      return { project, machineTaskId: await h.taskId(project.id, 'stamp') };
    };
    const run = async (machineTaskId: number) => {
      const start = await recordOrmQueries(() => h.lifecycle.startMachineAttempt(SYSTEM, machineTaskId));
      const result = await recordOrmQueries(() =>
        h.lifecycle.recordMachineResult(SYSTEM, { taskId: machineTaskId, attempt: 1, result: { stamped: true } }),
      );
      return { attempt: start.result, outcome: result.result, start: start.queries, result: result.queries };
    };
    await run((await waiting(0)).machineTaskId); // prepares the statements on the connection (see above)
    const { project, machineTaskId } = await waiting(7);
    const { attempt, outcome, start, result } = await run(machineTaskId);

    // What the function is handed: the attempt, the project's data and the finished step's data.
    expect(attempt).toMatchObject({
      taskId: machineTaskId,
      projectId: project.id,
      stepSlug: 'stamp',
      attempt: 1,
      projectData: { n: 7, project_id: project.id },
      prerequisites: { work: { words: 7 } },
    });
    expect(outcome).toBe('completed');
    const shapeOf = (calls: { text: string }[]) =>
      calls.map((c) => {
        const text = c.text.replace(/\s+/g, ' ');
        const execute = String.raw`EXECUTE orchestra_\w+\([^;]*\)`;
        if (new RegExp(`^BEGIN; ${execute}; ${execute}; ${execute}$`).test(text)) return 'BEGIN; lock; read; read';
        if (new RegExp(`^BEGIN; ${execute}; ${execute}$`).test(text)) return 'BEGIN; lock; read';
        if (new RegExp(`^BEGIN; ${execute}; ${execute}; ${execute}; ${execute}$`).test(text))
          return 'BEGIN; lock; read; lock; read';
        if (new RegExp(`^${execute}; ${execute}; ${execute}$`).test(text)) return 'write; lock; read';
        if (/^EXECUTE orchestra_\w+\('task\.\w+', .*\); COMMIT$/.test(text)) return 'events; COMMIT';
        if (text.startsWith('insert into "task" ')) return 'task insert';
        return text.trim().startsWith('with t as (update task set status')
          ? 'assignment write'
          : `other: ${text.slice(0, 60)}`;
      });
    // Starting: the task's lock, its project and the project's tasks (the prerequisites) in one text; the
    // task, its machine assignment (attempt 1, leased) and first iteration in one statement; the events
    // with COMMIT. (Before: 8 round trips: the project, the assignments, the prerequisites and each of
    // the unit of work's three writes on their own.)
    expect(shapeOf(start)).toEqual(['BEGIN; lock; read; read', 'assignment write', 'events; COMMIT']);
    // The result: the lock with the assignments and their open iterations; the writes with the project's
    // lock and its tasks; the next step's task (the unit of work's insert: its id goes into its events);
    // the events with COMMIT. (Before: 6: the assignments and the open iteration each on its own.)
    expect(shapeOf(result)).toEqual(['BEGIN; lock; read', 'write; lock; read', 'task insert', 'events; COMMIT']);

    const [row] = await h.db.pool
      .query(
        `select t.status as task, t.version, a.worker_id, a.level, a.status, a.attempts, a.lease_expires_at, a.data,
              i.status as iteration, i.submitted_data, i.end_datetime is not null as ended
         from task t join task_assignment a on a.task_id = t.id join iteration i on i.assignment_id = a.id
        where t.id = $1`,
        [machineTaskId],
      )
      .then((r) => r.rows);
    expect(row).toEqual({
      task: TaskStatus.COMPLETE,
      version: 3, // created, started, completed
      worker_id: null,
      level: 0,
      status: AssignmentStatus.SUBMITTED,
      attempts: 1,
      lease_expires_at: null, // the lease ends with the attempt
      data: { stamped: true },
      iteration: IterationStatus.REQUESTED_REVIEW,
      submitted_data: { stamped: true },
      ended: true,
    });
    // The step after it was created.
    expect(await h.taskId(project.id, 'check')).toBeGreaterThan(machineTaskId);
  });
});

describe('a machine step’s first attempt under a race', () => {
  it('started by two jobs at once: one runs attempt 1, the other is told there is nothing to run', async () => {
    const worker = await h.worker('race_stamp_worker');
    const project = await h.project('prep-stamp', 'v1', { projectData: { n: 1 } });
    const workId = await h.taskId(project.id, 'work');
    await h.lifecycle.assignTask(SYSTEM, { taskId: workId, workerId: worker.workerId });
    await h.lifecycle.submitTask(worker, { taskId: workId, data: { words: 1 }, action: SubmitAction.SUBMIT });
    const machineTaskId = await h.taskId(project.id, 'stamp');
    // Both wait for the task's lock, so the second reads after the first committed: the assignment and
    // lease it reads in the same text as its lock must be the first one's (or it would insert a second).
    const holder = await h.db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from task where id = $1 for update', [machineTaskId]);
      const both = Promise.all([
        h.lifecycle.startMachineAttempt(SYSTEM, machineTaskId),
        h.lifecycle.startMachineAttempt(SYSTEM, machineTaskId),
      ]);
      await expect
        .poll(
          async () =>
            (
              await h.db.pool.query(
                `select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'task' and not l.granted`,
              )
            ).rows[0].n,
        )
        .toBeGreaterThanOrEqual(1);
      await holder.query('commit');
      const attempts = await both;
      expect(attempts.filter((a) => a !== null).map((a) => a!.attempt)).toEqual([1]);
      expect(attempts.filter((a) => a === null)).toHaveLength(1);
    } finally {
      await holder.query('rollback').catch(() => {});
      holder.release();
    }
    const { rows } = await h.db.pool.query(
      `select a.attempts, a.lease_expires_at is not null as leased, (select count(*)::int from iteration i where i.assignment_id = a.id) as iterations
         from task_assignment a where a.task_id = $1`,
      [machineTaskId],
    );
    expect(rows).toEqual([{ attempts: 1, leased: true, iterations: 1 }]);
  });

  it('of a task that does not exist: NOT_FOUND, and nothing is written', async () => {
    await expectRefused(h, () => h.lifecycle.startMachineAttempt(SYSTEM, 987_654), { code: 'NOT_FOUND' });
  });
});

describe('a claim’s two locks in one statement', () => {
  it('holds the worker’s lock while it waits for the task’s: the order stays worker → task', async () => {
    const writer = await h.worker('lock_writer', [['claims', 'writer', 'ENTRY_LEVEL']]);
    const project = await h.project('claims', 'write');
    const taskId = await h.taskId(project.id, 'write');
    const holder = await h.db.pool.connect();
    const prober = await h.db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from task where id = $1 for update', [taskId]);
      const claim = h.lifecycle.claimTask(writer, taskId);
      // The claim is waiting for the task; its worker's row is locked already.
      await expect
        .poll(async () => {
          await prober.query('begin');
          try {
            await prober.query('select id from worker where id = $1 for update nowait', [writer.workerId]);
            return 'free';
          } catch (error) {
            return (error as { code?: string }).code; // 55P03: lock_not_available
          } finally {
            await prober.query('rollback');
          }
        })
        .toBe('55P03');
      await holder.query('rollback');
      const assignment = await claim;
      expect(assignment.level).toBe(0);
      // Claimed: the worker's lock ended with the claim's transaction.
      await expect(
        prober.query('select id from worker where id = $1 for update nowait', [writer.workerId]),
      ).resolves.toBeTruthy();
    } finally {
      await holder.query('rollback').catch(() => {});
      holder.release();
      prober.release();
    }
  });
});

describe('a write statement whose task moved', () => {
  it('changes no row at all and says CONCURRENT_TASK_CHANGE, whether it runs at once or goes with COMMIT', async () => {
    const writer = await h.worker('moved_writer', [['claims', 'writer', 'ENTRY_LEVEL']]);
    const project = await h.project('claims', 'write');
    const taskId = await h.taskId(project.id, 'write');
    await h.lifecycle.claimTask(writer, taskId);
    const stored = async () =>
      (
        await h.db.pool.query(
          `select t.status as task, t.version, a.status, a.data, i.status as iteration, i.submitted_data
             from task t join task_assignment a on a.task_id = t.id join iteration i on i.assignment_id = a.id
            where t.id = $1`,
          [taskId],
        )
      ).rows;
    const before = await stored();
    // A connection of its own: the first time there the statement is prepared and runs at once; the
    // second time it goes with COMMIT.
    const orm = await openOrm(h.db.url, { pool: { min: 1, max: 1 } });
    const engine = { ...h.orchestra.engine, orm };
    const paths: string[] = [];
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const { result, queries } = await recordOrmQueries(() =>
          transact(engine, h.admin, async (tx) => {
            const { task, work } = await lockTaskWithWork(tx, taskId);
            const [assignment] = work.assignments;
            Object.assign(assignment!, { status: AssignmentStatus.SUBMITTED, data: { v: 9 } });
            Object.assign(work.iterations[0]!, { status: IterationStatus.REQUESTED_REVIEW, submittedData: { v: 9 } });
            task.status = TaskStatus.COMPLETE;
            task.version -= 1; // as if another writer had moved it since it was read
            await writeWork(tx, task, work.assignments, work.iterations);
          }).catch((error: unknown) => error),
        );
        expect(result).toMatchObject({
          code: 'CONFLICT',
          reason: 'CONCURRENT_CHANGE',
          message: 'The task was changed by someone else; try again.',
        });
        const texts = queries.map((q) => q.text.replace(/\s+/g, ' '));
        paths.push(texts.some((t) => /^EXECUTE orchestra_\w+\(.*\); COMMIT$/.test(t)) ? 'with COMMIT' : 'at once');
        // Neither the task, the assignment nor the iteration was written.
        expect(await stored()).toEqual(before);
      }
    } finally {
      await orm.close(true);
    }
    expect(paths).toEqual(['at once', 'with COMMIT']);
  });
});

describe('the commit’s flush', () => {
  it('is skipped when nothing changed, still writes what a use case changed on its entities, and under test catches what the skip would lose', async () => {
    const project = await h.project('claims', 'write');
    const projectData = async () =>
      (await h.db.pool.query('select project_data from project where id = $1', [project.id])).rows[0]!.project_data;
    // Nothing changed after the statements: COMMIT without the unit of work's flush (a pass over the
    // identity map that would find nothing).
    const flushes = vi.spyOn(UnitOfWork.prototype, 'commit');
    const sentFor = async (fn: (tx: Tx) => Promise<unknown>) =>
      (await recordOrmQueries(() => transact(h.orchestra.engine, h.admin, fn))).queries.map((q) =>
        q.text.replace(/\s+/g, ' '),
      );
    const load = (tx: Tx) => tx.em.findOneOrFail(Project, project.id);
    expect(await sentFor(load)).toEqual([expect.stringMatching(/^BEGIN; select .* from "project"/), 'COMMIT;']);
    expect(flushes).not.toHaveBeenCalled();
    // A property set on an entity marks it touched: the flush runs and writes it.
    const written = await sentFor(async (tx) => {
      (await load(tx)).projectData = { edited: 1 };
    });
    expect(flushes).toHaveBeenCalledTimes(1);
    expect(written.at(-2)).toMatch(/^update "project" set "project_data" = '\{"edited":1\}'/);
    expect(await projectData()).toEqual({ edited: 1 });
    // A change inside a JSON value made in place marks nothing: under test the skipped flush is checked,
    // and the transaction fails rather than lose it.
    await expect(
      transact(h.orchestra.engine, h.admin, async (tx) => {
        ((await load(tx)).projectData as { edited: number }).edited = 2;
      }),
    ).rejects.toThrow(`A skipped flush would have written: update Project ${project.id} (projectData)`);
    expect(await projectData()).toEqual({ edited: 1 });
    flushes.mockRestore();
  });
});

describe('a claim’s write, sent with its events and COMMIT', () => {
  /** Every persisted column of an entity as it holds it (a relation by its id). */
  const columns = (entity: object) =>
    Object.fromEntries(
      h.db.orm
        .getMetadata()
        .get(entity.constructor.name)
        .props.filter((p) => p.fieldNames?.length && p.persist !== false && (p.kind === 'scalar' || p.kind === 'm:1'))
        .map((p) => {
          const value = (entity as Record<string, unknown>)[p.name];
          return [p.name, p.kind === 'm:1' ? ((value as { id?: number } | null)?.id ?? null) : value];
        }),
    );
  const claimIn = (tx: Tx, workerId: number, taskId: number) =>
    lockForClaim(tx, workerId, taskId).then(({ worker, task, project, ...known }) =>
      assignWorker(tx, task, project, worker, { enforceLimits: true, ...known }),
    );

  it('makes entities equal to the rows written, in two round trips; a task that moved commits nothing', async () => {
    const writer = await h.worker('deferred_writer', [['claims', 'writer', 'ENTRY_LEVEL']]);
    // A first claim prepares the statements on the connection the next transaction gets (the first
    // time on a connection a prepared statement goes alone).
    const warmUpTaskId = await h.taskId((await h.project('claims', 'write')).id, 'write');
    await h.lifecycle.claimTask(writer, warmUpTaskId);
    const taskId = await h.taskId((await h.project('claims', 'write')).id, 'write');
    let made: object[] = [];
    const texts = (
      await recordOrmQueries(() =>
        transact(h.orchestra.engine, writer, async (tx) => {
          const assignment = await claimIn(tx, writer.workerId, taskId);
          const iteration = [...tx.em.getUnitOfWork().getIdentityMap()].find(
            (e) => e instanceof Iteration && e.assignment === assignment,
          )!;
          made = [assignment.task, assignment, iteration];
        }),
      )
    ).queries.map((q) => q.text.replace(/\s+/g, ' '));
    expect(texts).toHaveLength(2);
    expect(texts[1]).toMatch(/^EXECUTE orchestra_\w+\(.*\); EXECUTE orchestra_\w+\('task\.assigned', .*\); COMMIT$/);
    // What the use case returns and keeps is what PostgreSQL stored, column by column.
    const fresh = h.db.orm.em.fork();
    for (const entity of made) {
      const stored = await fresh.findOneOrFail(entity.constructor as typeof Task, (entity as { id: number }).id);
      expect(columns(entity), entity.constructor.name).toEqual(columns(stored));
    }
    // A submission's write goes the same way, its entities merged back from their own values (a first
    // one prepares the statements on the connection the next transaction gets).
    const submit = (id: number) =>
      transact(h.orchestra.engine, writer, async (tx) => {
        const { task, work } = await lockTaskWithWork(tx, id);
        const [assignment] = work.assignments;
        const iteration = work.iterations[0]!;
        Object.assign(assignment!, { status: AssignmentStatus.SUBMITTED, data: { v: 3 } });
        Object.assign(iteration, {
          status: IterationStatus.REQUESTED_REVIEW,
          submittedData: { v: 3 },
          endDatetime: new Date(),
        });
        task.status = TaskStatus.PENDING_REVIEW;
        await writeWork(tx, task, work.assignments, work.iterations);
        return [task, assignment!, iteration];
      });
    await submit(warmUpTaskId);
    const submitted = await recordOrmQueries(() => submit(taskId));
    expect(submitted.queries.map((q) => q.text.replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/^BEGIN; EXECUTE orchestra_\w+\(.*\); EXECUTE orchestra_\w+\(.*\)$/),
      expect.stringMatching(/^EXECUTE orchestra_\w+\(.*\); COMMIT$/),
    ]);
    for (const entity of submitted.result) {
      const stored = await h.db.orm.em.fork().findOneOrFail(entity.constructor as typeof Task, entity.id);
      expect(columns(entity), entity.constructor.name).toEqual(columns(stored));
    }

    // The task's version moved under the claim (as if another writer had changed it since the lock):
    // the write refuses inside its statement, so the events and COMMIT sent with it never run.
    const other = await h.taskId((await h.project('claims', 'write')).id, 'write');
    const stored = () =>
      h.db.pool
        .query(
          `select t.status, t.version, (select count(*)::int from task_assignment where task_id = t.id) as assignments,
                  (select count(*)::int from domain_event where task_id = t.id) as events from task t where t.id = $1`,
          [other],
        )
        .then((r) => r.rows[0]);
    const before = await stored();
    let sentTexts: string[] = [];
    await expectRefused(
      h,
      async () => {
        const recorded = await recordOrmQueries(() =>
          transact(h.orchestra.engine, writer, async (tx) => {
            const { worker, task, project, ...known } = await lockForClaim(tx, writer.workerId, other);
            task.version -= 1;
            await assignWorker(tx, task, project, worker, { enforceLimits: true, ...known });
          }).catch((error: unknown) => error),
        );
        sentTexts = recorded.queries.map((q) => q.text.replace(/\s+/g, ' '));
        throw recorded.result;
      },
      { code: 'CONFLICT', reason: 'CONCURRENT_CHANGE', message: 'The task was changed by someone else; try again.' },
    );
    expect(sentTexts.slice(-2)).toEqual([
      expect.stringMatching(/^EXECUTE orchestra_\w+\(.*\); EXECUTE orchestra_\w+\('task\.assigned', .*\); COMMIT$/),
      'ROLLBACK',
    ]);
    expect(await stored()).toEqual(before);
  });
});
