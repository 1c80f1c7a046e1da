// Projects (spec §2.7, §3.10, §3.12, §3.14, §3.15): creating a project makes its first tasks, tasks
// follow their creation dependencies (branches and joins), prerequisites carry each upstream step's
// final data, creation policies decide whether a step gets a task, submission dependencies hold
// submissions back, and the project completes, pauses, resumes and ends.
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { ProjectStatus } from '../../server/kernel/status.js';
import { Project } from '../../server/projects/project.entity.js';
import { Task } from '../../server/tasks/task.entity.js';
import {
  defineWorkflow,
  type AssignmentPolicyContext,
  type JsonObject,
  type Prerequisites,
} from '../../server/workflow/definition.js';
import type { Actor } from '../../server/kernel/actor.js';
import { useHarness, type Harness } from '../support/harness.js';
import { diamondWorkflow } from '../workflows/fixtures.js';

const NO_REVIEW = { policy: 'no_review' } as const;
const REVIEW_ONCE = { policy: 'sampled_review', rate: 1, maxReviews: 1 } as const;

// ---- workflows of this file -------------------------------------------------------------

/** What the recording policies of `recordedDiamond` were called with. */
const seen: {
  creation: { step: string; prerequisites: Prerequisites; projectData: JsonObject }[];
  assignment: AssignmentPolicyContext[];
} = { creation: [], assignment: [] };

const recordCreation = (step: string) => (prerequisites: Prerequisites, projectData: JsonObject) => {
  seen.creation.push({
    step,
    prerequisites: structuredClone(prerequisites),
    projectData: structuredClone(projectData),
  });
  return true;
};

/** The diamond again, with policies that record the prerequisites they receive; C is reviewed once. */
const recordedDiamond = defineWorkflow({
  slug: 'diamond-recorded',
  name: 'Diamond with recording policies',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        { kind: 'human', slug: 'a', name: 'A', reviewPolicy: NO_REVIEW },
        { kind: 'human', slug: 'b', name: 'B', reviewPolicy: NO_REVIEW },
        { kind: 'human', slug: 'c', name: 'C', creationDependsOn: ['a'], reviewPolicy: REVIEW_ONCE },
        { kind: 'human', slug: 'd', name: 'D', creationDependsOn: ['b'], reviewPolicy: NO_REVIEW },
        {
          kind: 'human',
          slug: 'e',
          name: 'E',
          creationDependsOn: ['c', 'd'],
          reviewPolicy: NO_REVIEW,
          creationPolicy: recordCreation('e'),
        },
        { kind: 'human', slug: 'f', name: 'F', creationDependsOn: ['e'], reviewPolicy: NO_REVIEW },
        {
          kind: 'human',
          slug: 'g',
          name: 'G',
          creationDependsOn: ['f'],
          reviewPolicy: NO_REVIEW,
          creationPolicy: recordCreation('g'),
        },
        {
          kind: 'human',
          slug: 'h',
          name: 'H',
          creationDependsOn: ['f'],
          reviewPolicy: NO_REVIEW,
          assignmentPolicy: {
            entryLevel: (ctx) => {
              seen.assignment.push(structuredClone(ctx));
              return [];
            },
          },
        },
      ],
    },
  ],
});

/** `main` ends the project when it completes; `side` may still be open then. */
const endsWorkflow = defineWorkflow({
  slug: 'ends',
  name: 'Completion ends project',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        { kind: 'human', slug: 'side', name: 'Side', reviewPolicy: NO_REVIEW },
        { kind: 'human', slug: 'main', name: 'Main', reviewPolicy: NO_REVIEW, completionEndsProject: true },
      ],
    },
  ],
});

/** Gates opened by the tests: the `gated` step is created once its project's gate is open. */
const openGates = new Set<string>();

