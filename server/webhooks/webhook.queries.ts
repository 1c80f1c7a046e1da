// Read use cases of webhooks: the list (an admin sees all, an integrator key its own) and a webhook's
// deliveries, newest first, by status, in keyset pages.
import type { Actor } from '../kernel/actor.js';
import { notFound } from '../kernel/errors.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../read/page.js';
import type { Reader } from '../read/reader.js';
import { Webhook, WebhookDelivery, type DeliveryStatus } from './webhook.entity.js';
import { ownsWebhook, requireWebhookManager } from './webhook.service.js';

export class WebhookQueries {
  async webhooks(actor: Actor | null, reader: Reader): Promise<Webhook[]> {
    const who = requireWebhookManager(actor);
    const where = who.kind === 'integrator' ? { apiKey: who.keyId, deletedAt: null } : { deletedAt: null };
    return reader.em.find(Webhook, where, { orderBy: { id: 'asc' } });
  }

  async deliveries(
    actor: Actor | null,
    reader: Reader,
    webhookId: number,
    filter: { status?: DeliveryStatus | null },
    page: PageRequest,
  ): Promise<Page<WebhookDelivery>> {
    const who = requireWebhookManager(actor);
    const webhook = await reader.em.findOne(Webhook, { id: webhookId });
    if (!webhook || !ownsWebhook(who, webhook)) throw notFound('Webhook', webhookId);
    const size = pageSize(page.first);
    const where: Record<string, unknown> = { webhook: webhookId };
    if (filter.status) where.status = filter.status;
    const total = await reader.em.count(WebhookDelivery, where);
    if (page.after) where.id = { $lt: String(decodeCursor(page.after, ['string'])[0]) };
    const rows = await reader.em.find(WebhookDelivery, where, { orderBy: { id: 'desc' }, limit: size + 1 });
    return toPage(rows, size, (d) => [d.id], total);
  }
}
