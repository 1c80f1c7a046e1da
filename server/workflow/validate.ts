// Validation of workflow definitions as authors write them (definition.ts), before anything
// is registered or stored. Definitions are code, so anything may arrive: every check works on
// `unknown` and every problem is collected, so an author sees all mistakes in one run.
//
// Paths are dotted and start at the workflow slug, e.g.
// `journalism.versions.v1.steps.reporting.creationDependsOn[0]`. An item whose own slug is
// missing, invalid or a duplicate is addressed by index instead (`workflows[1]`,
// `journalism.versions.v1.steps[3]`), so that its problems are never confused with another's.

import { EVENT_TYPES } from '../kernel/events.js';
import { normalizeFilePath } from '../kernel/file-path.js';
import { formSchemaProblems } from './form.js';
import { MAX_UPLOAD_BYTES, UPLOAD_TYPES } from './uploads.js';

export interface Problem {
  path: string;
  message: string;
}

type Report = (path: string, message: string) => void;
type Obj = Record<string, unknown>;

const SLUG = /^[a-z0-9][a-z0-9_-]{0,199}$/;

const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value as it appears in a message: JSON where possible, shortened. */
function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value); // cyclic objects, bigints
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function validateWorkflows(defs: unknown[]): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (path, message) => problems.push({ path, message });
  if (!Array.isArray(defs)) {
    report('workflows', `workflow definitions must be an array, got ${show(defs)}`);
    return problems;
  }
  const workflows = sluggedItems(
    defs,
    (i) => `workflows[${i}]`,
    (slug) => slug,
    'workflow',
    report,
  );
  for (const workflow of workflows.items) checkWorkflow(workflow, report);
  return problems;
}

// ---- slugged lists (workflows, certifications, versions, steps) ---------------------------

interface Item {
  obj: Obj;
  /** Where this item's problems are reported. */
  path: string;
  /** The slug when valid and first of its kind in the list, otherwise null. */
  slug: string | null;
}
interface Items {
  items: Item[];
  /** Every valid slug of the list (what references may name). */
  slugs: Set<string>;
}

/** Checks an optional or required (non-empty) array field of slugged objects. */
function listField(value: unknown, path: string, kind: string, required: boolean, report: Report): Items {
  const field = path.slice(path.lastIndexOf('.') + 1);
  if (value === undefined && !required) return { items: [], slugs: new Set() };
  if (!Array.isArray(value) || (required && value.length === 0)) {
    report(path, `${field} must be ${required ? 'a non-empty array' : 'an array'}, got ${show(value)}`);
    return { items: [], slugs: new Set() };
  }
  return sluggedItems(
    value,
    (i) => `${path}[${i}]`,
    (slug) => `${path}.${slug}`,
    kind,
    report,
  );
}

/** Checks each element's shape, slug (format and uniqueness), name and description. */
function sluggedItems(
  list: unknown[],
  indexPath: (index: number) => string,
  slugPath: (slug: string) => string,
  kind: string,
  report: Report,
): Items {
  const items: Item[] = [];
  const slugs = new Set<string>();
  list.forEach((obj, index) => {
    if (!isObject(obj)) {
      report(indexPath(index), `${kind} must be an object, got ${show(obj)}`);
      return;
    }
    let slug: string | null = null;
    if (obj.slug === undefined) report(`${indexPath(index)}.slug`, `${kind} slug is required`);
    else if (typeof obj.slug !== 'string' || !SLUG.test(obj.slug)) {
      report(
        `${indexPath(index)}.slug`,
        `invalid ${kind} slug ${show(obj.slug)}: use up to 200 lowercase letters, digits, "_" or "-", starting with a letter or digit`,
      );
    } else if (slugs.has(obj.slug)) report(`${indexPath(index)}.slug`, `duplicate ${kind} slug "${obj.slug}"`);
    else slug = obj.slug;
    if (typeof obj.slug === 'string' && SLUG.test(obj.slug)) slugs.add(obj.slug);

    const path = slug === null ? indexPath(index) : slugPath(slug);
    if (typeof obj.name !== 'string' || obj.name.trim() === '') {
      report(`${path}.name`, `${kind} name must be a non-empty string, got ${show(obj.name)}`);
    }
    if (obj.description !== undefined && typeof obj.description !== 'string') {
      report(`${path}.description`, `description must be a string, got ${show(obj.description)}`);
    }
    items.push({ obj, path, slug });
  });
  return { items, slugs };
}

