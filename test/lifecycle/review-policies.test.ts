// Review policies (spec §2.4, §3.4–3.7): no_review, sampled review re-rolled at every level up to
// maxReviews, and the checks of save and submit with their exact errors. Draws for sampled review come
// from `h.draws` (pushed before a submit), so every sampling decision here is chosen by the test.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { ProjectStatus } from '../../server/kernel/status.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import type { Actor } from '../../server/kernel/actor.js';
import { useHarness, type Harness } from '../support/harness.js';

const reviewsWorkflow = defineWorkflow({
  slug: 'reviews',
  name: 'Review policies',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'none',
      name: 'No review',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
    {
      slug: 'sampled',
      name: 'Half the work reviewed, up to three levels',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 0.5, maxReviews: 3 },
        },
      ],
    },
    {
      slug: 'once',
      name: 'Always reviewed, once',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
        },
      ],
    },
    {
      slug: 'zero',
      name: 'maxReviews 0: never reviewed',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 0 },
        },
      ],
    },
    {
      slug: 'default',
      name: 'Default policy (rate 1, maxReviews 1)',
      steps: [{ kind: 'human', slug: 'write', name: 'Write', requiredCertifications: ['writer'] }],
    },
  ],
});

let h: Harness;
beforeAll(async () => {
  h = await useHarness({ workflows: [reviewsWorkflow] });
});
beforeEach(() => {
  h.draws.length = 0;
});

/** Fresh workers per test: `n` writers (entry level) and `m` reviewers. */
async function people(n: number, m: number): Promise<{ writers: Actor[]; reviewers: Actor[] }> {
  const writers: Actor[] = [];
  const reviewers: Actor[] = [];
  for (let i = 0; i < n; i++) writers.push(await h.worker('writer', [['reviews', 'writer', 'ENTRY_LEVEL']]));
  for (let i = 0; i < m; i++) reviewers.push(await h.worker('reviewer', [['reviews', 'writer', 'REVIEWER']]));
  return { writers, reviewers };
}

/** A new project of a version with its `write` task claimed by `worker`. */
async function claimed(version: string, worker: Actor): Promise<{ projectId: number; taskId: number }> {
  const project = await h.project('reviews', version);
  const taskId = await h.taskId(project.id, 'write');
  await h.lifecycle.claimTask(worker, taskId);
  return { projectId: project.id, taskId };
}

const snapshot = async (projectId: number) => (await h.task(projectId, 'write'))!;

describe('no_review', () => {
  it('completes the task at the submit, and the project with it', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('none', w!);
    h.draws.push(0); // would send a sampled policy to review; no_review never asks
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'done' }, action: SubmitAction.SUBMIT });
    const t = await snapshot(projectId);
    expect(t.status).toBe('COMPLETE');
    expect(t.assignments).toMatchObject([{ level: 0, status: 'SUBMITTED', data: { text: 'done' } }]);
    expect(t.iterations).toEqual([
      expect.objectContaining({ level: 0, status: 'REQUESTED_REVIEW', submittedData: { text: 'done' }, ended: true }),
    ]);
    expect(await h.projectStatus(projectId)).toBe(ProjectStatus.COMPLETED);
  });

  it('is also what maxReviews 0 means', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('zero', w!);
    h.draws.push(0);
    await h.lifecycle.submitTask(w!, { taskId, data: {}, action: SubmitAction.SUBMIT });
    expect((await snapshot(projectId)).status).toBe('COMPLETE');
  });
});

