// The in-memory workflows the lifecycle engine reads: validated definitions with every
// default applied, so that no other code has to know which fields an author may leave out.

import { ErrorCode, OrchestraError, Reason } from '../kernel/errors.js';
import {
  DEFAULT_ASSIGNMENT_POLICY,
  DEFAULT_CREATION_POLICY,
  DEFAULT_REVIEW_POLICY,
  type AssignmentPolicy,
  type CreationPolicy,
  type EventHooks,
  type MachineFunction,
  type ReviewPolicy,
  type StepDefinition,
  type StepUi,
  type VersionDefinition,
  type WorkflowDefinition,
} from './definition.js';
import { validateWorkflows, type Problem } from './validate.js';

export interface ResolvedStep {
  slug: string;
  name: string;
  description: string;
  kind: 'human' | 'machine';
  isHuman: boolean;
  creationDependsOn: string[];
  submissionDependsOn: string[];
  requiredCertifications: string[];
  /** Human default DEFAULT_REVIEW_POLICY; machine steps are never reviewed. */
  reviewPolicy: ReviewPolicy;
  /** Both levels default to anyone_certified (also for machine steps, which are never assigned). */
  assignmentPolicy: { entryLevel: AssignmentPolicy; reviewer: AssignmentPolicy };
  creationPolicy: CreationPolicy;
  completionEndsProject: boolean;
  ui: StepUi | null;
  run: MachineFunction | null;
  maxAttempts: number | null;
  timeoutMs: number | null;
  /** Index in definition order. */
  position: number;
  /** Transitive closure of creationDependsOn, in the version's definition order. */
  ancestors: string[];
}

export interface ResolvedVersion {
  workflowSlug: string;
  slug: string;
  name: string;
  description: string;
  steps: ResolvedStep[];
  step(slug: string): ResolvedStep | undefined;
  /** Step slugs in the order of spec §2.7 (project information). */
  listingOrder: string[];
}

export interface ResolvedCertification {
  slug: string;
  name: string;
  description: string;
  requiredCertifications: string[];
}

export interface ResolvedWorkflow {
  slug: string;
  name: string;
  description: string;
  certifications: ResolvedCertification[];
  versions: ResolvedVersion[];
  version(slug: string): ResolvedVersion | undefined;
  hooks: EventHooks;
  definition: WorkflowDefinition;
}