/**
 * Checks a list of slugs that must name members of `known`; returns the valid entries
 * (without duplicates) so that callers can build dependency graphs from them.
 */
function slugRefs(
  value: unknown,
  path: string,
  known: Set<string>,
  kind: string,
  report: Report,
  self?: string,
): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    report(path, `must be an array of ${kind} slugs, got ${show(value)}`);
    return [];
  }
  const refs = new Set<string>();
  value.forEach((ref, index) => {
    if (typeof ref === 'string' && ref === self)
      report(`${path}[${index}]`, `${kind} "${ref}" cannot depend on itself`);
    else if (typeof ref === 'string' && known.has(ref)) refs.add(ref);
    else report(`${path}[${index}]`, `unknown ${kind} ${show(ref)}`);
  });
  return [...refs];
}

/** Cycles of a directed graph, one per back edge of a depth-first search, each ending where it starts. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

function reportCycles(
  graph: Map<string, string[]>,
  path: (slug: string) => string,
  label: string,
  report: Report,
): void {
  for (const cycle of findCycles(graph)) report(path(cycle[0]!), `${label} cycle: ${cycle.join(' -> ')}`);
}

// ---- workflows, versions, steps ---------------------------------------------------------

function checkWorkflow(workflow: Item, report: Report): void {
  const certsPath = `${workflow.path}.certifications`;
  const certs = listField(workflow.obj.certifications, certsPath, 'certification', false, report);
  const prerequisites = new Map<string, string[]>();
  for (const cert of certs.items) {
    const refs = slugRefs(
      cert.obj.requiredCertifications,
      `${cert.path}.requiredCertifications`,
      certs.slugs,
      'certification',
      report,
    );
    if (cert.slug !== null) prerequisites.set(cert.slug, refs);
  }
  reportCycles(
    prerequisites,
    (slug) => `${certsPath}.${slug}.requiredCertifications`,
    'certification prerequisite',
    report,
  );

  const versions = listField(workflow.obj.versions, `${workflow.path}.versions`, 'version', true, report);
  for (const version of versions.items) checkVersion(version, certs.slugs, report);
  if (workflow.obj.hooks !== undefined) checkHooks(workflow.obj.hooks, `${workflow.path}.hooks`, report);
  if (workflow.obj.output !== undefined && typeof workflow.obj.output !== 'function') {
    report(`${workflow.path}.output`, `output must be a function (context) => JSON, got ${show(workflow.obj.output)}`);
  }
}

function checkHooks(hooks: unknown, path: string, report: Report): void {
  if (!isObject(hooks)) return report(path, `hooks must be an object of event type → function, got ${show(hooks)}`);
  for (const [type, hook] of Object.entries(hooks)) {
    if (!(EVENT_TYPES as string[]).includes(type))
      report(`${path}.${type}`, `unknown event type "${type}" (known: ${EVENT_TYPES.join(', ')})`);
    else if (typeof hook !== 'function') report(`${path}.${type}`, `a hook must be a function, got ${show(hook)}`);
  }
}

function checkVersion(version: Item, certifications: Set<string>, report: Report): void {
  const stepsPath = `${version.path}.steps`;
  const steps = listField(version.obj.steps, stepsPath, 'step', true, report);
  const kinds = new Map<string, unknown>();
  for (const step of steps.items) if (step.slug !== null) kinds.set(step.slug, step.obj.kind);

  const creation = new Map<string, string[]>();
  const submission = new Map<string, string[]>();
  for (const step of steps.items) {
    const self = typeof step.obj.slug === 'string' ? step.obj.slug : undefined;
    const depends = (field: string) =>
      slugRefs(step.obj[field], `${step.path}.${field}`, steps.slugs, 'step', report, self);
    const creationDeps = depends('creationDependsOn');
    const submissionDeps = depends('submissionDependsOn');
    if (step.slug !== null) {
      creation.set(step.slug, creationDeps);
      submission.set(step.slug, submissionDeps);
    }
    checkStep(step, certifications, kinds, report);
  }
  reportCycles(creation, (slug) => `${stepsPath}.${slug}.creationDependsOn`, 'creation dependency', report);
  reportCycles(submission, (slug) => `${stepsPath}.${slug}.submissionDependsOn`, 'submission dependency', report);
}

/** Everything about one step except its dependencies (checked by the version). */
function checkStep(step: Item, certifications: Set<string>, kinds: Map<string, unknown>, report: Report): void {
  const { obj: s, path } = step;
  if (s.kind !== 'human' && s.kind !== 'machine') {
    report(`${path}.kind`, `kind must be "human" or "machine", got ${show(s.kind)}`);
  }
  if (s.kind === 'machine') {
    if (typeof s.run !== 'function') report(`${path}.run`, 'machine step has no run function');
    for (const field of ['requiredCertifications', 'reviewPolicy', 'assignmentPolicy']) {
      if (s[field] !== undefined) {
        report(
          `${path}.${field}`,
          `machine step cannot have ${field}: machines are not certified, reviewed or assigned`,
        );
      }
    }
  } else {
    // Human steps, and steps of an invalid kind, which are most likely meant to be human.
    slugRefs(s.requiredCertifications, `${path}.requiredCertifications`, certifications, 'certification', report);
    if (s.reviewPolicy !== undefined) checkReviewPolicy(s.reviewPolicy, `${path}.reviewPolicy`, report);
    if (s.assignmentPolicy !== undefined)
      checkAssignmentPolicies(s.assignmentPolicy, `${path}.assignmentPolicy`, kinds, report);
  }
  for (const field of ['maxAttempts', 'timeoutMs']) {
    if (s[field] !== undefined && !(Number.isInteger(s[field]) && (s[field] as number) > 0)) {
      report(`${path}.${field}`, `${field} must be a positive integer, got ${show(s[field])}`);
    }
  }
  if (s.creationPolicy !== undefined) checkCreationPolicy(s.creationPolicy, `${path}.creationPolicy`, report);
  if (s.ui !== undefined && s.kind !== 'machine') checkUi(s.ui, `${path}.ui`, report);
  if (s.completionEndsProject !== undefined && typeof s.completionEndsProject !== 'boolean') {
    report(
      `${path}.completionEndsProject`,
      `completionEndsProject must be a boolean, got ${show(s.completionEndsProject)}`,
    );
  }
}

