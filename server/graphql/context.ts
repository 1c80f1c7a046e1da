// The GraphQL context: one forked EntityManager and one set of DataLoaders per request, the caller
// (actor) resolved from its credentials, and the services every resolver calls.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orchestra } from '../app.js';
import type { Realtime } from '../events/realtime.js';
import type { Actor } from '../lifecycle/actor.js';
import type { Worker } from '../workers/worker.entity.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface ResponseCookies {
  set(name: string, value: string, options: { maxAgeSeconds: number }): void;
  clear(name: string): void;
}

export interface GqlContext {
  em: EntityManager;
  actor: Actor | null;
  /** The logged-in worker (null for integrators and anonymous callers). */
  viewer: Worker | null;
  /** The secret the caller authenticated with (used by logout). */
  credential: string | null;
  app: Orchestra;
  loaders: Loaders;
  cookies: ResponseCookies;
  /** This process's event relay and hub (subscriptions). */
  realtime?: Realtime | null;
}

export function createContext(app: Orchestra, fields: Omit<GqlContext, 'em' | 'loaders' | 'app'> & { em?: EntityManager }): GqlContext {
  const em = fields.em ?? (app.db.orm.em.fork() as EntityManager);
  return { ...fields, em, app, loaders: createLoaders(em) };
}