const conditionalWorkflow = defineWorkflow({
  slug: 'conditional',
  name: 'Creation policies',
  versions: [
    {
      slug: 'v1',
      name: 'Never and wanted',
      steps: [
        { kind: 'human', slug: 'first', name: 'First', reviewPolicy: NO_REVIEW },
        {
          kind: 'human',
          slug: 'never',
          name: 'Never',
          creationDependsOn: ['first'],
          reviewPolicy: NO_REVIEW,
          creationPolicy: () => false,
        },
        {
          kind: 'human',
          slug: 'wanted',
          name: 'Wanted',
          creationDependsOn: ['first'],
          reviewPolicy: NO_REVIEW,
          creationPolicy: (prerequisites) => prerequisites.first?.want === true,
        },
      ],
    },
    {
      slug: 'risky',
      name: 'A policy that throws after the first step',
      steps: [
        { kind: 'human', slug: 'first', name: 'First', reviewPolicy: NO_REVIEW },
        {
          kind: 'human',
          slug: 'risky',
          name: 'Risky',
          creationDependsOn: ['first'],
          reviewPolicy: NO_REVIEW,
          creationPolicy: (_prerequisites, projectData) => {
            if (projectData.explode) throw new Error(`Cannot decide: ${String(projectData.explode)}`);
            return true;
          },
        },
      ],
    },
    {
      slug: 'risky-root',
      name: 'A policy that throws at project creation',
      steps: [
        { kind: 'human', slug: 'fine', name: 'Fine', reviewPolicy: NO_REVIEW },
        {
          kind: 'human',
          slug: 'broken',
          name: 'Broken',
          reviewPolicy: NO_REVIEW,
          creationPolicy: () => {
            throw new Error('The policy is broken.');
          },
        },
      ],
    },
    {
      slug: 'gated',
      name: 'Created when a gate opens',
      steps: [
        { kind: 'human', slug: 'work', name: 'Work', reviewPolicy: NO_REVIEW },
        {
          kind: 'human',
          slug: 'gated',
          name: 'Gated',
          reviewPolicy: NO_REVIEW,
          creationPolicy: (_prerequisites, projectData) => openGates.has(String(projectData.gate)),
        },
      ],
    },
  ],
});

const submissionWorkflow = defineWorkflow({
  slug: 'subdeps',
  name: 'Submission dependencies',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        { kind: 'human', slug: 'draft', name: 'Draft', reviewPolicy: REVIEW_ONCE },
        { kind: 'human', slug: 'check', name: 'Check', reviewPolicy: NO_REVIEW, submissionDependsOn: ['draft'] },
      ],
    },
  ],
});

// ---- helpers ------------------------------------------------------------------------------

let h: Harness;
beforeAll(async () => {
  h = await useHarness({
    workflows: [diamondWorkflow, recordedDiamond, endsWorkflow, conditionalWorkflow, submissionWorkflow],
  });
});

const DIAMOND = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** Status of each step's task (null: the step has no task). */
async function statuses(projectId: number, slugs: string[]): Promise<Record<string, string | null>> {
  const result: Record<string, string | null> = {};
  for (const slug of slugs) result[slug] = (await h.task(projectId, slug))?.status ?? null;
  return result;
}

async function counts(): Promise<{ projects: number; tasks: number }> {
  const em = h.db.orm.em.fork();
  return { projects: await em.count(Project, {}), tasks: await em.count(Task, {}) };
}

/** A worker claims a step's task and submits it (a no_review step then completes). */
async function claimAndSubmit(worker: Actor, projectId: number, slug: string, data: JsonObject): Promise<void> {
  const taskId = await h.taskId(projectId, slug);
  await h.lifecycle.claimTask(worker, taskId);
  await h.lifecycle.submitTask(worker, { taskId, data, action: SubmitAction.SUBMIT });
}

// ---- creation -------------------------------------------------------------------------------

