import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../kernel/errors.js';
import {
  DEFAULT_ASSIGNMENT_POLICY,
  DEFAULT_CREATION_POLICY,
  DEFAULT_REVIEW_POLICY,
  defineWorkflow,
} from './definition.js';
import { WorkflowRegistry, WorkflowValidationError } from './registry.js';

const run = () => ({ done: true });
const reviewer = () => ['bob'];

// The diamond of spec §2.7: A,B → C(A), D(B) → E(C,D) → F → G,H. Steps are listed out of
// dependency order on purpose (F before E) so that "definition order" is observable.
const diamond = defineWorkflow({
  slug: 'diamond',
  name: 'Diamond',
  certifications: [
    { slug: 'basic', name: 'Basic', description: 'Can do basic work' },
    { slug: 'expert', name: 'Expert', requiredCertifications: ['basic', 'basic'] },
  ],
  versions: [
    {
      slug: 'v1',
      name: 'Version 1',
      description: 'The first version',
      steps: [
        { slug: 'a', name: 'A', kind: 'human' },
        { slug: 'b', name: 'B', kind: 'machine', run, maxAttempts: 2 },
        { slug: 'c', name: 'C', kind: 'human', creationDependsOn: ['a'], requiredCertifications: ['basic'] },
        { slug: 'd', name: 'D', kind: 'human', creationDependsOn: ['b'], submissionDependsOn: ['c'] },
        { slug: 'f', name: 'F', kind: 'human', creationDependsOn: ['e'] },
        {
          slug: 'e',
          name: 'E',
          description: 'Joins the branches',
          kind: 'human',
          creationDependsOn: ['d', 'c', 'd'],
          requiredCertifications: ['expert'],
          reviewPolicy: { policy: 'no_review' },
          assignmentPolicy: { reviewer },
          creationPolicy: () => true,
          completionEndsProject: true,
          ui: { component: 'Join' },
        },
        { slug: 'g', name: 'G', kind: 'human', creationDependsOn: ['f'] },
        { slug: 'h', name: 'H', kind: 'human', creationDependsOn: ['f'] },
      ],
    },
    { slug: 'v2', name: 'Version 2', steps: [{ slug: 'only', name: 'Only', kind: 'human' }] },
  ],
});