describe('sampled_review', () => {
  it('sends the work to review when the draw is under the rate', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('sampled', w!);
    h.draws.push(0.49);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
    expect(h.draws).toEqual([]);
    const t = await snapshot(projectId);
    expect(t.status).toBe('PENDING_REVIEW');
    expect(t.assignments).toMatchObject([{ level: 0, status: 'SUBMITTED', data: { text: 'draft' } }]);
    expect(await h.projectStatus(projectId)).toBe(ProjectStatus.ACTIVE);
  });

  it('completes the task when the draw is at or over the rate', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('sampled', w!);
    h.draws.push(0.5);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
    expect(h.draws).toEqual([]);
    expect((await snapshot(projectId)).status).toBe('COMPLETE');
    expect(await h.projectStatus(projectId)).toBe(ProjectStatus.COMPLETED);
  });

  it('re-rolls at every level: a reviewer’s accept completes when its draw says so', async () => {
    const {
      writers: [w],
      reviewers: [r1],
    } = await people(1, 1);
    const { projectId, taskId } = await claimed('sampled', w!);
    h.draws.push(0.1);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
    await h.lifecycle.claimTask(r1!, taskId);
    h.draws.push(0.9);
    await h.lifecycle.submitTask(r1!, { taskId, data: { text: 'edited' }, action: SubmitAction.ACCEPT });
    expect(h.draws).toEqual([]);
    const t = await snapshot(projectId);
    expect(t.status).toBe('COMPLETE');
    expect(t.assignments.map((a) => [a.level, a.status, a.data])).toEqual([
      [0, 'SUBMITTED', { text: 'draft' }],
      [1, 'SUBMITTED', { text: 'edited' }],
    ]);
  });

  it('re-rolls at every level up to maxReviews, then completes whatever the draw', async () => {
    const {
      writers: [w],
      reviewers,
    } = await people(1, 3);
    const { projectId, taskId } = await claimed('sampled', w!);
    h.draws.push(0.1);
    await h.lifecycle.submitTask(w!, { taskId, data: { v: 0 }, action: SubmitAction.SUBMIT });
    for (const [i, reviewer] of reviewers.entries()) {
      expect((await snapshot(projectId)).status).toBe('PENDING_REVIEW');
      await h.lifecycle.claimTask(reviewer, taskId);
      const t = await snapshot(projectId);
      expect(t.status).toBe('REVIEWING');
      expect(t.assignments[i + 1]).toMatchObject({ level: i + 1, status: 'PROCESSING', data: { v: i } });
      h.draws.length = 0;
      h.draws.push(0); // always under the rate
      await h.lifecycle.submitTask(reviewer, { taskId, data: { v: i + 1 }, action: SubmitAction.ACCEPT });
    }
    // Three reviewer levels made: the third reviewer's accept completes although its draw was 0.
    const t = await snapshot(projectId);
    expect(t.status).toBe('COMPLETE');
    expect(t.assignments.map((a) => a.level)).toEqual([0, 1, 2, 3]);
    expect(t.iterations.map((i) => [i.level, i.status])).toEqual([
      [0, 'REQUESTED_REVIEW'],
      [1, 'REQUESTED_REVIEW'],
      [2, 'REQUESTED_REVIEW'],
      [3, 'REQUESTED_REVIEW'],
    ]);
    expect(await h.projectStatus(projectId)).toBe(ProjectStatus.COMPLETED);
  });

  it('with rate 1 and maxReviews 1, always reviews once and the first reviewer’s accept completes', async () => {
    const {
      writers: [w],
      reviewers: [r1],
    } = await people(1, 1);
    for (const version of ['once', 'default']) {
      const { projectId, taskId } = await claimed(version, w!);
      h.draws.push(0.999);
      await h.lifecycle.submitTask(w!, { taskId, data: { text: version }, action: SubmitAction.SUBMIT });
      expect((await snapshot(projectId)).status).toBe('PENDING_REVIEW');
      h.draws.length = 0;
      await h.lifecycle.claimTask(r1!, taskId);
      h.draws.push(0);
      await h.lifecycle.submitTask(r1!, {
        taskId,
        data: { text: `${version}, accepted` },
        action: SubmitAction.ACCEPT,
      });
      const t = await snapshot(projectId);
      expect(t.status).toBe('COMPLETE');
      expect(t.assignments.map((a) => [a.level, a.status])).toEqual([
        [0, 'SUBMITTED'],
        [1, 'SUBMITTED'],
      ]);
      h.draws.length = 0;
    }
  });
});

describe('save', () => {
  it('updates the worker’s working copy and nothing else', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('once', w!);
    const before = await snapshot(projectId);

    const saved = await h.lifecycle.saveTask(w!, { taskId, data: { text: 'first try', n: 1 } });
    expect(saved.data).toEqual({ text: 'first try', n: 1 });
    await h.lifecycle.saveTask(w!, { taskId, data: { text: 'second try' } });
    const after = await snapshot(projectId);
    expect(after.status).toBe('PROCESSING');
    // A save replaces the working copy; it does not merge.
    expect(after.assignments).toEqual([{ ...before.assignments[0]!, data: { text: 'second try' } }]);
    expect(after.iterations).toEqual(before.iterations);
    expect(after.iterations).toMatchObject([{ status: 'PROCESSING', submittedData: {}, ended: false }]);
  });

  it('keeps each level’s own copy: a reviewer’s save leaves the entry-level data as submitted', async () => {
    const {
      writers: [w],
      reviewers: [r],
    } = await people(1, 1);
    const { projectId, taskId } = await claimed('once', w!);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'submitted' }, action: SubmitAction.SUBMIT });
    await h.lifecycle.claimTask(r!, taskId);
    await h.lifecycle.saveTask(r!, { taskId, data: { text: 'reviewer notes' } });
    const t = await snapshot(projectId);
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((a) => [a.level, a.status, a.data])).toEqual([
      [0, 'SUBMITTED', { text: 'submitted' }],
      [1, 'PROCESSING', { text: 'reviewer notes' }],
    ]);
  });

  it('refuses a worker with no assignment on the task', async () => {
    const {
      writers: [w, other],
    } = await people(2, 0);
    const { projectId, taskId } = await claimed('once', w!);
    const before = await snapshot(projectId);
    await expect(h.lifecycle.saveTask(other!, { taskId, data: { sneaky: true } })).rejects.toMatchObject({
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker is not associated with task',
    });
    expect(await snapshot(projectId)).toEqual(before);
  });

  it('refuses a worker who has submitted', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('once', w!);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'submitted' }, action: SubmitAction.SUBMIT });
    const before = await snapshot(projectId);
    await expect(h.lifecycle.saveTask(w!, { taskId, data: { text: 'afterthought' } })).rejects.toMatchObject({
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker is not allowed to save',
    });
    expect(await snapshot(projectId)).toEqual(before);
    expect(before.assignments).toMatchObject([{ status: 'SUBMITTED', data: { text: 'submitted' } }]);
  });

  it('refuses data that is not a JSON object with BAD_INPUT', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('once', w!);
    await h.lifecycle.saveTask(w!, { taskId, data: { kept: true } });
    const before = await snapshot(projectId);
    for (const bad of [null, 'text', 7, ['a']]) {
      await expect(h.lifecycle.saveTask(w!, { taskId, data: bad })).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: 'data must be a JSON object.',
      });
    }
    expect(await snapshot(projectId)).toEqual(before);
  });
});

