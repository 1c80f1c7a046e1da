// Assignment policies (spec §2.4, §3.11): who gets a task when it is created (entry level) and when it
// enters PENDING_REVIEW (reviewer) — the pool, a named worker, the worker of an earlier step, or a
// function of the workflow's own.
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { ProjectStatus } from '../../server/kernel/status.js';
import { Project } from '../../server/projects/project.entity.js';
import { Task } from '../../server/tasks/task.entity.js';
import {
  defineWorkflow,
  type AssignmentPolicyContext,
  type HumanStepDefinition,
} from '../../server/workflow/definition.js';
import type { Actor } from '../../server/kernel/actor.js';
import { useHarness, type Harness } from '../support/harness.js';

const NO_REVIEW = { policy: 'no_review' } as const;
const REVIEW_ONCE = { policy: 'sampled_review', rate: 1, maxReviews: 1 } as const;

/** One reviewed `write` step needing the writer certification, with the given assignment policies. */
const writeStep = (assignmentPolicy: HumanStepDefinition['assignmentPolicy']): HumanStepDefinition => ({
  kind: 'human',
  slug: 'write',
  name: 'Write',
  requiredCertifications: ['writer'],
  reviewPolicy: REVIEW_ONCE,
  assignmentPolicy,
});

/** first, second (anyone) → third (needs `senior`), given to the level-0 worker of the related steps. */
const previousSteps = (relatedSteps: string[]): HumanStepDefinition[] => [
  { kind: 'human', slug: 'first', name: 'First', reviewPolicy: NO_REVIEW },
  { kind: 'human', slug: 'second', name: 'Second', reviewPolicy: NO_REVIEW },
  {
    kind: 'human',
    slug: 'third',
    name: 'Third',
    creationDependsOn: ['first', 'second'],
    requiredCertifications: ['senior'],
    reviewPolicy: NO_REVIEW,
    assignmentPolicy: { entryLevel: { policy: 'previously_completed_steps', relatedSteps } },
  },
];

/** Calls of the function policy below. */
const calls: AssignmentPolicyContext[] = [];

/**
 * Names the usernames listed in the project data for the level asked (`entry` / `reviewers`); throws
 * when the project data says to at that level.
 */
function fromProjectData(ctx: AssignmentPolicyContext): string[] | null {
  calls.push(structuredClone(ctx));
  if (ctx.projectData.explodeAt === ctx.level) throw new Error(`No one is free at level ${ctx.level}`);
  const names = ctx.projectData[ctx.level === 0 ? 'entry' : 'reviewers'];
  return Array.isArray(names) ? (names as string[]) : null;
}

const assignWorkflow = defineWorkflow({
  slug: 'assign',
  name: 'Assignment policies',
  certifications: [
    { slug: 'writer', name: 'Writer' },
    { slug: 'senior', name: 'Senior' },
  ],
  versions: [
    {
      slug: 'pool',
      name: 'Anyone certified',
      steps: [writeStep({ entryLevel: { policy: 'anyone_certified' }, reviewer: { policy: 'anyone_certified' } })],
    },
    {
      slug: 'specified',
      name: 'Specified workers',
      steps: [
        writeStep({
          entryLevel: { policy: 'specified_worker', username: 'sam' },
          reviewer: { policy: 'specified_worker', username: 'rita' },
        }),
      ],
    },
    {
      slug: 'specified-uncertified',
      name: 'An uncertified specified worker',
      steps: [writeStep({ entryLevel: { policy: 'specified_worker', username: 'una' } })],
    },
    {
      slug: 'specified-unknown',
      name: 'An unknown specified worker',
      steps: [writeStep({ entryLevel: { policy: 'specified_worker', username: 'ghost' } })],
    },
    {
      slug: 'specified-reviewer-uncertified',
      name: 'A specified reviewer who is not certified to review',
      steps: [writeStep({ reviewer: { policy: 'specified_worker', username: 'ursula' } })],
    },
    { slug: 'previous', name: 'Previously completed steps', steps: previousSteps(['first', 'second']) },
    {
      slug: 'previous-reversed',
      name: 'Previously completed steps, second first',
      steps: previousSteps(['second', 'first']),
    },
    {
      slug: 'function',
      name: 'Function policies',
      steps: [writeStep({ entryLevel: fromProjectData, reviewer: fromProjectData })],
    },
  ],
});

let h: Harness;
let sam: Actor;
let rita: Actor;
beforeAll(async () => {
  h = await useHarness({ workflows: [assignWorkflow] });
  sam = await h.worker('sam', [['assign', 'writer', 'ENTRY_LEVEL']]);
  rita = await h.worker('rita', [['assign', 'writer', 'REVIEWER']]);
  // Ursula may write, but not review.
  await h.worker('ursula', [['assign', 'writer', 'ENTRY_LEVEL']]);
});

async function counts(): Promise<{ projects: number; tasks: number }> {
  const em = h.db.orm.em.fork();
  return { projects: await em.count(Project, {}), tasks: await em.count(Task, {}) };
}

