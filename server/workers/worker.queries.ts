// Read use cases of workers: the list (admins and integrators), one worker by id or username, and
// what of a worker the viewer may see (email and certifications: the worker and admins).
import { requireActor } from '../auth/access.js';
import { isSelfOrAdmin, seesEverything, type Actor } from '../kernel/actor.js';
import { badInput, forbidden, notFound } from '../kernel/errors.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../read/page.js';
import type { Reader } from '../read/reader.js';
import { Worker, type WorkerCertification } from './worker.entity.js';

export class WorkerQueries {
  async workers(actor: Actor | null, reader: Reader, page: PageRequest): Promise<Page<Worker>> {
    if (!seesEverything(requireActor(actor))) throw forbidden('Only project admins may list workers.');
    const size = pageSize(page.first);
    const where = page.after ? { username: { $gt: String(decodeCursor(page.after, ['string'])[0]) } } : {};
    const rows = await reader.em.find(Worker, where, { orderBy: { username: 'asc' }, limit: size + 1 });
    return toPage(rows, size, (w) => [w.username], await reader.em.count(Worker));
  }

  /** A worker by id or by username: themselves, or anyone to admins and integrators. */
  async worker(
    actor: Actor | null,
    reader: Reader,
    ref: { id?: number | null; username?: string | null },
  ): Promise<Worker> {
    requireActor(actor);
    if ((ref.id == null) === (ref.username == null))
      throw badInput('Name the worker by id or by username (one of them).');
    const worker =
      ref.id != null ? await reader.load.worker.load(ref.id) : await reader.load.workerByUsername.load(ref.username!);
    if (!worker) throw ref.id != null ? notFound('Worker', ref.id) : notFound('Worker', ref.username!, 'username');
    if (!isSelfOrAdmin(actor, worker.id) && !seesEverything(actor)) throw forbidden('You may not see this worker.');
    return worker;
  }

  email(actor: Actor | null, worker: Worker): string | null {
    return isSelfOrAdmin(actor, worker.id) ? worker.email : null;
  }

  async certifications(actor: Actor | null, reader: Reader, worker: Worker): Promise<WorkerCertification[]> {
    return isSelfOrAdmin(actor, worker.id) ? reader.load.certificationsByWorker.load(worker.id) : [];
  }
}
