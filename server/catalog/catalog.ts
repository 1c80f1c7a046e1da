// The bridge between workflows in code and their rows: `syncWorkflows` stores every registered
// workflow (one transaction), and the resulting Catalog answers "which definition is this row?"
// from memory, so use cases never query steps or certifications just to find their rules.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { workflowError } from '../kernel/errors.js';
import type { AssignmentPolicy, CreationPolicy, ReviewPolicy } from '../workflow/definition.js';
import type { ResolvedStep, ResolvedVersion, ResolvedWorkflow, WorkflowRegistry } from '../workflow/registry.js';
import { Certification, Step, Workflow, WorkflowVersion } from './catalog.entity.js';

export interface CatalogStep {
  id: number;
  versionId: number;
  def: ResolvedStep;
  version: ResolvedVersion;
  workflow: ResolvedWorkflow;
  requiredCertificationIds: number[];
}

export class Catalog {
  private readonly steps = new Map<number, CatalogStep>();
  private readonly versionIds = new Map<string, number>();
  private readonly versions = new Map<
    number,
    { version: ResolvedVersion; workflow: ResolvedWorkflow; stepIds: Map<string, number> }
  >();
  private readonly certificationIds = new Map<string, number>();

  constructor(readonly registry: WorkflowRegistry) {}

  /** @internal used by syncWorkflows */
  addVersion(workflow: ResolvedWorkflow, version: ResolvedVersion, versionId: number, stepRows: Step[]): void {
    const stepIds = new Map<string, number>();
    for (const row of stepRows) {
      const def = version.step(row.slug);
      if (!def) continue; // a step of an older definition of this version (kept for its projects)
      stepIds.set(row.slug, row.id);
      this.steps.set(row.id, {
        id: row.id,
        versionId,
        def,
        version,
        workflow,
        requiredCertificationIds: row.requiredCertificationIds,
      });
    }
    this.versionIds.set(`${workflow.slug}/${version.slug}`, versionId);
    this.versions.set(versionId, { version, workflow, stepIds });
  }

  /** @internal */
  addCertification(workflowSlug: string, slug: string, id: number): void {
    this.certificationIds.set(`${workflowSlug}/${slug}`, id);
  }

  step(stepId: number): CatalogStep {
    const step = this.steps.get(stepId);
    if (!step) throw workflowError(`Step ${stepId} is not defined by any loaded workflow.`);
    return step;
  }

  version(versionId: number): { version: ResolvedVersion; workflow: ResolvedWorkflow; stepIds: Map<string, number> } {
    const v = this.versions.get(versionId);
    if (!v) throw workflowError(`Workflow version ${versionId} is not loaded.`);
    return v;
  }

  versionId(workflowSlug: string, versionSlug: string): number | undefined {
    return this.versionIds.get(`${workflowSlug}/${versionSlug}`);
  }

  certificationId(workflowSlug: string, slug: string): number | undefined {
    return this.certificationIds.get(`${workflowSlug}/${slug}`);
  }
}

/** How a policy is described in the step row (functions cannot be stored). */
function describePolicy(policy: ReviewPolicy | AssignmentPolicy | CreationPolicy): Record<string, unknown> {
  return typeof policy === 'function' ? { policy: 'function', name: policy.name || null } : { ...policy };
}

/**
 * Stores every workflow of the registry. A version already stored keeps its steps: removing a step or
 * changing a step's creation dependencies is refused (projects pinned to it rely on them) — publish a new
 * version instead. Names, descriptions and policies are updated.
 */
export async function syncWorkflows(orm: MikroORM, registry: WorkflowRegistry): Promise<Catalog> {
  const catalog = new Catalog(registry);
  await orm.em.fork().transactional(async (em) => {
    // Serialises concurrent starts of several server processes on one database.
    await em.execute(`select pg_advisory_xact_lock(hashtext('orchestra.sync_workflows'))`);
    for (const wf of registry.workflows()) await syncWorkflow(em, wf, catalog);
  });
  return catalog;
}

async function syncWorkflow(em: EntityManager, wf: ResolvedWorkflow, catalog: Catalog): Promise<void> {
  let workflow = await em.findOne(Workflow, { slug: wf.slug });
  if (!workflow) workflow = em.create(Workflow, { slug: wf.slug, name: wf.name, description: wf.description });
  workflow.name = wf.name;
  workflow.description = wf.description;

  const certs = new Map((await em.find(Certification, { workflow })).map((c) => [c.slug, c]));
  for (const c of wf.certifications) {
    const row = certs.get(c.slug) ?? em.create(Certification, { workflow, slug: c.slug, name: c.name });
    row.name = c.name;
    row.description = c.description;
    certs.set(c.slug, row);
  }
  await em.flush();
  for (const c of wf.certifications) {
    certs.get(c.slug)!.requiredCertificationIds = c.requiredCertifications.map((s) => certs.get(s)!.id);
    catalog.addCertification(wf.slug, c.slug, certs.get(c.slug)!.id);
  }

  for (const v of wf.versions) {
    let version = await em.findOne(WorkflowVersion, { workflow, slug: v.slug });
    if (!version)
      version = em.create(WorkflowVersion, { workflow, slug: v.slug, name: v.name, description: v.description });
    version.name = v.name;
    version.description = v.description;
    const stored = version.id
      ? new Map((await em.find(Step, { version })).map((s) => [s.slug, s]))
      : new Map<string, Step>();
    const problems: string[] = [];
    for (const [slug, row] of stored) {
      const def = v.step(slug);
      if (!def) problems.push(`step "${slug}" was removed`);
      else if ([...row.creationDependsOn].sort().join() !== [...def.creationDependsOn].sort().join()) {
        problems.push(`step "${slug}" changed its creationDependsOn`);
      }
    }
    if (problems.length) {
      throw workflowError(
        `Workflow ${wf.slug} version ${v.slug} is already stored and its topology cannot change (${problems.join('; ')}). Publish a new version instead.`,
      );
    }
    for (const def of v.steps) {
      const row =
        stored.get(def.slug) ??
        em.create(Step, { version, slug: def.slug, name: def.name, isHuman: def.isHuman, position: def.position });
      Object.assign(row, {
        name: def.name,
        description: def.description,
        isHuman: def.isHuman,
        position: def.position,
        creationDependsOn: def.creationDependsOn,
        submissionDependsOn: def.submissionDependsOn,
        requiredCertificationIds: def.requiredCertifications.map((s) => certs.get(s)!.id),
        reviewPolicy: describePolicy(def.reviewPolicy),
        assignmentPolicy: {
          entryLevel: describePolicy(def.assignmentPolicy.entryLevel),
          reviewer: describePolicy(def.assignmentPolicy.reviewer),
        },
        creationPolicy: describePolicy(def.creationPolicy),
        ui: (def.ui as Record<string, unknown> | null) ?? null,
        completionEndsProject: def.completionEndsProject,
      });
      stored.set(def.slug, row);
    }
    await em.flush();
    catalog.addVersion(wf, v, version.id, [...stored.values()]);
  }
}