export class WorkflowValidationError extends OrchestraError {
  constructor(readonly problems: Problem[]) {
    super(
      ErrorCode.WORKFLOW_ERROR,
      `Workflow definitions are invalid:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
      Reason.WORKFLOW_INVALID,
      { problems },
    );
    this.name = 'WorkflowValidationError';
  }
}

export class WorkflowRegistry {
  private readonly bySlug = new Map<string, ResolvedWorkflow>();

  /** Validates all definitions together; throws WorkflowValidationError listing every problem. */
  constructor(definitions: unknown[]) {
    const problems = validateWorkflows(definitions);
    if (problems.length > 0) throw new WorkflowValidationError(problems);
    for (const definition of definitions as WorkflowDefinition[]) {
      this.bySlug.set(definition.slug, resolveWorkflow(definition));
    }
  }

  workflows(): ResolvedWorkflow[] {
    return [...this.bySlug.values()];
  }

  workflow(slug: string): ResolvedWorkflow | undefined {
    return this.bySlug.get(slug);
  }

  version(workflowSlug: string, versionSlug: string): ResolvedVersion | undefined {
    return this.workflow(workflowSlug)?.version(versionSlug);
  }
}

// ---- resolution (input is valid here) ---------------------------------------------------

const unique = (slugs: string[] | undefined): string[] => [...new Set(slugs ?? [])];

function resolveWorkflow(definition: WorkflowDefinition): ResolvedWorkflow {
  const versions = definition.versions.map((version) => resolveVersion(definition.slug, version));
  const bySlug = new Map(versions.map((version) => [version.slug, version]));
  return {
    slug: definition.slug,
    name: definition.name,
    description: definition.description ?? '',
    certifications: (definition.certifications ?? []).map((cert) => ({
      slug: cert.slug,
      name: cert.name,
      description: cert.description ?? '',
      requiredCertifications: unique(cert.requiredCertifications),
    })),
    versions,
    version: (slug) => bySlug.get(slug),
    hooks: definition.hooks ?? {},
    definition,
  };
}

function resolveVersion(workflowSlug: string, definition: VersionDefinition): ResolvedVersion {
  const steps = definition.steps.map(resolveStep);
  const bySlug = new Map(steps.map((step) => [step.slug, step]));
  for (const step of steps) step.ancestors = ancestors(step, steps, bySlug);
  return {
    workflowSlug,
    slug: definition.slug,
    name: definition.name,
    description: definition.description ?? '',
    steps,
    step: (slug) => bySlug.get(slug),
    listingOrder: listingOrder(steps),
  };
}

function resolveStep(definition: StepDefinition, position: number): ResolvedStep {
  const common = {
    slug: definition.slug,
    name: definition.name,
    description: definition.description ?? '',
    creationDependsOn: unique(definition.creationDependsOn),
    submissionDependsOn: unique(definition.submissionDependsOn),
    creationPolicy: definition.creationPolicy ?? DEFAULT_CREATION_POLICY,
    completionEndsProject: definition.completionEndsProject ?? false,
    position,
    ancestors: [], // filled in by resolveVersion once every step exists
  };
  if (definition.kind === 'machine') {
    return {
      ...common,
      kind: 'machine',
      isHuman: false,
      requiredCertifications: [],
      reviewPolicy: { policy: 'no_review' },
      assignmentPolicy: { entryLevel: DEFAULT_ASSIGNMENT_POLICY, reviewer: DEFAULT_ASSIGNMENT_POLICY },
      ui: null,
      run: definition.run,
      maxAttempts: definition.maxAttempts ?? null,
      timeoutMs: definition.timeoutMs ?? null,
    };
  }
  return {
    ...common,
    kind: 'human',
    isHuman: true,
    requiredCertifications: unique(definition.requiredCertifications),
    reviewPolicy: definition.reviewPolicy ?? DEFAULT_REVIEW_POLICY,
    assignmentPolicy: {
      entryLevel: definition.assignmentPolicy?.entryLevel ?? DEFAULT_ASSIGNMENT_POLICY,
      reviewer: definition.assignmentPolicy?.reviewer ?? DEFAULT_ASSIGNMENT_POLICY,
    },
    ui: definition.ui ?? null,
    run: null,
    maxAttempts: null,
    timeoutMs: null,
  };
}

/** Every step `step` transitively waits for before creation, in definition order. */
function ancestors(step: ResolvedStep, steps: ResolvedStep[], bySlug: Map<string, ResolvedStep>): string[] {
  const found = new Set<string>();
  const visit = (slug: string): void => {
    for (const dependency of bySlug.get(slug)!.creationDependsOn) {
      if (!found.has(dependency)) {
        found.add(dependency);
        visit(dependency);
      }
    }
  };
  visit(step.slug);
  return steps.filter((s) => found.has(s.slug)).map((s) => s.slug);
}

/**
 * Spec §2.7: breadth-first from the steps without creation dependencies; a popped step
 * enqueues (in definition order) every not-yet-listed step depending on it. It does not wait
 * for all of a step's dependencies, which is what the original does.
 */
function listingOrder(steps: ResolvedStep[]): string[] {
  const queue = steps.filter((step) => step.creationDependsOn.length === 0).map((step) => step.slug);
  const listed = new Set<string>();
  while (queue.length > 0) {
    const slug = queue.shift()!;
    if (listed.has(slug)) continue;
    listed.add(slug);
    for (const step of steps) {
      if (!listed.has(step.slug) && step.creationDependsOn.includes(slug)) queue.push(step.slug);
    }
  }
  return [...listed];
}
