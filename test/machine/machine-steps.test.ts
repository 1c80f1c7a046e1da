// Machine steps through the real job queue (graphile-worker on the test database): a machine step
// runs by itself after its task is created, feeds the human step after it, retries a failing
// function with backoff, ends FAILED after its last attempt, and completes when an admin re-runs it.
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { defineWorkflow, type Prerequisites } from '../../server/workflow/definition.js';
import { loadConfig } from '../../server/config.js';
import { useHarness, type Harness } from '../support/harness.js';

const calls: { projectData: Record<string, unknown>; prerequisites: Prerequisites }[] = [];
let failuresLeft = 0;

const machineWorkflow = defineWorkflow({
  slug: 'machine',
  name: 'Machine then human',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        {
          kind: 'machine',
          slug: 'extract',
          name: 'Extract an image',
          run: async (projectData, prerequisites) => {
            calls.push({ projectData, prerequisites });
            return { image: `${projectData.url as string}/image.png` };
          },
        },
        {
          kind: 'human',
          slug: 'rate',
          name: 'Rate the image',
          creationDependsOn: ['extract'],
          reviewPolicy: { policy: 'no_review' },
        },
        {
          kind: 'machine',
          slug: 'publish',
          name: 'Publish',
          creationDependsOn: ['rate'],
          run: (_data, prerequisites) => ({ published: true, rating: prerequisites.rate!.rating! }),
        },
      ],
    },
    {
      slug: 'flaky',
      name: 'Flaky machine step',
      steps: [
        {
          kind: 'machine',
          slug: 'fetch',
          name: 'Fetch',
          maxAttempts: 3,
          run: () => {
            if (failuresLeft > 0) {
              failuresLeft--;
              throw new Error('upstream service unavailable');
            }
            return { fetched: true };
          },
        },
        {
          kind: 'human',
          slug: 'check',
          name: 'Check',
          creationDependsOn: ['fetch'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
    {
      slug: 'rollback',
      name: 'Fails after queueing a machine job',
      steps: [
        { kind: 'machine', slug: 'first', name: 'First', run: () => ({}) },
        {
          kind: 'human',
          slug: 'second',
          name: 'Second',
          assignmentPolicy: { entryLevel: { policy: 'specified_worker', username: 'nobody' } },
        },
      ],
    },
  ],
});

let h: Harness;
beforeAll(async () => {
  h = await useHarness({
    workflows: [machineWorkflow],
    jobs: true,
    config: {
      machine: { ...loadConfig().machine, maxAttempts: 3, retryBaseDelayMs: 50 },
      jobs: { inProcess: true, concurrency: 2 },
    },
  });
});

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('machine steps', () => {
  it('run end to end: machine → human → machine, with prerequisites and project data', async () => {
    const worker = await h.worker('rater');
    const project = await h.project('machine', 'v1', { projectData: { url: 'https://example.org' } });
    const extract = await waitFor(
      'extract to complete',
      () => h.task(project.id, 'extract'),
      (t) => t?.status === 'COMPLETE',
    );
    expect(extract!.assignments).toMatchObject([
      { level: 0, worker: null, status: 'SUBMITTED', data: { image: 'https://example.org/image.png' } },
    ]);
    expect(extract!.iterations).toMatchObject([{ status: 'REQUESTED_REVIEW', ended: true }]);
    expect(calls[0]!.projectData).toEqual({ url: 'https://example.org', project_id: project.id });
    expect(calls[0]!.prerequisites).toEqual({});

    const rateId = await h.taskId(project.id, 'rate');
    await h.lifecycle.claimTask(worker, rateId);
    await h.lifecycle.submitTask(worker, { taskId: rateId, data: { rating: 5 }, action: SubmitAction.SUBMIT });

    const publish = await waitFor(
      'publish to complete',
      () => h.task(project.id, 'publish'),
      (t) => t?.status === 'COMPLETE',
    );
    expect(publish!.assignments[0]!.data).toEqual({ published: true, rating: 5 });
    await waitFor(
      'project to complete',
      () => h.projectStatus(project.id),
      (s) => s === 4 /* COMPLETED */,
    );
  });

  it('retries a failing function, succeeds within its attempts, and keeps no error', async () => {
    failuresLeft = 2;
    const project = await h.project('machine', 'flaky');
    const fetch = await waitFor(
      'fetch to complete',
      () => h.task(project.id, 'fetch'),
      (t) => t?.status === 'COMPLETE',
    );
    expect(fetch!.assignments[0]).toMatchObject({
      status: 'SUBMITTED',
      attempts: 3,
      lastError: null,
      data: { fetched: true },
    });
    expect((await h.task(project.id, 'check'))!.status).toBe('AWAITING_PROCESSING');
  });

  it('ends FAILED after its last attempt with the error kept, and completes when an admin re-runs it', async () => {
    failuresLeft = 3;
    const project = await h.project('machine', 'flaky');
    const failed = await waitFor(
      'fetch to fail',
      () => h.task(project.id, 'fetch'),
      (t) => t?.assignments[0]?.status === 'FAILED',
    );
    expect(failed!.status).toBe('PROCESSING');
    expect(failed!.assignments[0]).toMatchObject({ attempts: 3, lastError: 'upstream service unavailable' });
    expect(await h.task(project.id, 'check')).toBeNull();

    // Nothing retries by itself any more.
    await new Promise((r) => setTimeout(r, 400));
    expect((await h.task(project.id, 'fetch'))!.assignments[0]!.status).toBe('FAILED');

    // Only admins may re-run; a plain worker is refused and nothing changes.
    const worker = await h.worker('not-admin');
    await expect(h.lifecycle.rerunMachineStep(worker, failed!.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    await h.lifecycle.rerunMachineStep(h.admin, failed!.id);
    const done = await waitFor(
      'fetch to complete after re-run',
      () => h.task(project.id, 'fetch'),
      (t) => t?.status === 'COMPLETE',
    );
    expect(done!.assignments[0]).toMatchObject({ status: 'SUBMITTED', lastError: null, data: { fetched: true } });
    expect(done!.iterations).toHaveLength(1);
    expect((await h.task(project.id, 'check'))!.status).toBe('AWAITING_PROCESSING');
  });

  it('refuses to re-run a machine step that has not failed, and a human step', async () => {
    failuresLeft = 0;
    const project = await h.project('machine', 'flaky');
    const fetch = await waitFor(
      'fetch to complete',
      () => h.task(project.id, 'fetch'),
      (t) => t?.status === 'COMPLETE',
    );
    await expect(h.lifecycle.rerunMachineStep(h.admin, fetch!.id)).rejects.toMatchObject({
      code: 'MACHINE_EXECUTION_ERROR',
    });
    const checkId = await h.taskId(project.id, 'check');
    await expect(h.lifecycle.rerunMachineStep(h.admin, checkId)).rejects.toMatchObject({
      code: 'MACHINE_EXECUTION_ERROR',
      message: 'Step worker type is not machine',
    });
  });

  it('queues the job in the creating transaction: a rolled-back project leaves no job and no task', async () => {
    const count = async (sql: string) => (await h.db.pool.query(sql)).rows[0].n as number;
    // Machine-step jobs only: the notifications consumer adds jobs of its own for earlier events meanwhile.
    const machineJobs = `select count(*)::int as n from graphile_worker.jobs where task_identifier = 'machine_step'`;
    const jobsBefore = await count(machineJobs);
    const tasksBefore = await count(`select count(*)::int as n from task`);
    // The machine task is created (and its job queued) before the human step's policy fails.
    await expect(h.project('machine', 'rollback')).rejects.toMatchObject({ code: 'ASSIGNMENT_POLICY_ERROR' });
    expect(await count(machineJobs)).toBe(jobsBefore);
    expect(await count(`select count(*)::int as n from task`)).toBe(tasksBefore);
  });
});