describe('creating a project', () => {
  it('makes the tasks of the steps with no creation dependencies, waiting for a worker', async () => {
    const project = await h.project('diamond', 'v1', {
      description: 'new diamond',
      priority: 3,
      projectData: { topic: 'rivers' },
    });
    expect(project.status).toBe(ProjectStatus.ACTIVE);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);
    const stored = await h.db.orm.em.fork().findOneOrFail(Project, { id: project.id });
    expect(stored).toMatchObject({ shortDescription: 'new diamond', priority: 3, projectData: { topic: 'rivers' } });
    expect(await statuses(project.id, DIAMOND)).toEqual({
      a: 'AWAITING_PROCESSING',
      b: 'AWAITING_PROCESSING',
      c: null,
      d: null,
      e: null,
      f: null,
      g: null,
      h: null,
    });
    const a = (await h.task(project.id, 'a'))!;
    expect(a.assignments).toEqual([]);
    expect(a.iterations).toEqual([]);
  });

  it('refuses an unknown workflow or version with NOT_FOUND (as an unknown certification is) and creates nothing', async () => {
    const before = await counts();
    await expect(h.project('nope', 'v1')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'WorkflowVersion matching query does not exist.',
    });
    await expect(h.project('diamond', 'v9')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'WorkflowVersion matching query does not exist.',
      details: { slug: 'diamond/v9' },
    });
    expect(await counts()).toEqual(before);
  });

  it('refuses project data that is not a JSON object with BAD_INPUT and creates nothing', async () => {
    const before = await counts();
    for (const bad of [[1, 2], 'text', 42, true]) {
      await expect(h.project('diamond', 'v1', { projectData: bad as unknown as JsonObject })).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: 'projectData must be a JSON object.',
      });
    }
    expect(await counts()).toEqual(before);
  });
});

// ---- the diamond ------------------------------------------------------------------------------

