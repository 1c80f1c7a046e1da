// Webhooks' use cases: register one (an admin, or an integrator for its own key), delete it, send a
// delivery again. Reads (the list, deliveries) are in webhook.queries.ts.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { isAdmin, type Actor } from '../kernel/actor.js';
import { badInput, forbidden, notFound, refuse } from '../kernel/errors.js';
import { transact, type Engine } from '../lifecycle/transaction.js';
import { jobQueue } from '../events/consumers.js';
import { Webhook, WebhookDelivery } from './webhook.entity.js';
import { outboundProblem } from './outbound.js';
import { scheduleDeliveries } from './webhooks.js';

export interface WebhookInput {
  url: string;
  /** At least 16 characters; made when not given (returned once). */
  secret?: string | null;
  workflowSlug?: string | null;
}

/** Admins manage every webhook; an integrator key its own. Workers have none. */
export function requireWebhookManager(actor: Actor | null): Actor {
  if (!actor) throw refuse('NOT_LOGGED_IN');
  if (!isAdmin(actor) && actor.kind !== 'integrator') throw forbidden('Only admins and integrators have webhooks.');
  return actor;
}

export const ownsWebhook = (actor: Actor, webhook: Webhook): boolean =>
  isAdmin(actor) || (actor.kind === 'integrator' && webhook.apiKey?.id === actor.keyId);

export class WebhookService {
  constructor(
    private readonly engine: Engine,
    /** Where the delivery job of a delivery sent again is added. */
    private readonly pool: pg.Pool,
  ) {}

  async create(actor: Actor | null, input: WebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const who = requireWebhookManager(actor);
    let url: URL;
    try {
      url = new URL(String(input.url ?? ''));
    } catch {
      throw badInput('A webhook needs an http or https URL.', { field: 'url' });
    }
    if (!['http:', 'https:'].includes(url.protocol) || String(input.url).length > 2048)
      throw badInput('A webhook needs an http or https URL.', { field: 'url' });
    if (!this.engine.config.webhooks.allowPrivateNetworks) {
      const problem = await outboundProblem(url);
      if (problem) throw badInput(`This webhook cannot be called: ${problem}.`, { field: 'url' });
    }
    const secret = input.secret ?? randomBytes(24).toString('base64url');
    if (typeof secret !== 'string' || secret.length < 16 || secret.length > 200)
      throw badInput('A webhook secret has 16–200 characters.', { field: 'secret' });
    const slug = input.workflowSlug ?? null;
    if (slug !== null && !this.engine.catalog.registry.workflow(slug)) throw notFound('Workflow', slug, 'slug');
    return transact(this.engine, who, async (tx) => {
      const webhook = tx.em.create(Webhook, {
        url: url.toString(),
        secret,
        workflowSlug: slug,
        apiKey: who.kind === 'integrator' ? who.keyId : null,
        createdBy: who.kind === 'worker' ? who.workerId : null,
      });
      return { webhook, secret };
    });
  }

  async remove(actor: Actor | null, id: number): Promise<Webhook> {
    const who = requireWebhookManager(actor);
    return transact(this.engine, who, async (tx) => {
      const webhook = await tx.em.findOne(Webhook, { id, deletedAt: null });
      if (!webhook || !ownsWebhook(who, webhook)) throw notFound('Webhook', id);
      webhook.deletedAt = this.engine.now();
      return webhook;
    });
  }

  /** Sends a delivery again (a FAILED one, typically): it goes after what is pending of its project. */
  async resend(actor: Actor | null, deliveryId: string): Promise<WebhookDelivery> {
    const who = requireWebhookManager(actor);
    const delivery = await transact(this.engine, who, async (tx) => {
      const found = await tx.em.findOne(WebhookDelivery, { id: deliveryId }, { populate: ['webhook'] });
      if (!found || !ownsWebhook(who, found.webhook) || found.webhook.deletedAt)
        throw notFound('WebhookDelivery', deliveryId);
      if (found.status === 'PENDING') return found;
      found.status = 'PENDING';
      found.attempts = 0;
      return found;
    });
    await scheduleDeliveries(jobQueue(this.pool), delivery.webhook.id, delivery.projectId);
    return delivery;
  }
}
