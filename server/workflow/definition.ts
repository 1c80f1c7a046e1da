// The shape of a workflow as its author writes it in `workflows/<slug>/workflow.ts`.
// A workflow is code: policies may be built-in names or functions, machine steps carry
// their `run` function. The loader (loader.ts) validates every version before anything
// is stored, and the registry keeps the definitions in memory for the lifecycle engine.

/** JSON value stored as task data, project data and machine results. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Data of every upstream step (transitively), keyed by step slug: each step's final data. */
export type Prerequisites = Record<string, JsonObject>;

export interface CertificationDefinition {
  slug: string;
  name: string;
  description?: string;
  /** Slugs of certifications (of the same workflow) a worker must hold before this one is granted. */
  requiredCertifications?: string[];
}

// ---- review policies ------------------------------------------------------------------
export interface NoReview {
  policy: 'no_review';
}
export interface SampledReview {
  policy: 'sampled_review';
  /** Probability in [0, 1] that a submission at a level is sent up for review. */
  rate: number;
  /** Highest number of reviewer levels (1 = one reviewer). */
  maxReviews: number;
}
export type ReviewPolicy = NoReview | SampledReview;

// ---- assignment policies --------------------------------------------------------------
export interface AnyoneCertified {
  policy: 'anyone_certified';
}
export interface SpecifiedWorker {
  policy: 'specified_worker';
  username: string;
}
export interface PreviouslyCompletedSteps {
  policy: 'previously_completed_steps';
  /** Human steps whose level-0 workers are tried, in order. */
  relatedSteps: string[];
}
export interface AssignmentPolicyContext {
  projectId: number;
  projectData: JsonObject;
  stepSlug: string;
  /** 0 for the entry-level assignment, k for the k-th reviewer. */
  level: number;
  prerequisites: Prerequisites;
}
/** A custom policy returns the usernames to try, in order (the first that can be assigned wins), or none. */
export type AssignmentPolicyFunction = (ctx: AssignmentPolicyContext) => string[] | null | undefined;
export type AssignmentPolicy = AnyoneCertified | SpecifiedWorker | PreviouslyCompletedSteps | AssignmentPolicyFunction;
export interface AssignmentPolicies {
  entryLevel?: AssignmentPolicy;
  reviewer?: AssignmentPolicy;
}

// ---- creation policies ----------------------------------------------------------------
export interface AlwaysCreate {
  policy: 'always_create';
}
export type CreationPolicyFunction = (prerequisites: Prerequisites, projectData: JsonObject) => boolean;
export type CreationPolicy = AlwaysCreate | CreationPolicyFunction;

// ---- steps ----------------------------------------------------------------------------
export type MachineFunction = (
  projectData: JsonObject & { project_id: number },
  prerequisites: Prerequisites,
) => JsonObject | Promise<JsonObject>;

/** How the worker app renders a human step: a Svelte component of the workflow or a form schema. */
export type StepUi = { component: string } | { form: JsonObject } | Record<string, Json>;

interface StepCommon {
  slug: string;
  name: string;
  description?: string;
  /** Steps whose tasks must be COMPLETE before this step's task is created. */
  creationDependsOn?: string[];
  /** Steps whose tasks must be COMPLETE before this step's task can be submitted. */
  submissionDependsOn?: string[];
  creationPolicy?: CreationPolicy;
  /** When this step's task completes, the project completes (other open tasks stay as they are). */
  completionEndsProject?: boolean;
}
export interface HumanStepDefinition extends StepCommon {
  kind: 'human';
  requiredCertifications?: string[];
  /** Defaults to sampled_review with rate 1 and maxReviews 1 (every task reviewed once). */
  reviewPolicy?: ReviewPolicy;
  /** Both levels default to anyone_certified. */
  assignmentPolicy?: AssignmentPolicies;
  ui?: StepUi;
}
export interface MachineStepDefinition extends StepCommon {
  kind: 'machine';
  run: MachineFunction;
  /** Attempts before the assignment is FAILED (default from config). */
  maxAttempts?: number;
}
export type StepDefinition = HumanStepDefinition | MachineStepDefinition;

export interface VersionDefinition {
  slug: string;
  name: string;
  description?: string;
  steps: StepDefinition[];
}

export interface WorkflowDefinition {
  slug: string;
  name: string;
  description?: string;
  certifications?: CertificationDefinition[];
  versions: VersionDefinition[];
  /** Optional: creates demo projects for this workflow (`orchestra seed`). */
  sampleData?: unknown;
}

/** Identity function that gives workflow authors type checking and completion. */
export function defineWorkflow(definition: WorkflowDefinition): WorkflowDefinition {
  return definition;
}

export const DEFAULT_REVIEW_POLICY: SampledReview = { policy: 'sampled_review', rate: 1, maxReviews: 1 };
export const DEFAULT_ASSIGNMENT_POLICY: AnyoneCertified = { policy: 'anyone_certified' };
export const DEFAULT_CREATION_POLICY: AlwaysCreate = { policy: 'always_create' };
