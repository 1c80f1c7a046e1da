// Read use cases of the stored workflows: the original's workflow_types, one workflow, its versions'
// steps in the original's listing order, and certifications (admins).
import { requireActor, requireSeesEverything } from '../auth/access.js';
import type { Actor } from '../kernel/actor.js';
import type { Reader } from '../read/reader.js';
import { Certification, Workflow, type Step, type WorkflowVersion } from './catalog.entity.js';

const present = <T>(rows: (T | null | Error)[]): T[] => rows.filter((r): r is T => r !== null && !(r instanceof Error));

/** A version's steps in the original's listing order (roots first, then breadth-first). */
export async function stepsInListingOrder(reader: Reader, versionId: number): Promise<Step[]> {
  const rows = await reader.load.stepsByVersion.load(versionId);
  const { version: resolved } = reader.catalog.version(versionId);
  const order = new Map(resolved.listingOrder.map((slug, i) => [slug, i]));
  return [...rows].sort((a, b) => (order.get(a.slug) ?? a.position) - (order.get(b.slug) ?? b.position));
}

export class CatalogQueries {
  /** Every workflow (anyone logged in). */
  async workflows(actor: Actor | null, reader: Reader): Promise<Workflow[]> {
    requireActor(actor);
    return reader.em.find(Workflow, {}, { orderBy: { slug: 'asc' } });
  }

  async workflow(actor: Actor | null, reader: Reader, slug: string): Promise<Workflow | null> {
    requireActor(actor);
    return reader.em.findOne(Workflow, { slug });
  }

  /** Every certification of every workflow (admins and integrators). */
  async certifications(actor: Actor | null, reader: Reader): Promise<Certification[]> {
    requireSeesEverything(actor);
    return reader.em.find(Certification, {}, { orderBy: { id: 'asc' } });
  }

  versions(reader: Reader, workflow: Workflow): Promise<WorkflowVersion[]> {
    return reader.load.versionsByWorkflow.load(workflow.id);
  }

  workflowCertifications(reader: Reader, workflow: Workflow): Promise<Certification[]> {
    return reader.load.certificationsByWorkflow.load(workflow.id);
  }

  /** A version's steps in the order of the original's project information (roots first, then breadth-first). */
  steps(reader: Reader, version: WorkflowVersion): Promise<Step[]> {
    return stepsInListingOrder(reader, version.id);
  }

  async requiredCertifications(reader: Reader, of: Step | Certification): Promise<Certification[]> {
    return present(await reader.load.certification.loadMany(of.requiredCertificationIds));
  }
}
