// The shape of a workflow as its author writes it in `workflows/<slug>/workflow.ts`.
// A workflow is code: policies may be built-in names or functions, machine steps carry
// their `run` function. The loader (loader.ts) validates every version before anything
// is stored, and the registry keeps the definitions in memory for the lifecycle engine.

import type { DomainEvent, EventType } from '../kernel/events.js';
import type { Json, JsonObject, Prerequisites } from '../kernel/json.js';
import type { FormSchema } from './form.js';

export type { Json, JsonObject, Prerequisites };

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

// ---- files ----------------------------------------------------------------------------
/** A file of a project's file store. Paths are relative: `Raw Photos/beach.jpg`. */
export interface ProjectFile {
  path: string;
  size: number;
  contentType: string;
  modifiedAt: Date;
}

/** A project's own files (documents, uploaded photos, machine output), kept by Orchestra. */
export interface ProjectFiles {
  readonly projectId: number;
  write(path: string, data: Uint8Array | string, options?: { contentType?: string }): Promise<ProjectFile>;
  read(path: string): Promise<{ data: Buffer; file: ProjectFile }>;
  /** Files directly in a folder (`''` for the top), by name. */
  list(folder?: string): Promise<ProjectFile[]>;
  exists(path: string): Promise<boolean>;
  remove(path: string): Promise<void>;
  /** Makes a folder (and those above it); nothing happens when it exists. */
  makeFolder(path: string): Promise<void>;
}

// ---- steps ----------------------------------------------------------------------------
/** What a machine step's function is given besides the data: where it runs, and its project's files. */
export interface MachineContext {
  taskId: number;
  projectId: number;
  stepSlug: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** Writes a line to the server log, prefixed with the step and task. */
  log: (message: string) => void;
  /** Aborted when the attempt must stop (the process is shutting down, or the step ran past its time limit). */
  signal: AbortSignal;
  files: ProjectFiles;
}

export type MachineFunction = (
  projectData: JsonObject & { project_id: number },
  prerequisites: Prerequisites,
  context: MachineContext,
) => JsonObject | Promise<JsonObject>;

/** How the worker app renders a human step: a Svelte component of the workflow or a form schema. */
/**
 * How the worker app renders a human step: a Svelte component of the workflow (`workflows/<slug>/ui/<component>.svelte`)
 * or a form generated from a schema. A component may have a form too: the server checks submitted data against it.
 */
export type StepUi = ({ component: string; form?: FormSchema } | { form: FormSchema }) & { uploads?: UploadSpec };

/** Files a step's workers may upload into their project (photos, scans): where, of which types, how large. */
export interface UploadSpec {
  /** The project folder they go to, e.g. "Raw Photos". */
  folder: string;
  /** The types accepted, checked against the file's own bytes (not its name). */
  accept: UploadType[];
  /** Largest file, in bytes (default 10 MB, at most 50 MB). */
  maxBytes?: number;
}
export type UploadType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'application/pdf';

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
  /** An attempt running longer is aborted (its signal fires) and counts as failed (default from config). */
  timeoutMs?: number;
}
export type StepDefinition = HumanStepDefinition | MachineStepDefinition;

export interface VersionDefinition {
  slug: string;
  name: string;
  description?: string;
  steps: StepDefinition[];
}

// ---- event hooks ------------------------------------------------------------------------
/** What an event hook is given besides the event. */
export interface HookContext {
  log: (message: string) => void;
  /** The event's project's files (null for events of no project). */
  files: ProjectFiles | null;
}

/**
 * Code that runs after an event of one of the workflow's projects committed — at least once, in a
 * background job (retried when it throws), never for a change that was rolled back.
 */
export type EventHooks = { [T in EventType]?: (event: DomainEvent<T>, context: HookContext) => void | Promise<void> };

// ---- sample data ----------------------------------------------------------------------
/** The original's per-workflow sample data: accounts (demo passwords only) and projects. */
export interface SampleData {
  accounts?: {
    username: string;
    password: string;
    firstName?: string;
    lastName?: string;
    /** Certifications of this workflow, by slug; REVIEWER implies ENTRY_LEVEL. */
    certifications?: [certification: string, role: 'ENTRY_LEVEL' | 'REVIEWER'][];
  }[];
  /** Projects of the first version unless `version` says; `publicUrl` is where the server is reached. */
  projects?: (
    publicUrl: string,
  ) => { description: string; priority?: number; version?: string; projectData?: JsonObject }[];
}

// ---- project output ---------------------------------------------------------------------
/** What a workflow's `output` function is given, once a project is COMPLETED. */
export interface OutputContext {
  projectId: number;
  projectData: JsonObject;
  /** The final data of every completed step, keyed by step slug. */
  steps: Prerequisites;
  files: ProjectFiles;
  /** The address at which a project file is served (to those who may see the project). */
  fileUrl: (path: string) => string;
}

/** Builds a finished project's output JSON (default: every step's final data, by step slug). */
export type OutputFunction = (context: OutputContext) => JsonObject | Promise<JsonObject>;

export interface WorkflowDefinition {
  slug: string;
  name: string;
  description?: string;
  certifications?: CertificationDefinition[];
  versions: VersionDefinition[];
  /** Code run after events of this workflow's projects (see EventHooks). */
  hooks?: EventHooks;
  /** A finished project's output JSON (`project { output }`, `orchestra projects output`). */
  output?: OutputFunction;
  /** Accounts and projects to try the workflow with (`orchestra workflows sample-data <slug>`, the demo). */
  sampleData?: SampleData;
}

/** Identity function that gives workflow authors type checking and completion. */
export function defineWorkflow(definition: WorkflowDefinition): WorkflowDefinition {
  return definition;
}

export const DEFAULT_REVIEW_POLICY: SampledReview = { policy: 'sampled_review', rate: 1, maxReviews: 1 };
export const DEFAULT_ASSIGNMENT_POLICY: AnyoneCertified = { policy: 'anyone_certified' };
export const DEFAULT_CREATION_POLICY: AlwaysCreate = { policy: 'always_create' };