describe('the diamond workflow (spec §2.7): A, B → C(A), D(B) → E(C, D) → F → G, H', () => {
  it('runs the branches in parallel, joins at E only when both C and D are complete, and completes with its last task', async () => {
    const wa = await h.worker('diamond-a');
    const wb = await h.worker('diamond-b');
    const project = await h.project('diamond');

    // Both branches can be worked on at the same time.
    await h.lifecycle.claimTask(wa, await h.taskId(project.id, 'a'));
    await h.lifecycle.claimTask(wb, await h.taskId(project.id, 'b'));
    expect(await statuses(project.id, ['a', 'b'])).toEqual({ a: 'PROCESSING', b: 'PROCESSING' });

    await h.lifecycle.submitTask(wa, {
      taskId: await h.taskId(project.id, 'a'),
      data: { from: 'a' },
      action: SubmitAction.SUBMIT,
    });
    expect(await statuses(project.id, DIAMOND)).toEqual({
      a: 'COMPLETE',
      b: 'PROCESSING',
      c: 'AWAITING_PROCESSING',
      d: null,
      e: null,
      f: null,
      g: null,
      h: null,
    });

    await h.lifecycle.submitTask(wb, {
      taskId: await h.taskId(project.id, 'b'),
      data: { from: 'b' },
      action: SubmitAction.SUBMIT,
    });
    expect(await statuses(project.id, DIAMOND)).toEqual({
      a: 'COMPLETE',
      b: 'COMPLETE',
      c: 'AWAITING_PROCESSING',
      d: 'AWAITING_PROCESSING',
      e: null,
      f: null,
      g: null,
      h: null,
    });

    // C alone does not open the join.
    await claimAndSubmit(wa, project.id, 'c', { from: 'c' });
    expect(await statuses(project.id, ['c', 'd', 'e'])).toEqual({ c: 'COMPLETE', d: 'AWAITING_PROCESSING', e: null });
    // D in progress does not either.
    await h.lifecycle.claimTask(wb, await h.taskId(project.id, 'd'));
    expect(await statuses(project.id, ['d', 'e'])).toEqual({ d: 'PROCESSING', e: null });
    await h.lifecycle.submitTask(wb, {
      taskId: await h.taskId(project.id, 'd'),
      data: { from: 'd' },
      action: SubmitAction.SUBMIT,
    });
    expect(await statuses(project.id, ['c', 'd', 'e', 'f'])).toEqual({
      c: 'COMPLETE',
      d: 'COMPLETE',
      e: 'AWAITING_PROCESSING',
      f: null,
    });

    await claimAndSubmit(wa, project.id, 'e', { from: 'e' });
    expect(await statuses(project.id, ['e', 'f', 'g', 'h'])).toEqual({
      e: 'COMPLETE',
      f: 'AWAITING_PROCESSING',
      g: null,
      h: null,
    });

    await claimAndSubmit(wb, project.id, 'f', { from: 'f' });
    expect(await statuses(project.id, ['f', 'g', 'h'])).toEqual({
      f: 'COMPLETE',
      g: 'AWAITING_PROCESSING',
      h: 'AWAITING_PROCESSING',
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);

    // G and H in parallel; the project is not complete while H is open.
    await h.lifecycle.claimTask(wa, await h.taskId(project.id, 'g'));
    await h.lifecycle.claimTask(wb, await h.taskId(project.id, 'h'));
    await h.lifecycle.submitTask(wa, {
      taskId: await h.taskId(project.id, 'g'),
      data: { from: 'g' },
      action: SubmitAction.SUBMIT,
    });
    expect(await statuses(project.id, ['g', 'h'])).toEqual({ g: 'COMPLETE', h: 'PROCESSING' });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);

    await h.lifecycle.submitTask(wb, {
      taskId: await h.taskId(project.id, 'h'),
      data: { from: 'h' },
      action: SubmitAction.SUBMIT,
    });
    expect(Object.values(await statuses(project.id, DIAMOND))).toEqual(Array(8).fill('COMPLETE'));
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
  });

  it('gives policies transitive prerequisites carrying each upstream step’s final data, keyed by slug', async () => {
    seen.creation.length = 0;
    seen.assignment.length = 0;
    const w = await h.worker('recorder');
    const reviewer = await h.worker('recorder-reviewer');
    const project = await h.project('diamond-recorded', 'v1', { projectData: { topic: 'bridges' } });

    await claimAndSubmit(w, project.id, 'a', { from: 'a', n: 1 });
    await claimAndSubmit(w, project.id, 'b', { from: 'b', n: 2 });
    // C is reviewed: the reviewer's accepted data is C's final data, not the entry-level submission.
    await claimAndSubmit(w, project.id, 'c', { from: 'c', draft: true });
    const cId = await h.taskId(project.id, 'c');
    expect((await h.task(project.id, 'c'))!.status).toBe('PENDING_REVIEW');
    await h.lifecycle.claimTask(reviewer, cId);
    await h.lifecycle.submitTask(reviewer, {
      taskId: cId,
      data: { from: 'c', reviewed: true },
      action: SubmitAction.ACCEPT,
    });
    expect((await h.task(project.id, 'c'))!.status).toBe('COMPLETE');
    expect(seen.creation).toEqual([]); // E's policy is asked only once both C and D are complete

    await claimAndSubmit(w, project.id, 'd', { from: 'd', list: [1, 2, 3] });
    expect(seen.creation).toEqual([
      {
        step: 'e',
        prerequisites: {
          a: { from: 'a', n: 1 },
          b: { from: 'b', n: 2 },
          c: { from: 'c', reviewed: true },
          d: { from: 'd', list: [1, 2, 3] },
        },
        projectData: { topic: 'bridges' },
      },
    ]);

    await claimAndSubmit(w, project.id, 'e', { from: 'e' });
    await claimAndSubmit(w, project.id, 'f', { from: 'f' });
    const upToF = {
      a: { from: 'a', n: 1 },
      b: { from: 'b', n: 2 },
      c: { from: 'c', reviewed: true },
      d: { from: 'd', list: [1, 2, 3] },
      e: { from: 'e' },
      f: { from: 'f' },
    };
    expect(seen.creation.slice(1)).toEqual([{ step: 'g', prerequisites: upToF, projectData: { topic: 'bridges' } }]);
    // H's entry-level assignment policy sees the same transitive prerequisites.
    expect(seen.assignment).toEqual([
      { projectId: project.id, projectData: { topic: 'bridges' }, stepSlug: 'h', level: 0, prerequisites: upToF },
    ]);
    // It named nobody: H waits in the pool.
    const hTask = (await h.task(project.id, 'h'))!;
    expect(hTask.status).toBe('AWAITING_PROCESSING');
    expect(hTask.assignments).toEqual([]);
  });
});

// ---- completion -------------------------------------------------------------------------------

describe('completionEndsProject', () => {
  it('completes the project when that step completes, leaving other tasks open as they are', async () => {
    const ws = await h.worker('ends-side');
    const wm = await h.worker('ends-main');
    const project = await h.project('ends');
    const sideId = await h.taskId(project.id, 'side');
    await h.lifecycle.claimTask(ws, sideId);
    await h.lifecycle.saveTask(ws, { taskId: sideId, data: { side: 'started' } });

    await claimAndSubmit(wm, project.id, 'main', { done: true });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
    const side = (await h.task(project.id, 'side'))!;
    expect(side.status).toBe('PROCESSING');
    expect(side.assignments.map((a) => [a.worker, a.status])).toEqual([['ends-side', 'PROCESSING']]);
    expect((await h.task(project.id, 'main'))!.status).toBe('COMPLETE');
  });
});

