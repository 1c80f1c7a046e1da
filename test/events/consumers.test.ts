// Durable consumers of the event stream (events/consumers.ts): a named consumer with a stored cursor
// is handed every committed event after its cursor once, in stream order, with the jobs it adds in
// the same transaction as its advance; a crash between handling and advancing hands the events over
// again (and its jobs are gone with it); a rolled-back change never reaches it; and an `orchestra
// worker` process consumes events with no server running.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { consumeOnce, consumerPosition, registerConsumer, type EventConsumer } from '../../server/events/consumers.js';
import type { StoredEvent } from '../../server/events/cursor.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { useHarness, type Harness } from '../support/harness.js';
import { until } from '../support/wait.js';
import hookedWorkflow from '../workflows/hooked/hooked/workflow.js';

const refusing = defineWorkflow({
  slug: 'refusing',
  name: 'A creation that always fails',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        {
          kind: 'human',
          slug: 'only',
          name: 'Only',
          assignmentPolicy: { entryLevel: { policy: 'specified_worker', username: 'nobody_here' } },
        },
      ],
    },
  ],
});

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [hookedWorkflow, refusing] });
});

/** A consumer that records what it is handed and adds one job per event. */
function recorder(name: string, options: { crashOnce?: boolean } = {}) {
  const handed: StoredEvent[] = [];
  let crashes = options.crashOnce ? 1 : 0;
  const consumer: EventConsumer = {
    name,
    async handle(events, jobs, client) {
      for (const e of events) await jobs.add('test_consumer_job', { consumer: name, eventId: e.id });
      if (crashes > 0) {
        crashes--;
        // The process dies after handling, before its advance commits: its connection goes away mid-transaction.
        await client.query('select pg_terminate_backend(pg_backend_pid())');
      }
      handed.push(...events);
    },
  };
  return { consumer, handed };
}

/** Consumes until nothing is left (the relay's wake-ups do this in a running process). */
async function drain(consumer: EventConsumer): Promise<void> {
  await h.released();
  while (((await consumeOnce(h.db.pool, consumer, 3)) ?? 0) > 0);
}

async function jobsOf(name: string): Promise<number[]> {
  const { rows } = await h.db.pool.query<{ payload: { consumer: string; eventId: number } }>(
    `select payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'test_consumer_job'`,
  );
  return rows.filter((r) => r.payload.consumer === name).map((r) => r.payload.eventId);
}

const eventsSince = async (after: string): Promise<{ id: number; type: string }[]> => {
  const [tx, id] = after.split('.');
  const { rows } = await h.db.pool.query<{ id: string; type: string }>(
    `select id, type from domain_event where (tx_id, id) > ($1::text::xid8, $2::bigint) order by tx_id, id`,
    [tx, id],
  );
  return rows.map((r) => ({ id: Number(r.id), type: r.type }));
};

