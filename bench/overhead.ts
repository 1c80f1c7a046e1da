// What a use case costs before it does anything: the fixed costs under the lifecycle's use cases, each
// timed alone in this process (CPU per call from process.cpuUsage, after a warm-up), so that a change
// to the transaction, the statement path or the entity factory shows in microseconds, without the
// noise of a whole cycle on two shared cores. Figures, not pass/fail; see bench/README.md.
//
//   node --import @swc-node/register/esm-register bench/overhead.ts [--calls 3000]
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { startOrchestra } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { prepared } from '../server/db/round-trips.js';
import { SYSTEM } from '../server/kernel/actor.js';
import { asEntity } from '../server/lifecycle/load.js';
import { transact, Tx, type Engine } from '../server/lifecycle/transaction.js';
import { Task, TaskAssignment } from '../server/tasks/task.entity.js';
import { benchPostgres, freshDatabase, log, machineLine } from './harness.js';
import { reviewedWorkflow } from './workflow.js';

const { values: opts } = parseArgs({ options: { calls: { type: 'string', default: '3000' } } });
const CALLS = Number(opts.calls);
if (!Number.isInteger(CALLS) || CALLS < 1) throw new Error('--calls must be a whole number ≥ 1');

/** CPU (user + system) and wall time per call of `fn`, in µs, after a warm-up. */
async function timed(fn: () => Promise<unknown> | unknown): Promise<{ cpu: number; wall: number }> {
  for (let i = 0; i < Math.min(500, CALLS); i++) await fn();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await fn();
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / CALLS, wall: ((performance.now() - t0) * 1000) / CALLS };
}

const pgsrv = await benchPostgres('bench-overhead', 54371);
try {
  const url = await freshDatabase(pgsrv, 'overhead');
  const config = loadConfig(process.env, { databaseUrl: url, jobs: { ...loadConfig().jobs, inProcess: false } });
  const app = await startOrchestra({ config, definitions: [reviewedWorkflow], jobs: false });
  try {
    const engine = (app.lifecycle as unknown as { engine: Engine }).engine;
    const project = await app.lifecycle.createProject(SYSTEM, {
      workflowSlug: 'lcbench',
      versionSlug: 'v1',
      description: 'overhead',
    });
    const [task] = await prepared<Record<string, unknown> & { id: number }>(
      engine.orm.em.fork(),
      'select * from task where project_id = ?',
      [project.id],
    );
    const assignment = { id: 1, task_id: task!.id, worker_id: null, status: 0, level: 0, data: { rating: 4 } };
    const SELECT = 'select id, status from task where id = ?';
    const client: pg.PoolClient = await app.db.pool.connect();
    const rows: [string, { cpu: number; wall: number }][] = [];
    const run = async (what: string, fn: () => Promise<unknown> | unknown) => {
      rows.push([what, await timed(fn)]);
      log(`${what}: ${rows.at(-1)![1].cpu.toFixed(1)} µs CPU`);
    };
    try {
      await run('a use case that sends nothing (transact)', () => transact(engine, SYSTEM, async () => null));
      await run('… with one prepared statement', () =>
        transact(engine, SYSTEM, (tx) => prepared(tx.em, SELECT, [task!.id])),
      );
      await run('… with five prepared statements', () =>
        transact(engine, SYSTEM, async (tx) => {
          for (let i = 0; i < 5; i++) await prepared(tx.em, SELECT, [task!.id]);
        }),
      );
      await run('a prepared statement outside a transaction (a pooled connection)', () =>
        prepared(engine.orm.em.fork(), SELECT, [task!.id]),
      );
      await run('the same statement with pg alone (one connection, no pool)', () =>
        client.query({
          name: 'overhead_select',
          text: 'select id, status from task where id = $1',
          values: [task!.id],
        }),
      );
      await run('an entity manager fork', () => engine.orm.em.fork());
      const entities = (make: (tx: Tx, i: number) => void) => () => {
        const tx = new Tx(engine.orm.em.fork(), engine, SYSTEM);
        for (let i = 0; i < 10; i++) make(tx, i);
      };
      await run(
        'ten Task entities from rows (fork included)',
        entities((tx, i) => asEntity(tx, Task, { ...task!, id: task!.id + i })),
      );
      await run(
        'ten TaskAssignment entities from rows (fork included)',
        entities((tx, i) => asEntity(tx, TaskAssignment, { ...assignment, id: i + 1 })),
      );
    } finally {
      client.release();
    }
    console.log(`\nFixed costs under the use cases (${CALLS} calls each, after a warm-up)\n`);
    console.log('| what | CPU µs per call | wall µs per call |');
    console.log('|---|---|---|');
    for (const [what, t] of rows) console.log(`| ${what} | ${t.cpu.toFixed(1)} | ${t.wall.toFixed(1)} |`);
    console.log(`\n${machineLine()}`);
  } finally {
    await app.close();
  }
} finally {
  await pgsrv.stop();
}
