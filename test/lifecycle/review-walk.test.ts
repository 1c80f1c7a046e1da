// The multi-level review walk of spec §3.4–3.5: statuses, levels, iterations and data at each step.
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { useHarness, type Harness } from '../support/harness.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [reviewWorkflow] });
});

describe('two-level review walk (max_reviews 2, rate 1)', () => {
  it('moves through every status with data flowing up and down', async () => {
    const w0 = await h.worker('w0', [['review', 'writer', 'ENTRY_LEVEL']]);
    const w1 = await h.worker('w1', [['review', 'writer', 'REVIEWER']]);
    const w3 = await h.worker('w3', [['review', 'writer', 'REVIEWER']]);
    const project = await h.project('review');
    const taskId = await h.taskId(project.id, 'write');
    expect((await h.task(project.id, 'write'))!.status).toBe('AWAITING_PROCESSING');

    await h.lifecycle.claimTask(w0, taskId);
    expect((await h.task(project.id, 'write'))!.status).toBe('PROCESSING');

    await h.lifecycle.submitTask(w0, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
    let t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('PENDING_REVIEW');
    expect(t.assignments.map((a) => [a.level, a.worker, a.status])).toEqual([[0, 'w0', 'SUBMITTED']]);

    await h.lifecycle.claimTask(w1, taskId);
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments[1]).toMatchObject({ level: 1, worker: 'w1', status: 'PROCESSING', data: { text: 'draft' } });

    await h.lifecycle.submitTask(w1, { taskId, data: { text: 'draft, edited' }, action: SubmitAction.ACCEPT });
    expect((await h.task(project.id, 'write'))!.status).toBe('PENDING_REVIEW');

    await h.lifecycle.claimTask(w3, taskId);
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments[2]).toMatchObject({ level: 2, worker: 'w3', data: { text: 'draft, edited' } });

    await h.lifecycle.submitTask(w3, {
      taskId,
      data: { text: 'needs work', note: 'fix it' },
      action: SubmitAction.REJECT,
    });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('POST_REVIEW_PROCESSING');
    expect(t.assignments.map((a) => a.status)).toEqual(['SUBMITTED', 'PROCESSING', 'SUBMITTED']);
    expect(t.assignments[1]!.data).toEqual({ text: 'needs work', note: 'fix it' });

    // The middle reviewer who was returned work cannot reject further down.
    await expect(h.lifecycle.submitTask(w1, { taskId, data: {}, action: SubmitAction.REJECT })).rejects.toMatchObject({
      code: 'ILLEGAL_TASK_SUBMISSION',
      message: 'Task not in rejectable state.',
    });

    await h.lifecycle.submitTask(w1, { taskId, data: { text: 'fixed' }, action: SubmitAction.SUBMIT });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments[2]).toMatchObject({ status: 'PROCESSING', data: { text: 'fixed' } });

    await h.lifecycle.submitTask(w3, { taskId, data: { text: 'final' }, action: SubmitAction.ACCEPT });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('COMPLETE');
    expect(t.assignments.map((a) => a.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);
    // Iterations: up, up, down, up, up — by level 0,1,2,1,2.
    expect(t.iterations.map((i) => [i.level, i.status])).toEqual([
      [0, 'REQUESTED_REVIEW'],
      [1, 'REQUESTED_REVIEW'],
      [2, 'PROVIDED_REVIEW'],
      [1, 'REQUESTED_REVIEW'],
      [2, 'REQUESTED_REVIEW'],
    ]);
    expect(t.iterations.every((i) => i.ended)).toBe(true);
    // The only task is done: the project completes by itself.
    expect(await h.projectStatus(project.id)).toBe(4 /* COMPLETED */);
  });
});