// ---- policies (every problem is reported at the policy field itself) --------------------

function checkReviewPolicy(policy: unknown, path: string, report: Report): void {
  if (!isObject(policy)) return report(path, `review policy must be an object, got ${show(policy)}`);
  if (policy.policy === 'no_review') return;
  if (policy.policy !== 'sampled_review') {
    return report(path, `unknown review policy ${show(policy.policy)} (expected "no_review" or "sampled_review")`);
  }
  const { rate, maxReviews } = policy;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    report(path, `sampled_review rate must be a number between 0 and 1, got ${show(rate)}`);
  }
  if (!Number.isInteger(maxReviews) || (maxReviews as number) < 0) {
    report(path, `sampled_review maxReviews must be a non-negative integer, got ${show(maxReviews)}`);
  }
}

const ASSIGNMENT_LEVELS = ['entryLevel', 'reviewer'];

function checkAssignmentPolicies(policies: unknown, path: string, kinds: Map<string, unknown>, report: Report): void {
  if (!isObject(policies)) {
    return report(path, `assignment policy must be an object with entryLevel and/or reviewer, got ${show(policies)}`);
  }
  for (const [level, policy] of Object.entries(policies)) {
    if (!ASSIGNMENT_LEVELS.includes(level))
      report(path, `unknown assignment level "${level}" (expected entryLevel or reviewer)`);
    else if (policy !== undefined) checkAssignmentPolicy(policy, `${path}.${level}`, kinds, report);
  }
}

