// Who is calling a use case. Every use case, reads too, checks its actor first.
import { forbidden } from './errors.js';

export type Actor =
  | { kind: 'worker'; workerId: number; isAdmin: boolean }
  /** An integrator's API key: creates and reads projects. */
  | { kind: 'integrator'; keyId: number | null }
  /** Orchestra itself: machine steps, the CLI, seeds. */
  | { kind: 'system' };

export const SYSTEM: Actor = { kind: 'system' };

export const isAdmin = (actor: Actor | null): boolean =>
  !!actor && (actor.kind === 'system' || (actor.kind === 'worker' && actor.isAdmin));

/** The worker themselves, or an admin: who may see a worker's e-mail, certifications and preferences. */
export const isSelfOrAdmin = (actor: Actor | null, workerId: number): boolean =>
  !!actor && (isAdmin(actor) || (actor.kind === 'worker' && actor.workerId === workerId));

/** Admins and integrator keys see every project, task and datum. */
export const seesEverything = (actor: Actor | null): boolean =>
  !!actor && (isAdmin(actor) || actor.kind === 'integrator');

export function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw forbidden('Only project admins may do this.');
}

/** Work is claimed, saved and submitted by workers themselves. */
export function requireWorker(actor: Actor): number {
  if (actor.kind !== 'worker') throw forbidden('Only workers may do this.');
  return actor.workerId;
}

/** Projects are created and ended by admins, integrators and Orchestra itself. */
export function requireProjectManager(actor: Actor): void {
  if (!seesEverything(actor)) throw forbidden('Only project admins and integrators may do this.');
}

/** How an actor is written in the event stream (the audit trail): `worker:12`, `integrator:3`, `system`. */
export function actorRef(actor: Actor): string {
  switch (actor.kind) {
    case 'worker':
      return `worker:${actor.workerId}`;
    case 'integrator':
      return actor.keyId === null ? 'integrator' : `integrator:${actor.keyId}`;
    case 'system':
      return 'system';
  }
}
export function requireSystem(actor: Actor): void {
  if (actor.kind !== 'system') throw forbidden('Only Orchestra itself may do this.');
}

/** The worker of an actor as the stream writes it (`worker:12` → 12); null for integrators and the system. */
export function workerOfActor(actor: string): number | null {
  const match = /^worker:(\d+)$/.exec(actor);
  return match ? Number(match[1]) : null;
}
