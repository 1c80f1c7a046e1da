// Finding 6 of the hardening issue: `kill -9` of the process running an 8-second machine step. The
// attempt's lease runs out, the step shows as stuck and an admin may re-run it; a process that runs
// jobs finds it by itself and schedules the next attempt. No attempt is lost, none completes twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { startOrchestraCommand, type Child } from '../support/child.js';
import { eventCount } from '../support/expect.js';
import { useServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';
import crashyWorkflow from '../workflows/crashy/crashy/workflow.js';

const LEASE_MS = 1000;
let s: TestServer;
let adminToken: string;
const workers: Child[] = [];

beforeAll(async () => {
  s = await useServer({
    workflows: [crashyWorkflow],
    config: { machine: { maxAttempts: 3, retryBaseDelayMs: 50, timeoutMs: 60_000, leaseMs: LEASE_MS } },
  });
  await s.h.worker('crash_admin', [], { isAdmin: true, password: 'crash admin password' });
  adminToken = await s.login('crash_admin', 'crash admin password');
});

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop('SIGKILL');
});

function startWorker(log: string): Child {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: s.h.db.url,
    ORCHESTRA_WORKFLOWS_DIR: path.join(PROJECT_ROOT, 'test/workflows/crashy'),
    ORCHESTRA_MACHINE_LEASE_MS: String(LEASE_MS),
    ORCHESTRA_MACHINE_RETRY_BASE_MS: '50',
    CRASH_LOG: log,
    NODE_ENV: 'test',
  };
  const child = startOrchestraCommand(['worker'], env);
  workers.push(child);
  return child;
}

const attemptsLogged = (log: string, taskId: number) =>
  fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { task: number; attempt: number; pid: number })
        .filter((l) => l.task === taskId)
    : [];

const assignmentOf = async (taskId: number) =>
  (
    await s.gql(
      `query($id: ID!) { task(id: $id) { status assignments { status attempts stuck lastError leaseExpiresAt } } }`,
      { id: taskId },
      { token: adminToken },
    )
  ).data!.task;

/** Starts a worker, lets the step's first attempt begin, and kills the worker with SIGKILL. */
async function killedMidStep(log: string): Promise<number> {
  const p = await s.h.project('crashy');
  const taskId = await s.h.taskId(p.id, 'slow');
  const worker = startWorker(log);
  await until(() => attemptsLogged(log, taskId).length === 1, 'the first attempt to begin', 60_000);
  await worker.stop('SIGKILL');
  return taskId;
}

describe('a machine step caught by a crash', () => {
  it('shows as stuck once its lease runs out, and an admin may re-run it; it then completes once', async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-crash-')), 'attempts.log');
    const taskId = await killedMidStep(log);
    // Nothing runs jobs now: the step stays PROCESSING, and is stuck once the lease is over.
    await until(
      async () => (await assignmentOf(taskId)).assignments[0].stuck === true,
      'the step to show as stuck',
      10_000,
    );
    expect(await assignmentOf(taskId)).toMatchObject({
      status: 'PROCESSING',
      assignments: [{ status: 'PROCESSING', attempts: 1, stuck: true }],
    });

    const rerun = await s.gql(
      `mutation($id: ID!) { rerunMachineStep(input: { taskId: $id }) { assignment { status attempts stuck } } }`,
      { id: taskId },
      { token: adminToken },
    );
    expect(rerun.errors).toBeUndefined();
    expect(rerun.data!.rerunMachineStep.assignment).toEqual({ status: 'PROCESSING', attempts: 0, stuck: false });

    startWorker(log);
    await until(async () => (await assignmentOf(taskId)).status === 'COMPLETE', 'the step to complete', 60_000);
    expect(
      (await s.h.task(
        (await s.h.db.pool.query('select project_id from task where id = $1', [taskId])).rows[0].project_id,
        'slow',
      ))!.assignments[0],
    ).toMatchObject({
      status: 'SUBMITTED',
      data: { finishedOnAttempt: expect.any(Number) },
    });
    expect(await eventCount(s.h, `task_id = $1 and type = 'task.completed'`, [taskId])).toBe(1);
  }, 120_000);

  it('is found by a process that runs jobs, without anyone: the lost attempt fails, the next one completes', async () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-crash-')), 'attempts.log');
    const taskId = await killedMidStep(log);
    startWorker(log);
    await until(async () => (await assignmentOf(taskId)).status === 'COMPLETE', 'the step to complete', 60_000);
    const seen = await assignmentOf(taskId);
    expect(seen.assignments[0]).toMatchObject({
      status: 'SUBMITTED',
      attempts: 2,
      stuck: false,
      leaseExpiresAt: null,
      lastError: null,
    });
    // Attempt 1 (killed) and attempt 2 (finished): none lost, none twice.
    expect(attemptsLogged(log, taskId).map((a) => a.attempt)).toEqual([1, 2]);
    const events = await s.h.db.pool.query<{ type: string; payload: { error?: string } }>(
      `select type, payload from domain_event where task_id = $1 and type like 'machine.%' order by id`,
      [taskId],
    );
    expect(events.rows).toEqual([
      {
        type: 'machine.retry_scheduled',
        payload: expect.objectContaining({ attempt: 1, error: expect.stringContaining('its lease ran out') }),
      },
    ]);
    expect(await eventCount(s.h, `task_id = $1 and type = 'task.completed'`, [taskId])).toBe(1);
  }, 120_000);
});
