// Workers and their certifications. Granting enforces what the original only documented: a reviewer
// certification needs the entry-level one, and a certification needs its prerequisites.
import { hashPassword } from '../auth/passwords.js';
import { Certification } from '../catalog/catalog.entity.js';
import { requireAdmin, type Actor } from '../kernel/actor.js';
import { badInput, certificationError, conflict, notFound, Reason } from '../kernel/errors.js';
import type { EventInput } from '../kernel/events.js';
import { CertificationRole, TaskClass } from '../kernel/status.js';
import { findWorker } from '../lifecycle/load.js';
import { transact, type Engine, type Tx } from '../lifecycle/transaction.js';
import { Worker, WorkerCertification } from './worker.entity.js';

export interface CreateWorkerInput {
  username: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  isAdmin?: boolean;
  /** At least 8 characters; without one the worker cannot log in with a password. */
  password?: string | null;
  /** An argon2 hash made already (demo accounts, whose passwords are deliberately short); not with `password`. */
  passwordHash?: string | null;
}

export interface CertificationGrant {
  /** The worker, by id or by username (one of them). */
  workerId?: number | null;
  username?: string | null;
  workflowSlug: string;
  certificationSlug: string;
  role: CertificationRole;
  taskClass?: TaskClass;
}

export const MIN_PASSWORD_LENGTH = 8;
export const USERNAME = /^[A-Za-z0-9_.@+-]{1,150}$/;

/** The event a grant or revocation writes; it names the worker, so it reaches only them (and admins). */
function certificationsChanged(
  workerId: number,
  grant: CertificationGrant,
  change: 'granted' | 'revoked',
): EventInput<'worker.certifications_changed'> {
  return {
    type: 'worker.certifications_changed',
    projectId: null,
    payload: {
      change,
      workflow: grant.workflowSlug,
      certification: grant.certificationSlug,
      role: CertificationRole[grant.role],
      workerIds: [workerId],
    },
  };
}

function workerWhere(grant: CertificationGrant): { id: number } | { username: string } {
  if ((grant.workerId == null) === (grant.username == null))
    throw badInput('Name the worker by workerId or by username (one of them).');
  return grant.workerId != null ? { id: grant.workerId } : { username: grant.username! };
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/;

/** An e-mail address as given, trimmed; BAD_INPUT when it is not one. */
export function checkEmail(email: string): string {
  const clean = String(email ?? '').trim();
  if (!EMAIL.test(clean)) throw badInput('That is not an e-mail address (name@example.org).', { field: 'email' });
  return clean;
}

/** Sign-in and links go by e-mail too: an address belongs to one account at most (any case). */
export async function emailTaken(tx: Tx, email: string, except?: number): Promise<boolean> {
  const rows = await tx.em.execute<{ id: number }[]>(
    `select id from worker where lower(email) = lower(?) and email <> '' ${except ? 'and id <> ?' : ''} limit 1`,
    except ? [email, except] : [email],
  );
  return rows.length > 0;
}

export class WorkerService {
  constructor(readonly engine: Engine) {}

  async createWorker(actor: Actor, input: CreateWorkerInput): Promise<Worker> {
    requireAdmin(actor);
    if (!USERNAME.test(input.username)) throw badInput('username must be 1–150 letters, digits or _ . @ + -');
    for (const [field, max] of [
      ['firstName', 150],
      ['lastName', 150],
      ['email', 254],
    ] as const) {
      if ((input[field] ?? '').length > max) throw badInput(`${field} must have at most ${max} characters.`);
    }
    if (input.password != null && (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > 1000)) {
      throw badInput(`password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    if (input.password != null && input.passwordHash != null)
      throw badInput('Give a password or a password hash, not both.');
    const passwordHash = input.password ? await hashPassword(input.password) : (input.passwordHash ?? null);
    const email = input.email?.trim() ? checkEmail(input.email) : '';
    return transact(this.engine, actor, async (tx) => {
      if (await tx.em.count(Worker, { username: input.username }))
        throw conflict(`A worker named ${input.username} already exists.`, {}, Reason.DUPLICATE);
      if (email && (await emailTaken(tx, email)))
        throw conflict(`Another worker has the e-mail ${email}.`, { field: 'email' }, Reason.DUPLICATE);
      return tx.em.create(Worker, {
        username: input.username,
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        email,
        isAdmin: input.isAdmin ?? false,
        passwordHash,
      });
    });
  }

  async grantCertification(actor: Actor, grant: CertificationGrant): Promise<WorkerCertification> {
    requireAdmin(actor);
    const who = workerWhere(grant);
    const taskClass = grant.taskClass ?? TaskClass.REAL;
    return transact(this.engine, actor, async (tx) => {
      const certificationId = this.engine.catalog.certificationId(grant.workflowSlug, grant.certificationSlug);
      if (certificationId === undefined)
        throw notFound('Certification', `${grant.workflowSlug}/${grant.certificationSlug}`, 'slug');
      const worker = await findWorker(tx, who);
      const certification = await tx.em.findOneOrFail(Certification, { id: certificationId });
      const held = await tx.em.find(WorkerCertification, { worker });
      const has = (id: number, role: CertificationRole) =>
        held.some((h) => h.certification.id === id && h.role === role && h.taskClass === taskClass);
      const existing = held.find(
        (h) => h.certification.id === certificationId && h.role === grant.role && h.taskClass === taskClass,
      );
      if (existing) return existing;
      if (grant.role === CertificationRole.REVIEWER && !has(certificationId, CertificationRole.ENTRY_LEVEL)) {
        throw certificationError(
          `You are trying to add a reviewer certification (${grant.certificationSlug}) for a worker without an entry-level certification`,
        );
      }
      const missing = certification.requiredCertificationIds.filter(
        (id) => !held.some((h) => h.certification.id === id && h.taskClass === taskClass),
      );
      if (missing.length) {
        const slugs = (await tx.em.find(Certification, { id: { $in: missing } })).map((c) => c.slug);
        throw certificationError(`Certification ${grant.certificationSlug} requires ${slugs.join(', ')} first.`);
      }
      tx.emit(certificationsChanged(worker.id, grant, 'granted'));
      return tx.em.create(WorkerCertification, { worker, certification, role: grant.role, taskClass });
    });
  }

  /** Revoking an entry-level certification also revokes the reviewer one it carries. */
  async revokeCertification(actor: Actor, grant: CertificationGrant): Promise<{ revoked: number; worker: Worker }> {
    requireAdmin(actor);
    const who = workerWhere(grant);
    const taskClass = grant.taskClass ?? TaskClass.REAL;
    return transact(this.engine, actor, async (tx) => {
      const certificationId = this.engine.catalog.certificationId(grant.workflowSlug, grant.certificationSlug);
      if (certificationId === undefined)
        throw notFound('Certification', `${grant.workflowSlug}/${grant.certificationSlug}`, 'slug');
      const worker = await findWorker(tx, who);
      const roles =
        grant.role === CertificationRole.ENTRY_LEVEL
          ? [CertificationRole.ENTRY_LEVEL, CertificationRole.REVIEWER]
          : [grant.role];
      const revoked = await tx.em.nativeDelete(WorkerCertification, {
        worker,
        certification: certificationId,
        taskClass,
        role: { $in: roles },
      });
      if (revoked) tx.emit(certificationsChanged(worker.id, grant, 'revoked'));
      return { revoked, worker };
    });
  }
}
