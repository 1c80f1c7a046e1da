// Workers and their certifications. Granting enforces what the original only documented: a reviewer
// certification needs the entry-level one, and a certification needs its prerequisites.
import { Worker, WorkerCertification } from './worker.entity.js';
import { EventType, type EventInput } from '../events/outbox.js';
import { Certification } from '../workflow/workflow.entity.js';
import { requireAdmin, type Actor } from '../lifecycle/actor.js';
import { transact, type Engine } from '../lifecycle/context.js';
import { badInput, certificationError, conflict, notFound } from '../lifecycle/errors.js';
import { CertificationRole, TaskClass } from '../lifecycle/status.js';

export interface CreateWorkerInput {
  username: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  isAdmin?: boolean;
  passwordHash?: string | null;
}

export interface CertificationGrant {
  workerId: number;
  workflowSlug: string;
  certificationSlug: string;
  role: CertificationRole;
  taskClass?: TaskClass;
}

/** The event a grant or revocation writes; it names the worker, so it reaches only them (and admins). */
function certificationsChanged(workerId: number, grant: CertificationGrant, change: 'granted' | 'revoked'): EventInput {
  return {
    type: EventType.WORKER_CERTIFICATIONS_CHANGED,
    projectId: null,
    payload: { change, workflow: grant.workflowSlug, certification: grant.certificationSlug, role: CertificationRole[grant.role], workerIds: [workerId] },
  };
}

const USERNAME = /^[A-Za-z0-9_.@+-]{1,150}$/;

export class WorkerService {
  constructor(readonly engine: Engine) {}

  async createWorker(actor: Actor, input: CreateWorkerInput): Promise<Worker> {
    requireAdmin(actor);
    if (!USERNAME.test(input.username)) {
      throw badInput('username must be 1–150 letters, digits or _ . @ + -');
    }
    for (const [field, max] of [['firstName', 150], ['lastName', 150], ['email', 254]] as const) {
      if ((input[field] ?? '').length > max) throw badInput(`${field} must have at most ${max} characters.`);
    }
    return transact(this.engine, async (tx) => {
      if (await tx.em.count(Worker, { username: input.username })) throw conflict(`A worker named ${input.username} already exists.`);
      return tx.em.create(Worker, {
        username: input.username,
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        email: input.email ?? '',
        isAdmin: input.isAdmin ?? false,
        passwordHash: input.passwordHash ?? null,
      });
    });
  }

  async grantCertification(actor: Actor, grant: CertificationGrant): Promise<WorkerCertification> {
    requireAdmin(actor);
    const taskClass = grant.taskClass ?? TaskClass.REAL;
    return transact(this.engine, async (tx) => {
      const certificationId = this.engine.catalog.certificationId(grant.workflowSlug, grant.certificationSlug);
      if (certificationId === undefined) throw notFound('Certification', `${grant.workflowSlug}/${grant.certificationSlug}`);
      const worker = await tx.em.findOne(Worker, { id: grant.workerId });
      if (!worker) throw notFound('Worker', grant.workerId);
      const certification = await tx.em.findOneOrFail(Certification, { id: certificationId });
      const held = await tx.em.find(WorkerCertification, { worker });
      const has = (id: number, role: CertificationRole) => held.some((h) => h.certification.id === id && h.role === role && h.taskClass === taskClass);
      const existing = held.find((h) => h.certification.id === certificationId && h.role === grant.role && h.taskClass === taskClass);
      if (existing) return existing;
      if (grant.role === CertificationRole.REVIEWER && !has(certificationId, CertificationRole.ENTRY_LEVEL)) {
        throw certificationError(
          `You are trying to add a reviewer certification (${grant.certificationSlug}) for a worker without an entry-level certification`,
        );
      }
      const missing = certification.requiredCertificationIds.filter((id) => !held.some((h) => h.certification.id === id && h.taskClass === taskClass));
      if (missing.length) {
        const slugs = (await tx.em.find(Certification, { id: { $in: missing } })).map((c) => c.slug);
        throw certificationError(`Certification ${grant.certificationSlug} requires ${slugs.join(', ')} first.`);
      }
      tx.emit(certificationsChanged(worker.id, grant, 'granted'));
      return tx.em.create(WorkerCertification, { worker, certification, role: grant.role, taskClass });
    });
  }

  /** Revoking an entry-level certification also revokes the reviewer one it carries. */
  async revokeCertification(actor: Actor, grant: CertificationGrant): Promise<number> {
    requireAdmin(actor);
    const taskClass = grant.taskClass ?? TaskClass.REAL;
    return transact(this.engine, async (tx) => {
      const certificationId = this.engine.catalog.certificationId(grant.workflowSlug, grant.certificationSlug);
      if (certificationId === undefined) throw notFound('Certification', `${grant.workflowSlug}/${grant.certificationSlug}`);
      const roles = grant.role === CertificationRole.ENTRY_LEVEL ? [CertificationRole.ENTRY_LEVEL, CertificationRole.REVIEWER] : [grant.role];
      const revoked = await tx.em.nativeDelete(WorkerCertification, { worker: grant.workerId, certification: certificationId, taskClass, role: { $in: roles } });
      if (revoked) tx.emit(certificationsChanged(grant.workerId, grant, 'revoked'));
      return revoked;
    });
  }
}