async function complete(worker: Actor, projectId: number, slug: string): Promise<void> {
  const taskId = await h.taskId(projectId, slug);
  await h.lifecycle.claimTask(worker, taskId);
  await h.lifecycle.submitTask(worker, { taskId, data: { by: slug }, action: SubmitAction.SUBMIT });
  expect((await h.task(projectId, slug))!.status).toBe('COMPLETE');
}

describe('anyone_certified', () => {
  it('leaves the task in the pool at both levels', async () => {
    const pat = await h.worker('pat', [['assign', 'writer', 'ENTRY_LEVEL']]);
    const project = await h.project('assign', 'pool');
    let t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('AWAITING_PROCESSING');
    expect(t.assignments).toEqual([]);

    await h.lifecycle.claimTask(pat, t.id);
    await h.lifecycle.submitTask(pat, { taskId: t.id, data: { text: 'x' }, action: SubmitAction.SUBMIT });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('PENDING_REVIEW');
    expect(t.assignments.map((a) => [a.level, a.worker, a.status])).toEqual([[0, 'pat', 'SUBMITTED']]);
  });
});

describe('specified_worker', () => {
  it('assigns the named worker at creation and the named reviewer right after the submit', async () => {
    const project = await h.project('assign', 'specified');
    let t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toMatchObject([{ level: 0, worker: 'sam', status: 'PROCESSING', data: {} }]);
    expect(t.iterations).toMatchObject([{ level: 0, status: 'PROCESSING', ended: false }]);

    await h.lifecycle.submitTask(sam, { taskId: t.id, data: { text: 'by sam' }, action: SubmitAction.SUBMIT });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments).toMatchObject([
      { level: 0, worker: 'sam', status: 'SUBMITTED', data: { text: 'by sam' } },
      { level: 1, worker: 'rita', status: 'PROCESSING', data: { text: 'by sam' } },
    ]);
    expect(t.iterations.map((i) => [i.level, i.status, i.ended])).toEqual([
      [0, 'REQUESTED_REVIEW', true],
      [1, 'PROCESSING', false],
    ]);

    await h.lifecycle.submitTask(rita, {
      taskId: t.id,
      data: { text: 'by sam, checked' },
      action: SubmitAction.ACCEPT,
    });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('COMPLETE');
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
  });

  it('fails project creation with ASSIGNMENT_POLICY_ERROR when the named worker is not certified, creating nothing', async () => {
    await h.worker('una'); // exists, holds no certification
    const before = await counts();
    await expect(h.project('assign', 'specified-uncertified')).rejects.toMatchObject({
      code: 'ASSIGNMENT_POLICY_ERROR',
      message: 'Worker not certified for this task.',
    });
    expect(await counts()).toEqual(before);
  });

  it('fails project creation with ASSIGNMENT_POLICY_ERROR when no worker has that name, creating nothing', async () => {
    const before = await counts();
    await expect(h.project('assign', 'specified-unknown')).rejects.toMatchObject({
      code: 'ASSIGNMENT_POLICY_ERROR',
      message: 'Worker not found for the given username.',
    });
    expect(await counts()).toEqual(before);
  });

  it('fails the submit with ASSIGNMENT_POLICY_ERROR when the named reviewer is not certified, changing nothing', async () => {
    const walt = await h.worker('walt', [['assign', 'writer', 'ENTRY_LEVEL']]);
    const project = await h.project('assign', 'specified-reviewer-uncertified');
    const taskId = await h.taskId(project.id, 'write');
    await h.lifecycle.claimTask(walt, taskId);
    await h.lifecycle.saveTask(walt, { taskId, data: { text: 'saved' } });
    const before = await h.task(project.id, 'write');

    await expect(
      h.lifecycle.submitTask(walt, { taskId, data: { text: 'submitted' }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject({
      code: 'ASSIGNMENT_POLICY_ERROR',
      message: 'Worker not certified for this task.',
    });
    expect(await h.task(project.id, 'write')).toEqual(before);
    expect(before).toMatchObject({
      status: 'PROCESSING',
      assignments: [{ level: 0, worker: 'walt', status: 'PROCESSING', data: { text: 'saved' } }],
      iterations: [{ status: 'PROCESSING', ended: false }],
    });
  });
});

describe('previously_completed_steps', () => {
  it('gives the new task to the worker of the first related step', async () => {
    const alice = await h.worker('alice', [['assign', 'senior', 'ENTRY_LEVEL']]);
    const bob = await h.worker('bob', [['assign', 'senior', 'ENTRY_LEVEL']]);
    const project = await h.project('assign', 'previous');
    await complete(alice, project.id, 'first');
    expect(await h.task(project.id, 'third')).toBeNull();
    await complete(bob, project.id, 'second');
    const t = (await h.task(project.id, 'third'))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toMatchObject([{ level: 0, worker: 'alice', status: 'PROCESSING' }]);
    expect(t.iterations).toMatchObject([{ level: 0, status: 'PROCESSING', ended: false }]);
  });

  it('follows the order of the related steps, not the order of the workflow', async () => {
    const alice2 = await h.worker('alice2', [['assign', 'senior', 'ENTRY_LEVEL']]);
    const bob2 = await h.worker('bob2', [['assign', 'senior', 'ENTRY_LEVEL']]);
    const project = await h.project('assign', 'previous-reversed');
    await complete(alice2, project.id, 'first');
    await complete(bob2, project.id, 'second');
    expect((await h.task(project.id, 'third'))!.assignments).toMatchObject([
      { level: 0, worker: 'bob2', status: 'PROCESSING' },
    ]);
  });

  it('skips a worker who cannot take the task', async () => {
    const carl = await h.worker('carl'); // not senior
    const bob3 = await h.worker('bob3', [['assign', 'senior', 'ENTRY_LEVEL']]);
    const project = await h.project('assign', 'previous');
    await complete(carl, project.id, 'first');
    await complete(bob3, project.id, 'second');
    const t = (await h.task(project.id, 'third'))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toMatchObject([{ level: 0, worker: 'bob3', status: 'PROCESSING' }]);
  });

  it('leaves the task in the pool when no related worker can take it', async () => {
    const carl2 = await h.worker('carl2');
    const dan = await h.worker('dan');
    const project = await h.project('assign', 'previous');
    await complete(carl2, project.id, 'first');
    await complete(dan, project.id, 'second');
    const t = (await h.task(project.id, 'third'))!;
    expect(t.status).toBe('AWAITING_PROCESSING');
    expect(t.assignments).toEqual([]);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);
  });
});

describe('a function policy', () => {
  it('assigns the first of the usernames it returns who can take the task, at each level', async () => {
    const fiona = await h.worker('fiona', [['assign', 'writer', 'ENTRY_LEVEL']]);
    await h.worker('rex', [['assign', 'writer', 'REVIEWER']]);
    await h.worker('fn-uncertified');
    calls.length = 0;
    // Unknown and uncertified names are passed over; at review, fiona is already on the task.
    const projectData = {
      entry: ['nobody-by-this-name', 'fn-uncertified', 'fiona'],
      reviewers: ['fiona', 'ursula', 'rex'],
    };
    const project = await h.project('assign', 'function', { projectData });
    let t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('PROCESSING');
    expect(t.assignments).toMatchObject([{ level: 0, worker: 'fiona', status: 'PROCESSING' }]);
    expect(calls).toEqual([{ projectId: project.id, projectData, stepSlug: 'write', level: 0, prerequisites: {} }]);

    await h.lifecycle.submitTask(fiona, { taskId: t.id, data: { text: 'by fiona' }, action: SubmitAction.SUBMIT });
    t = (await h.task(project.id, 'write'))!;
    expect(t.status).toBe('REVIEWING');
    expect(t.assignments.map((a) => [a.level, a.worker, a.status])).toEqual([
      [0, 'fiona', 'SUBMITTED'],
      [1, 'rex', 'PROCESSING'],
    ]);
    expect(calls.map((c) => c.level)).toEqual([0, 1]);
  });

  it('leaves the task in the pool when it names nobody', async () => {
    const empty = await h.project('assign', 'function', { projectData: { entry: [] } });
    const none = await h.project('assign', 'function', { projectData: {} });
    for (const project of [empty, none]) {
      const t = (await h.task(project.id, 'write'))!;
      expect(t.status).toBe('AWAITING_PROCESSING');
      expect(t.assignments).toEqual([]);
    }
  });

  it('that throws fails project creation with ASSIGNMENT_POLICY_ERROR and the original message, creating nothing', async () => {
    const before = await counts();
    await expect(h.project('assign', 'function', { projectData: { explodeAt: 0 } })).rejects.toMatchObject({
      code: 'ASSIGNMENT_POLICY_ERROR',
      message: 'No one is free at level 0',
    });
    expect(await counts()).toEqual(before);
  });

  it('that throws at review fails the submit with ASSIGNMENT_POLICY_ERROR, changing nothing', async () => {
    const gina = await h.worker('gina', [['assign', 'writer', 'ENTRY_LEVEL']]);
    const project = await h.project('assign', 'function', { projectData: { entry: ['gina'], explodeAt: 1 } });
    const before = (await h.task(project.id, 'write'))!;
    expect(before.assignments).toMatchObject([{ level: 0, worker: 'gina', status: 'PROCESSING' }]);

    await expect(
      h.lifecycle.submitTask(gina, { taskId: before.id, data: { text: 'x' }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject({
      code: 'ASSIGNMENT_POLICY_ERROR',
      message: 'No one is free at level 1',
    });
    expect(await h.task(project.id, 'write')).toEqual(before);
    expect(before.status).toBe('PROCESSING');
  });
});
