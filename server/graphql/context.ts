// The GraphQL context: the caller (actor) resolved from its credentials, one batched reader per
// request, and the services resolvers call — nothing more. Resolvers translate: they parse ids and
// inputs, call a use case with the actor, and shape the answer.
import type { ProjectFilesService } from '../files/files.service.js';
import type { Orchestra } from '../app.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { WebhookService } from '../webhooks/webhook.service.js';
import type { Realtime } from '../events/realtime.js';
import type { Actor } from '../kernel/actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle.service.js';
import type { Reader } from '../read/reader.js';
import type { WorkerService } from '../workers/worker.service.js';
import type { Worker } from '../workers/worker.entity.js';
import type { Reads } from '../app.js';

export interface ResponseCookies {
  set(name: string, value: string, options: { maxAgeSeconds: number }): void;
  clear(name: string): void;
}

export interface GqlServices {
  lifecycle: LifecycleService;
  workers: WorkerService;
  auth: AuthService;
  accounts: AccountsService;
  webhooks: WebhookService;
  reads: Reads;
  projectFiles: ProjectFilesService;
}

export interface GqlContext {
  actor: Actor | null;
  /**
   * The logged-in worker (null for integrators and anonymous callers). A function: the entity is made
   * only for a resolver that asks (the `viewer` query); most requests need the actor alone.
   */
  viewer: () => Worker | null;
  /** The secret the caller authenticated with (used by logout). */
  credential: string | null;
  reader: Reader;
  services: GqlServices;
  cookies: ResponseCookies;
  /** The process's event stream, for subscriptions (null over plain HTTP). */
  realtime: Realtime | null;
  /** Where the request comes from (login throttling counts failures per address). */
  clientAddress: string | null;
}

export const servicesOf = (app: Orchestra): GqlServices => ({
  lifecycle: app.lifecycle,
  workers: app.workers,
  auth: app.auth,
  accounts: app.accounts,
  webhooks: app.webhooks,
  reads: app.reads,
  projectFiles: app.projectFiles,
});

export function createContext(
  services: GqlServices,
  fields: Pick<GqlContext, 'actor' | 'viewer' | 'credential' | 'cookies'> & {
    realtime?: Realtime | null;
    clientAddress?: string | null;
  },
): GqlContext {
  return {
    ...fields,
    realtime: fields.realtime ?? null,
    clientAddress: fields.clientAddress ?? null,
    services,
    reader: services.reads.reader(),
  };
}