describe('submit errors (each changes nothing)', () => {
  it('Task already completed (TASK_STATUS_ERROR) for a complete task', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('none', w!);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'done' }, action: SubmitAction.SUBMIT });
    const before = await snapshot(projectId);
    for (const action of [SubmitAction.SUBMIT, SubmitAction.ACCEPT, SubmitAction.REJECT]) {
      await expect(h.lifecycle.submitTask(w!, { taskId, data: { text: 'again' }, action })).rejects.toMatchObject({
        code: 'TASK_STATUS_ERROR',
        message: 'Task already completed',
      });
    }
    expect(await snapshot(projectId)).toEqual(before);
  });

  it('Task not in rejectable state. for a reject at the entry level', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('once', w!);
    await h.lifecycle.saveTask(w!, { taskId, data: { text: 'saved' } });
    const before = await snapshot(projectId);
    await expect(
      h.lifecycle.submitTask(w!, { taskId, data: { text: 'rejecting' }, action: SubmitAction.REJECT }),
    ).rejects.toMatchObject({
      code: 'ILLEGAL_TASK_SUBMISSION',
      message: 'Task not in rejectable state.',
    });
    const after = await snapshot(projectId);
    expect(after).toEqual(before);
    expect(after).toMatchObject({
      status: 'PROCESSING',
      assignments: [{ status: 'PROCESSING', data: { text: 'saved' } }],
    });
  });

  it('Task assignment with worker is in broken state. for a worker with no assignment', async () => {
    const {
      writers: [w, other],
    } = await people(2, 0);
    const { projectId, taskId } = await claimed('once', w!);
    const before = await snapshot(projectId);
    await expect(
      h.lifecycle.submitTask(other!, { taskId, data: {}, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject({
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Task assignment with worker is in broken state.',
    });
    expect(await snapshot(projectId)).toEqual(before);
  });

  it('Worker is not allowed to submit for a worker whose assignment is SUBMITTED', async () => {
    const {
      writers: [w],
      reviewers: [r],
    } = await people(1, 1);
    const { projectId, taskId } = await claimed('once', w!);
    await h.lifecycle.submitTask(w!, { taskId, data: { text: 'submitted' }, action: SubmitAction.SUBMIT });
    const denied = { code: 'ILLEGAL_TASK_SUBMISSION', message: 'Worker is not allowed to submit' };

    // Waiting for a reviewer…
    let before = await snapshot(projectId);
    expect(before.status).toBe('PENDING_REVIEW');
    await expect(
      h.lifecycle.submitTask(w!, { taskId, data: { text: 'again' }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject(denied);
    expect(await snapshot(projectId)).toEqual(before);

    // …and while the reviewer works.
    await h.lifecycle.claimTask(r!, taskId);
    before = await snapshot(projectId);
    expect(before.status).toBe('REVIEWING');
    await expect(
      h.lifecycle.submitTask(w!, { taskId, data: { text: 'again' }, action: SubmitAction.ACCEPT }),
    ).rejects.toMatchObject(denied);
    expect(await snapshot(projectId)).toEqual(before);
  });

  it('invalid data (not a JSON object) is BAD_INPUT', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    const { projectId, taskId } = await claimed('once', w!);
    await h.lifecycle.saveTask(w!, { taskId, data: { kept: true } });
    const before = await snapshot(projectId);
    for (const bad of [null, undefined, 'text', 3, [1, 2]]) {
      await expect(
        h.lifecycle.submitTask(w!, { taskId, data: bad, action: SubmitAction.SUBMIT }),
      ).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: 'data must be a JSON object.',
      });
    }
    await expect(
      h.lifecycle.submitTask(w!, { taskId, data: {}, action: 'APPROVE' as SubmitAction }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'Illegal command',
    });
    expect(await snapshot(projectId)).toEqual(before);
  });

  it('an unknown task is NOT_FOUND', async () => {
    const {
      writers: [w],
    } = await people(1, 0);
    await expect(
      h.lifecycle.submitTask(w!, { taskId: 999999, data: {}, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No task for given id',
    });
    await expect(h.lifecycle.saveTask(w!, { taskId: 999999, data: {} })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No task for given id',
    });
  });
});
