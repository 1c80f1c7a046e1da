// Who is calling a use case. Every use case checks its actor first.
import { forbidden } from './errors.js';

export type Actor =
  | { kind: 'worker'; workerId: number; isAdmin: boolean }
  /** An integrator's API key: creates and reads projects. */
  | { kind: 'integrator'; keyId: number | null }
  /** Orchestra itself: machine steps, the CLI, seeds. */
  | { kind: 'system' };

export const SYSTEM: Actor = { kind: 'system' };

export const isAdmin = (actor: Actor): boolean => actor.kind === 'system' || (actor.kind === 'worker' && actor.isAdmin);

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
  if (actor.kind !== 'integrator' && !isAdmin(actor)) throw forbidden('Only project admins and integrators may do this.');
}