function checkAssignmentPolicy(policy: unknown, path: string, kinds: Map<string, unknown>, report: Report): void {
  if (typeof policy === 'function') return;
  if (!isObject(policy))
    return report(path, `assignment policy must be a function or {policy: ...}, got ${show(policy)}`);
  switch (policy.policy) {
    case 'anyone_certified':
      return;
    case 'specified_worker':
      if (typeof policy.username !== 'string' || policy.username === '') {
        report(path, `specified_worker needs a non-empty username, got ${show(policy.username)}`);
      }
      return;
    case 'previously_completed_steps': {
      const related = policy.relatedSteps;
      if (!Array.isArray(related) || related.length === 0) {
        return report(path, `previously_completed_steps needs a non-empty relatedSteps array, got ${show(related)}`);
      }
      for (const slug of related) {
        if (typeof slug !== 'string' || !kinds.has(slug)) report(path, `relatedSteps names unknown step ${show(slug)}`);
        else if (kinds.get(slug) === 'machine')
          report(path, `relatedSteps names machine step "${slug}": only human steps have workers`);
      }
      return;
    }
    default:
      report(
        path,
        `unknown assignment policy ${show(policy.policy)} (expected "anyone_certified", "specified_worker" or "previously_completed_steps")`,
      );
  }
}

function checkCreationPolicy(policy: unknown, path: string, report: Report): void {
  if (typeof policy === 'function' || (isObject(policy) && policy.policy === 'always_create')) return;
  report(path, `creation policy must be a function or {policy: "always_create"}, got ${show(policy)}`);
}

function uploadSpecProblems(spec: unknown): string[] {
  if (!isObject(spec)) return [`uploads must be { folder, accept, maxBytes? }, got ${show(spec)}`];
  const problems: string[] = [];
  try {
    if (typeof spec.folder !== 'string' || spec.folder === '') throw new Error();
    normalizeFilePath(spec.folder);
  } catch {
    problems.push(`folder must be a folder path of the project such as "Raw Photos", got ${show(spec.folder)}`);
  }
  if (!Array.isArray(spec.accept) || spec.accept.length === 0 || spec.accept.some((t) => !UPLOAD_TYPES.includes(t))) {
    problems.push(`accept must list some of ${UPLOAD_TYPES.join(', ')}, got ${show(spec.accept)}`);
  }
  if (
    spec.maxBytes !== undefined &&
    !(Number.isInteger(spec.maxBytes) && (spec.maxBytes as number) > 0 && (spec.maxBytes as number) <= MAX_UPLOAD_BYTES)
  ) {
    problems.push(`maxBytes must be a whole number of bytes from 1 to ${MAX_UPLOAD_BYTES}, got ${show(spec.maxBytes)}`);
  }
  return problems;
}

function checkUi(ui: unknown, path: string, report: Report): void {
  if (!isObject(ui)) return report(path, `ui must be { component } or { form }, got ${show(ui)}`);
  if (
    ui.component !== undefined &&
    (typeof ui.component !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,99}$/.test(ui.component))
  ) {
    report(
      `${path}.component`,
      `component must name a Svelte file of the workflow's ui/ folder (letters, digits, _ -), got ${show(ui.component)}`,
    );
  }
  if (ui.component === undefined && ui.form === undefined) report(path, 'ui needs a component or a form');
  if (ui.uploads !== undefined)
    for (const problem of uploadSpecProblems(ui.uploads)) report(`${path}.uploads`, problem);
  if (ui.form !== undefined) for (const problem of formSchemaProblems(ui.form)) report(`${path}.form`, problem);
}