// ---- creation policies ------------------------------------------------------------------------

describe('creation policies', () => {
  it('a policy returning false means the step never gets a task, and the project still completes', async () => {
    const w = await h.worker('cond-1');
    const project = await h.project('conditional');
    expect(await statuses(project.id, ['first', 'never', 'wanted'])).toEqual({
      first: 'AWAITING_PROCESSING',
      never: null,
      wanted: null,
    });

    await claimAndSubmit(w, project.id, 'first', { want: false });
    expect(await statuses(project.id, ['first', 'never', 'wanted'])).toEqual({
      first: 'COMPLETE',
      never: null,
      wanted: null,
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
  });

  it('a policy reading the prerequisites creates its step when they say so', async () => {
    const w = await h.worker('cond-2');
    const project = await h.project('conditional');
    await claimAndSubmit(w, project.id, 'first', { want: true });
    expect(await statuses(project.id, ['first', 'never', 'wanted'])).toEqual({
      first: 'COMPLETE',
      never: null,
      wanted: 'AWAITING_PROCESSING',
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);

    await claimAndSubmit(w, project.id, 'wanted', {});
    expect(await statuses(project.id, ['first', 'never', 'wanted'])).toEqual({
      first: 'COMPLETE',
      never: null,
      wanted: 'COMPLETE',
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
  });

  it('a policy that throws fails the submit with CREATION_POLICY_ERROR and rolls it back entirely', async () => {
    const w = await h.worker('cond-3');
    const project = await h.project('conditional', 'risky', { projectData: { explode: 'yes' } });
    const firstId = await h.taskId(project.id, 'first');
    await h.lifecycle.claimTask(w, firstId);
    await h.lifecycle.saveTask(w, { taskId: firstId, data: { saved: 1 } });
    const before = await h.task(project.id, 'first');

    await expect(
      h.lifecycle.submitTask(w, { taskId: firstId, data: { submitted: 1 }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject({
      code: 'CREATION_POLICY_ERROR',
      message: 'Cannot decide: yes',
    });
    const after = (await h.task(project.id, 'first'))!;
    expect(after).toEqual(before);
    expect(after.status).toBe('PROCESSING');
    expect(after.assignments).toMatchObject([{ worker: 'cond-3', status: 'PROCESSING', data: { saved: 1 } }]);
    expect(after.iterations).toMatchObject([{ level: 0, status: 'PROCESSING', ended: false, submittedData: {} }]);
    expect(await h.task(project.id, 'risky')).toBeNull();
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);
  });

  it('a policy that throws at project creation fails it with CREATION_POLICY_ERROR and creates nothing', async () => {
    const before = await counts();
    await expect(h.project('conditional', 'risky-root')).rejects.toMatchObject({
      code: 'CREATION_POLICY_ERROR',
      message: 'The policy is broken.',
    });
    expect(await counts()).toEqual(before);
  });
});

// ---- createSubsequentTasks (admin) ------------------------------------------------------------------

describe('createSubsequentTasks (admin)', () => {
  it('creates the steps that became creatable since, once, and only for admins', async () => {
    const project = await h.project('conditional', 'gated', { projectData: { gate: 'g1' } });
    expect(await statuses(project.id, ['work', 'gated'])).toEqual({ work: 'AWAITING_PROCESSING', gated: null });

    // Nothing new yet: nothing happens.
    expect(await h.lifecycle.createSubsequentTasks(h.admin, project.id)).toEqual([]);
    expect(await statuses(project.id, ['work', 'gated'])).toEqual({ work: 'AWAITING_PROCESSING', gated: null });

    const worker = await h.worker('gate-worker');
    await expect(h.lifecycle.createSubsequentTasks(worker, project.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Only project admins may do this.',
    });

    openGates.add('g1');
    const admin = await h.worker('gate-admin', [], { isAdmin: true });
    const created = await h.lifecycle.createSubsequentTasks(admin, project.id);
    expect(created.map((t) => t.id)).toEqual([await h.taskId(project.id, 'gated')]);
    expect(await statuses(project.id, ['work', 'gated'])).toEqual({
      work: 'AWAITING_PROCESSING',
      gated: 'AWAITING_PROCESSING',
    });

    // At most one task per step: a second call creates nothing.
    expect(await h.lifecycle.createSubsequentTasks(h.admin, project.id)).toEqual([]);
    const em = h.db.orm.em.fork();
    expect(await em.count(Task, { project: project.id })).toBe(2);

    await expect(h.lifecycle.createSubsequentTasks(h.admin, 999999)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Project not found for the given id.',
    });
  });
});

// ---- submission dependencies ------------------------------------------------------------------

describe('submission dependencies', () => {
  it('refuse a submit until the other step’s task is COMPLETE, changing nothing; then the submit works', async () => {
    const wd = await h.worker('sub-draft');
    const wc = await h.worker('sub-check');
    const reviewer = await h.worker('sub-reviewer');
    const project = await h.project('subdeps');
    const draftId = await h.taskId(project.id, 'draft');
    const checkId = await h.taskId(project.id, 'check');

    await h.lifecycle.claimTask(wc, checkId);
    await h.lifecycle.saveTask(wc, { taskId: checkId, data: { note: 'saved' } });
    const before = await h.task(project.id, 'check');
    const refused = { code: 'ILLEGAL_TASK_SUBMISSION', message: 'Submission prerequisites are not complete.' };

    // The draft has not even been started.
    await expect(
      h.lifecycle.submitTask(wc, { taskId: checkId, data: { note: 'done' }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject(refused);
    expect(await h.task(project.id, 'check')).toEqual(before);

    // Submitted but waiting for review is not complete either.
    await claimAndSubmit(wd, project.id, 'draft', { text: 'draft' });
    expect((await h.task(project.id, 'draft'))!.status).toBe('PENDING_REVIEW');
    await expect(
      h.lifecycle.submitTask(wc, { taskId: checkId, data: { note: 'done' }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject(refused);
    expect(await h.task(project.id, 'check')).toEqual(before);
    expect(before).toMatchObject({
      status: 'PROCESSING',
      assignments: [{ worker: 'sub-check', status: 'PROCESSING', data: { note: 'saved' } }],
      iterations: [{ status: 'PROCESSING', ended: false }],
    });

    await h.lifecycle.claimTask(reviewer, draftId);
    await h.lifecycle.submitTask(reviewer, { taskId: draftId, data: { text: 'final' }, action: SubmitAction.ACCEPT });
    expect((await h.task(project.id, 'draft'))!.status).toBe('COMPLETE');
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);

    await h.lifecycle.submitTask(wc, { taskId: checkId, data: { note: 'done' }, action: SubmitAction.SUBMIT });
    const check = (await h.task(project.id, 'check'))!;
    expect(check.status).toBe('COMPLETE');
    expect(check.assignments).toMatchObject([{ status: 'SUBMITTED', data: { note: 'done' } }]);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
  });
});

// ---- end, pause, resume -----------------------------------------------------------------------

describe('ending a project', () => {
  it('aborts the open tasks, keeps the complete ones, and refuses later work on the aborted ones', async () => {
    const wa = await h.worker('end-a');
    const wb = await h.worker('end-b');
    const project = await h.project('diamond');
    await claimAndSubmit(wa, project.id, 'a', { from: 'a' });
    const bId = await h.taskId(project.id, 'b');
    await h.lifecycle.claimTask(wb, bId);
    await h.lifecycle.saveTask(wb, { taskId: bId, data: { half: 'done' } });
    expect(await statuses(project.id, ['a', 'b', 'c', 'd'])).toEqual({
      a: 'COMPLETE',
      b: 'PROCESSING',
      c: 'AWAITING_PROCESSING',
      d: null,
    });

    const ended = await h.lifecycle.endProject(h.admin, project.id);
    expect(ended.status).toBe(ProjectStatus.ABORTED);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ABORTED);
    expect(await statuses(project.id, DIAMOND)).toEqual({
      a: 'COMPLETE',
      b: 'ABORTED',
      c: 'ABORTED',
      d: null,
      e: null,
      f: null,
      g: null,
      h: null,
    });
    // The completed task keeps its submitted work; the open task's iteration has ended.
    expect((await h.task(project.id, 'a'))!.assignments).toMatchObject([
      { worker: 'end-a', status: 'SUBMITTED', data: { from: 'a' } },
    ]);
    const b = (await h.task(project.id, 'b'))!;
    expect(b.iterations.map((i) => i.ended)).toEqual([true]);

    await expect(
      h.lifecycle.submitTask(wb, { taskId: bId, data: { late: true }, action: SubmitAction.SUBMIT }),
    ).rejects.toMatchObject({
      code: 'ILLEGAL_TASK_SUBMISSION',
      message: 'Task not in submittable state.',
    });
    await expect(h.lifecycle.saveTask(wb, { taskId: bId, data: { late: true } })).rejects.toMatchObject({
      code: 'TASK_ASSIGNMENT_ERROR',
      message: 'Worker is not allowed to save',
    });
    expect(await h.task(project.id, 'b')).toEqual(b);
    expect(b.assignments).toMatchObject([{ worker: 'end-b', data: { half: 'done' } }]);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ABORTED);
  });

  it('is for project admins and integrators, not workers', async () => {
    const worker = await h.worker('end-not-admin');
    const project = await h.project('diamond');
    await expect(h.lifecycle.endProject(worker, project.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Only project admins and integrators may do this.',
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);
    expect(await statuses(project.id, ['a', 'b'])).toEqual({ a: 'AWAITING_PROCESSING', b: 'AWAITING_PROCESSING' });
  });
});

describe('pausing and resuming a project', () => {
  it('switches between PAUSED and ACTIVE without touching tasks; ABORTED and unknown statuses are refused', async () => {
    const w = await h.worker('pause-worker');
    const project = await h.project('diamond');
    const aId = await h.taskId(project.id, 'a');
    await h.lifecycle.claimTask(w, aId);

    const paused = await h.lifecycle.setProjectStatus(h.admin, project.id, ProjectStatus.PAUSED);
    expect(paused.status).toBe(ProjectStatus.PAUSED);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.PAUSED);
    expect(await statuses(project.id, ['a', 'b'])).toEqual({ a: 'PROCESSING', b: 'AWAITING_PROCESSING' });

    // Work held by a worker can still be saved and submitted; tasks are still created.
    await h.lifecycle.saveTask(w, { taskId: aId, data: { draft: 1 } });
    await h.lifecycle.submitTask(w, { taskId: aId, data: { from: 'a' }, action: SubmitAction.SUBMIT });
    expect(await statuses(project.id, ['a', 'b', 'c'])).toEqual({
      a: 'COMPLETE',
      b: 'AWAITING_PROCESSING',
      c: 'AWAITING_PROCESSING',
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.PAUSED);

    const resumed = await h.lifecycle.resumeProject(h.admin, project.id);
    expect(resumed.status).toBe(ProjectStatus.ACTIVE);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);
    await h.lifecycle.pauseProject(h.admin, project.id);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.PAUSED);
    await h.lifecycle.setProjectStatus(h.admin, project.id, ProjectStatus.ACTIVE);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);

    await expect(h.lifecycle.setProjectStatus(h.admin, project.id, ProjectStatus.ABORTED)).rejects.toMatchObject({
      code: 'PROJECT_STATUS_ERROR',
      message: 'Try aborting the project with set_project_status. Use end_project instead.',
    });
    await expect(h.lifecycle.setProjectStatus(h.admin, project.id, 99 as ProjectStatus)).rejects.toMatchObject({
      code: 'PROJECT_STATUS_ERROR',
      message: 'Invalid project status.',
    });
    await expect(h.lifecycle.setProjectStatus(w, project.id, ProjectStatus.PAUSED)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Only project admins may do this.',
    });
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.ACTIVE);
    expect(await statuses(project.id, ['a', 'b', 'c'])).toEqual({
      a: 'COMPLETE',
      b: 'AWAITING_PROCESSING',
      c: 'AWAITING_PROCESSING',
    });
  });

  it('can complete a project by hand, leaving its tasks as they are', async () => {
    const project = await h.project('diamond');
    await h.lifecycle.setProjectStatus(h.admin, project.id, ProjectStatus.COMPLETED);
    expect(await h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
    expect(await statuses(project.id, ['a', 'b'])).toEqual({ a: 'AWAITING_PROCESSING', b: 'AWAITING_PROCESSING' });
  });
});
