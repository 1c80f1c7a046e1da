// Webhooks from committed events. The `webhooks` consumer records a delivery for each event and each
// webhook that wants it (all events, or one workflow's projects) and schedules the delivery job of that
// webhook and project. The job POSTs the project's pending deliveries one after another in stream order
// (one job per webhook and project at a time: a graphile-worker queue), stopping at the first failure
// and scheduling itself again with exponential backoff — so a project's events arrive in commit order,
// at least once (a crash after the receiver answered and before the row was marked sends it again), and
// never for a rolled-back change. After the last attempt a delivery is FAILED and the next one goes;
// a FAILED delivery can be sent again by hand.
import { createHmac } from 'node:crypto';
import type { Task as JobHandler } from 'graphile-worker';
import type pg from 'pg';
import type { Config } from '../config.js';
import { jobQueue, type EventConsumer, type JobQueue } from '../events/consumers.js';
import type { StoredEvent } from '../events/cursor.js';
import { readEvent, workflowsOfProjects } from '../events/stream.js';
import { outboundProblem } from './outbound.js';

export const WEBHOOK_JOB = 'webhook_deliver';

/** Headers of every delivery (documented in the README). */
export const WEBHOOK_HEADERS = {
  eventId: 'x-orchestra-event-id',
  eventType: 'x-orchestra-event-type',
  delivery: 'x-orchestra-delivery',
  timestamp: 'x-orchestra-timestamp',
  signature: 'x-orchestra-signature',
} as const;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret>`. */
export const webhookSignature = (secret: string, timestamp: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** The body of a delivery: the event as the stream has it. */
export function webhookBody(event: StoredEvent): string {
  return JSON.stringify({
    id: event.id,
    cursor: event.cursor,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    projectId: event.projectId,
    taskId: event.taskId,
    payload: event.payload,
  });
}

const queueOf = (webhookId: number, projectId: number | null) => `webhook:${webhookId}:${projectId ?? 'none'}`;

/** Schedules the delivery job of a webhook's deliveries of one project (coalesced while it waits). */
export async function scheduleDeliveries(
  jobs: JobQueue,
  webhookId: number,
  projectId: number | null,
  runAt?: Date,
): Promise<void> {
  const key = queueOf(webhookId, projectId);
  await jobs.add(WEBHOOK_JOB, { webhookId, projectId }, { jobKey: key, queueName: key, runAt, maxAttempts: 25 });
}

export function webhooksConsumer(): EventConsumer {
  return {
    name: 'webhooks',
    async handle(events, jobs, client) {
      const { rows: hooks } = await client.query<{ id: number; workflow_slug: string | null }>(
        `select id, workflow_slug from webhook where deleted_at is null`,
      );
      if (hooks.length === 0) return;
      const projectIds = [...new Set(events.map((e) => e.projectId).filter((id): id is number => id !== null))];
      const slugs = hooks.some((h) => h.workflow_slug) ? await workflowsOfProjects(client, projectIds) : new Map();
      const touched = new Map<string, { webhookId: number; projectId: number | null }>();
      for (const event of events) {
        for (const hook of hooks) {
          if (hook.workflow_slug && (event.projectId === null || slugs.get(event.projectId) !== hook.workflow_slug))
            continue;
          await client.query(
            `insert into webhook_delivery (webhook_id, event_id, event_tx_id, event_type, project_id)
             values ($1, $2, $3::text::xid8, $4, $5) on conflict (webhook_id, event_id) do nothing`,
            [hook.id, event.id, event.txId.toString(), event.type, event.projectId],
          );
          touched.set(queueOf(hook.id, event.projectId), { webhookId: hook.id, projectId: event.projectId });
        }
      }
      for (const { webhookId, projectId } of touched.values()) await scheduleDeliveries(jobs, webhookId, projectId);
    },
  };
}

export interface WebhookDeps {
  pool: pg.Pool;
  config: Pick<Config, 'webhooks'>;
}

interface Pending {
  id: string;
  event_id: string;
  attempts: number;
}

export function webhookJob(deps: WebhookDeps): JobHandler {
  return async (payload) => {
    const { webhookId, projectId } = payload as { webhookId: number; projectId: number | null };
    const { rows: hooks } = await deps.pool.query<{ url: string; secret: string }>(
      `select url, secret from webhook where id = $1 and deleted_at is null`,
      [webhookId],
    );
    const hook = hooks[0];
    if (!hook) return; // deleted: its deliveries stay as they are, listed
    const { maxAttempts, retryBaseMs, timeoutMs } = deps.config.webhooks;
    for (;;) {
      const { rows } = await deps.pool.query<Pending>(
        `select id, event_id, attempts from webhook_delivery
          where webhook_id = $1 and project_id is not distinct from $2::int and status = 'PENDING'
          order by event_tx_id, event_id limit 1`,
        [webhookId, projectId],
      );
      const delivery = rows[0];
      if (!delivery) return;
      const event = await readEvent(deps.pool, Number(delivery.event_id));
      const refused = deps.config.webhooks.allowPrivateNetworks ? null : await outboundProblem(new URL(hook.url));
      const outcome = !event
        ? { ok: false, status: null, error: 'the event is gone' }
        : refused
          ? { ok: false, status: null, error: `not sent: ${refused}` }
          : await post(hook, event, delivery.id, timeoutMs);
      const attempts = delivery.attempts + 1;
      const status = outcome.ok ? 'DELIVERED' : attempts >= maxAttempts || !event ? 'FAILED' : 'PENDING';
      await deps.pool.query(
        `update webhook_delivery set status = $2::varchar, attempts = $3, last_status = $4, last_error = $5,
                last_attempt_at = now(), delivered_at = case when $2::varchar = 'DELIVERED' then now() else delivered_at end
          where id = $1`,
        [delivery.id, status, attempts, outcome.status, outcome.error],
      );
      if (status === 'PENDING') {
        // Wait, then try again from this one: later events of the project wait behind it (their order).
        const delayMs = Math.min(retryBaseMs * 2 ** (attempts - 1), 3_600_000);
        await scheduleDeliveries(jobQueue(deps.pool), webhookId, projectId, new Date(Date.now() + delayMs));
        return;
      }
    }
  };
}

async function post(
  hook: { url: string; secret: string },
  event: StoredEvent,
  deliveryId: string,
  timeoutMs: number,
): Promise<{ ok: boolean; status: number | null; error: string | null }> {
  const body = webhookBody(event);
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Orchestra-Webhooks/1',
        [WEBHOOK_HEADERS.eventId]: String(event.id),
        [WEBHOOK_HEADERS.eventType]: event.type,
        [WEBHOOK_HEADERS.delivery]: deliveryId,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: webhookSignature(hook.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    return response.ok
      ? { ok: true, status: response.status, error: null }
      : { ok: false, status: response.status, error: `answered ${response.status}` };
  } catch (error) {
    return { ok: false, status: null, error: (error as Error).message ?? String(error) };
  }
}