describe('WorkflowRegistry', () => {
  const registry = new WorkflowRegistry([diamond]);
  const version = registry.version('diamond', 'v1')!;

  it('finds workflows and versions by slug', () => {
    expect(registry.workflows().map((w) => w.slug)).toEqual(['diamond']);
    expect(registry.workflow('diamond')!.definition).toBe(diamond);
    expect(registry.workflow('diamond')!.versions.map((v) => v.slug)).toEqual(['v1', 'v2']);
    expect(registry.workflow('nope')).toBeUndefined();
    expect(registry.version('diamond', 'v3')).toBeUndefined();
    expect(registry.version('nope', 'v1')).toBeUndefined();
    expect(version.workflowSlug).toBe('diamond');
    expect(version.step('e')!.name).toBe('E');
    expect(version.step('z')).toBeUndefined();
  });

  it('applies defaults to workflows, versions and certifications', () => {
    const workflow = registry.workflow('diamond')!;
    expect(workflow.description).toBe('');
    expect(version.description).toBe('The first version');
    expect(registry.version('diamond', 'v2')!.description).toBe('');
    expect(workflow.certifications).toEqual([
      { slug: 'basic', name: 'Basic', description: 'Can do basic work', requiredCertifications: [] },
      { slug: 'expert', name: 'Expert', description: '', requiredCertifications: ['basic'] },
    ]);
  });

  it('applies defaults to a human step', () => {
    expect(version.step('a')).toEqual({
      slug: 'a',
      name: 'A',
      description: '',
      kind: 'human',
      isHuman: true,
      creationDependsOn: [],
      submissionDependsOn: [],
      requiredCertifications: [],
      reviewPolicy: DEFAULT_REVIEW_POLICY,
      assignmentPolicy: { entryLevel: DEFAULT_ASSIGNMENT_POLICY, reviewer: DEFAULT_ASSIGNMENT_POLICY },
      creationPolicy: DEFAULT_CREATION_POLICY,
      completionEndsProject: false,
      ui: null,
      run: null,
      maxAttempts: null,
      timeoutMs: null,
      position: 0,
      ancestors: [],
    });
  });

  it('applies defaults to a machine step', () => {
    const b = version.step('b')!;
    expect(b).toMatchObject({
      kind: 'machine',
      isHuman: false,
      requiredCertifications: [],
      reviewPolicy: { policy: 'no_review' },
      assignmentPolicy: { entryLevel: DEFAULT_ASSIGNMENT_POLICY, reviewer: DEFAULT_ASSIGNMENT_POLICY },
      creationPolicy: DEFAULT_CREATION_POLICY,
      ui: null,
      maxAttempts: 2,
      position: 1,
    });
    expect(b.run).toBe(run);
  });

  it('keeps what the author gave, without duplicate dependencies', () => {
    const e = version.step('e')!;
    expect(e).toMatchObject({
      description: 'Joins the branches',
      creationDependsOn: ['d', 'c'],
      requiredCertifications: ['expert'],
      reviewPolicy: { policy: 'no_review' },
      completionEndsProject: true,
      ui: { component: 'Join' },
      position: 5,
    });
    expect(e.assignmentPolicy).toEqual({ entryLevel: DEFAULT_ASSIGNMENT_POLICY, reviewer });
    expect(typeof e.creationPolicy).toBe('function');
    expect(version.step('d')!.submissionDependsOn).toEqual(['c']);
  });

  it('keeps steps in definition order', () => {
    expect(version.steps.map((s) => s.slug)).toEqual(['a', 'b', 'c', 'd', 'f', 'e', 'g', 'h']);
    expect(version.steps.map((s) => s.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('computes ancestors as the transitive creation dependencies in definition order', () => {
    const ancestors = Object.fromEntries(version.steps.map((s) => [s.slug, s.ancestors]));
    expect(ancestors).toEqual({
      a: [],
      b: [],
      c: ['a'],
      d: ['b'],
      e: ['a', 'b', 'c', 'd'],
      f: ['a', 'b', 'c', 'd', 'e'],
      g: ['a', 'b', 'c', 'd', 'f', 'e'],
      h: ['a', 'b', 'c', 'd', 'f', 'e'],
    });
  });

  it('lists steps in the breadth-first order of spec §2.7', () => {
    expect(version.listingOrder).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(registry.version('diamond', 'v2')!.listingOrder).toEqual(['only']);
  });

  it('throws a WorkflowValidationError listing every problem', () => {
    const broken = {
      ...diamond,
      versions: [
        {
          slug: 'v1',
          name: 'Version 1',
          steps: [
            { slug: 'a', name: 'A', kind: 'human', creationDependsOn: ['zz'] },
            { slug: 'b', name: 'B', kind: 'machine' },
          ],
        },
      ],
    };
    const problems = [
      { path: 'diamond.versions.v1.steps.a.creationDependsOn[0]', message: 'unknown step "zz"' },
      { path: 'diamond.versions.v1.steps.b.run', message: 'machine step has no run function' },
      { path: 'workflows[1].slug', message: 'workflow slug is required' },
    ];
    let error: unknown;
    try {
      new WorkflowRegistry([broken, { name: 'Nameless', versions: [diamond.versions[1]] }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkflowValidationError);
    const validationError = error as WorkflowValidationError;
    expect(validationError.code).toBe(ErrorCode.WORKFLOW_ERROR);
    expect(validationError.problems).toHaveLength(problems.length);
    expect(validationError.problems).toEqual(expect.arrayContaining(problems));
    expect(validationError.message).toMatch(/^Workflow definitions are invalid:\n/);
    for (const { path, message } of problems) expect(validationError.message).toContain(`\n  ${path}: ${message}`);
  });
});