describe('a durable consumer', () => {
  it('is handed every event after its cursor once, in stream order, with its jobs, and starts at the head when new', async () => {
    await h.project('hooked'); // before the consumer exists: not handed to it
    await registerConsumer(h.db.pool, 'once');
    const start = (await consumerPosition(h.db.pool, 'once'))!;
    const { consumer, handed } = recorder('once');

    const w = await h.worker('hook_worker');
    const p = await h.project('hooked');
    const taskId = await h.taskId(p.id, 'only');
    await h.lifecycle.claimTask(w, taskId);
    await h.lifecycle.submitTask(w, { taskId, data: { done: true }, action: SubmitAction.SUBMIT });
    await drain(consumer);

    const expected = await eventsSince(start);
    expect(expected.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'project.created',
        'task.created',
        'task.assigned',
        'task.submitted',
        'task.completed',
        'project.status_changed',
      ]),
    );
    expect(handed.map((e) => ({ id: e.id, type: e.type }))).toEqual(expected);
    expect((await jobsOf('once')).sort((a, b) => a - b)).toEqual(expected.map((e) => e.id).sort((a, b) => a - b));
    expect(await consumerPosition(h.db.pool, 'once')).toBe(handed[handed.length - 1]!.cursor);

    // Nothing more: consuming again hands nothing over twice.
    expect(await consumeOnce(h.db.pool, consumer)).toBe(0);
    expect(handed).toHaveLength(expected.length);
  });

  it('is handed the events again after a crash between handling and advancing; the crashed attempt’s jobs are gone', async () => {
    await registerConsumer(h.db.pool, 'crashing');
    const start = (await consumerPosition(h.db.pool, 'crashing'))!;
    const { consumer, handed } = recorder('crashing', { crashOnce: true });
    await h.project('hooked');
    await h.project('hooked');

    await h.released();
    await expect(consumeOnce(h.db.pool, consumer, 3)).rejects.toThrow();
    expect(handed).toEqual([]); // the crash came before the consumer finished
    expect(await consumerPosition(h.db.pool, 'crashing')).toBe(start); // not advanced
    expect(await jobsOf('crashing')).toEqual([]); // its jobs went with the transaction

    await drain(consumer);
    const expected = await eventsSince(start);
    expect(handed.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect((await jobsOf('crashing')).sort((a, b) => a - b)).toEqual(expected.map((e) => e.id).sort((a, b) => a - b));
  });

  it('never gets an event of a rolled-back change, also while that change is still open', async () => {
    await registerConsumer(h.db.pool, 'rollbacks');
    const { consumer, handed } = recorder('rollbacks');

    // A use case that fails after writing rows: its events never become visible.
    await expect(h.project('refusing')).rejects.toMatchObject({ code: 'ASSIGNMENT_POLICY_ERROR' });
    // A transaction that wrote an event and is still open while the consumer runs, then rolls back.
    const open: pg.PoolClient = await h.db.pool.connect();
    try {
      await open.query('begin');
      await open.query(
        `insert into domain_event (type, project_id, payload, actor) values ('project.created', null, '{"rolled":"back"}', 'system')`,
      );
      await drain(consumer);
      expect(handed).toEqual([]);
    } finally {
      await open.query('rollback');
      open.release();
    }
    const p = await h.project('hooked');
    await drain(consumer);
    expect(handed.length).toBeGreaterThan(0);
    expect(handed.every((e) => e.projectId === p.id)).toBe(true);
    expect(handed.some((e) => JSON.stringify(e.payload).includes('rolled'))).toBe(false);
  });
});

describe('an `orchestra worker` process', () => {
  let child: ChildProcess | null = null;
  let log: string;
  let output = '';

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
  });

  it('consumes events with no server running: the workflow’s hooks run once per event', async () => {
    log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-hooks-')), 'hooks.log');
    child = spawn(process.execPath, ['bin/orchestra.js', 'worker'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: h.db.url,
        ORCHESTRA_WORKFLOWS_DIR: path.join(PROJECT_ROOT, 'test/workflows/hooked'),
        HOOK_LOG: log,
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await until(() => output.includes('Orchestra worker running'), 'the worker to start', 60_000);

    // This process runs no jobs: only the worker can run the hooks.
    expect(h.orchestra.background).toBeNull();
    const w = await h.worker('worker_hook_worker');
    const p = await h.project('hooked');
    const taskId = await h.taskId(p.id, 'only');
    await h.lifecycle.claimTask(w, taskId);
    await h.lifecycle.submitTask(w, { taskId, data: {}, action: SubmitAction.SUBMIT });

    const lines = () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
    await until(() => lines().length >= 2, 'the hooks to run', 30_000);
    // A moment more: nothing runs twice.
    await new Promise((r) => setTimeout(r, 1500));
    const ran = lines().filter((l) => l.projectId === p.id);
    expect(ran.map((l) => l.type)).toEqual(['project.created', 'task.completed']);
    expect(ran[1]).toMatchObject({ step: 'only', pid: child.pid });
    expect(new Set(ran.map((l) => l.cursor)).size).toBe(2);
  }, 90_000);
});
