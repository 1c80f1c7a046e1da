// Webhooks end to end: an integrator registers a URL; committed events are POSTed to a local receiver,
// signed; a receiver that fails twice and then accepts gets the same event three times; a rolled-back
// change sends nothing; a project's events arrive in commit order; deliveries are listed, and a failed
// one is sent again.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../server/kernel/actor.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { failure, ok } from '../support/expect.js';
import { useServer, type TestServer } from '../support/server.js';
import { until } from '../support/wait.js';

const hooked = defineWorkflow({
  slug: 'hooked_news',
  name: 'Hooked news',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [{ kind: 'human', slug: 'write', name: 'Write', reviewPolicy: { policy: 'no_review' } }],
    },
    {
      slug: 'refusing',
      name: 'Creation fails after the task is written',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          assignmentPolicy: { entryLevel: { policy: 'specified_worker', username: 'nobody_here' } },
        },
      ],
    },
  ],
});

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A local receiver: records every request; fails the next N with 503. */
async function receiver() {
  const requests: Received[] = [];
  let failing = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = failing > 0 ? (failing--, 503) : 200;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orchestra-events`,
    requests,
    failNext: (n: number) => (failing = n),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** How an integrator checks a delivery (README: "Receive and verify webhooks"). */
function verified(r: Received, secret: string): boolean {
  const timestamp = String(r.headers['x-orchestra-timestamp']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex')}`;
  return r.headers['x-orchestra-signature'] === expected;
}

let s: TestServer;
let rx: Awaited<ReturnType<typeof receiver>>;
let apiKey: string;
let webhook: { id: string; secret: string };

beforeAll(async () => {
  rx = await receiver();
  s = await useServer({
    workflows: [hooked],
    jobs: true,
    config: { webhooks: { maxAttempts: 3, retryBaseMs: 100, timeoutMs: 2000, allowPrivateNetworks: true } },
  });
  apiKey = (await s.h.orchestra.auth.createApiKey(SYSTEM, 'webhook integrator')).secret;
  const res = await s.gql(
    `mutation($url: String!) { createWebhook(input: { url: $url }) { secret webhook { id url workflowSlug } } }`,
    { url: rx.url },
    { apiKey },
  );
  const created = ok(res).createWebhook;
  expect(created.webhook).toMatchObject({ url: rx.url, workflowSlug: null });
  webhook = { id: created.webhook.id, secret: created.secret };
});
afterAll(() => rx.close());

const pending = async () =>
  (await s.h.db.pool.query(`select count(*)::int as n from webhook_delivery where status = 'PENDING'`)).rows[0].n;
/** Every committed event handed to the webhooks consumer, and no delivery pending. */
const drained = async () => {
  await s.settled();
  await until(
    async () => {
      const { rows } = await s.h.db.pool.query(
        `select exists (select 1 from domain_event e, event_consumer c
                         where c.name = 'webhooks' and (e.tx_id, e.id) > (c.tx_id, c.event_id)) as behind`,
      );
      return !rows[0].behind && (await pending()) === 0;
    },
    'the deliveries to finish',
    30_000,
  );
};
const eventsOf = async (projectId: number) =>
  (
    await s.h.db.pool.query<{ id: string }>(`select id from domain_event where project_id = $1 order by tx_id, id`, [
      projectId,
    ])
  ).rows.map((r) => Number(r.id));
const receivedOf = (projectId: number) => rx.requests.filter((r) => JSON.parse(r.body).projectId === projectId);

describe('webhooks', () => {
  it('a receiver that fails twice gets the same event three times, signed, then the rest in commit order', async () => {
    rx.failNext(2);
    const p = await s.h.project('hooked_news', 'v1', { description: 'Breaking' });
    await drained();
    const events = await eventsOf(p.id);
    expect(events.length).toBeGreaterThanOrEqual(2); // project.created, task.created
    const got = receivedOf(p.id);
    const first = got.filter((r) => Number(r.headers['x-orchestra-event-id']) === events[0]);
    expect(first.map((r) => r.answered)).toEqual([503, 503, 200]);
    expect(new Set(first.map((r) => r.body)).size).toBe(1); // the same event each time
    expect(got.every((r) => verified(r, webhook.secret))).toBe(true);
    expect(got.some((r) => verified(r, 'another secret entirely'))).toBe(false);
    // Delivered in the project's commit order, each once.
    expect(got.filter((r) => r.answered === 200).map((r) => Number(r.headers['x-orchestra-event-id']))).toEqual(events);
    const body = JSON.parse(first[0]!.body);
    expect(body).toEqual({
      id: events[0],
      cursor: expect.stringMatching(/^\d+\.\d+$/),
      type: 'project.created',
      occurredAt: expect.any(String),
      actor: 'system',
      projectId: p.id,
      taskId: null,
      payload: { workflow: 'hooked_news', version: 'v1', priority: 0 },
    });
    expect(first[0]!.headers['x-orchestra-event-type']).toBe('project.created');

    const list = ok(
      await s.gql(
        `query($w: ID!) { webhookDeliveries(webhookId: $w) { totalCount nodes { eventId eventType projectId status attempts lastStatus } } }`,
        { w: webhook.id },
        { apiKey },
      ),
    ).webhookDeliveries;
    const mine = list.nodes.filter((d: { projectId: string }) => Number(d.projectId) === p.id);
    expect(mine.find((d: { eventId: string }) => Number(d.eventId) === events[0])).toEqual({
      eventId: String(events[0]),
      eventType: 'project.created',
      projectId: String(p.id),
      status: 'DELIVERED',
      attempts: 3,
      lastStatus: 200,
    });
  });

  it('a rolled-back change sends nothing', async () => {
    await drained();
    const before = rx.requests.length;
    const deliveriesBefore = (await s.h.db.pool.query('select count(*)::int as n from webhook_delivery')).rows[0].n;
    await failure(() => s.h.project('hooked_news', 'refusing'));
    const marker = await s.h.project('hooked_news', 'v1', { description: 'After the rollback' });
    await drained();
    const sent = rx.requests.slice(before).map((r) => JSON.parse(r.body) as { id: number; projectId: number });
    // Only the marker project's events, every one of which exists.
    expect(sent.every((e) => e.projectId === marker.id)).toBe(true);
    expect(sent.map((e) => e.id)).toEqual(await eventsOf(marker.id));
    const deliveriesAfter = (await s.h.db.pool.query('select count(*)::int as n from webhook_delivery')).rows[0].n;
    expect(deliveriesAfter - deliveriesBefore).toBe(sent.length);
  });

  it('after its last attempt a delivery is FAILED and the next goes; sent again by hand, it is delivered', async () => {
    await drained();
    rx.failNext(3); // maxAttempts is 3 here
    const p = await s.h.project('hooked_news', 'v1', { description: 'Unlucky' });
    await drained();
    const events = await eventsOf(p.id);
    const { rows } = await s.h.db.pool.query(
      `select id::text, event_id::int, status, attempts from webhook_delivery where project_id = $1 order by event_tx_id, event_id`,
      [p.id],
    );
    expect(rows.map((r) => [r.event_id, r.status, r.attempts])).toEqual([
      [events[0], 'FAILED', 3],
      ...events.slice(1).map((e) => [e, 'DELIVERED', 1]),
    ]);
    const failedList = ok(
      await s.gql(
        `query($w: ID!) { webhookDeliveries(webhookId: $w, status: "FAILED") { nodes { id lastStatus lastError } } }`,
        { w: webhook.id },
        { apiKey },
      ),
    ).webhookDeliveries.nodes;
    expect(failedList).toContainEqual({ id: rows[0].id, lastStatus: 503, lastError: 'answered 503' });

    const resent = await s.gql(
      `mutation($d: ID!) { resendWebhookDelivery(input: { deliveryId: $d }) { delivery { status } } }`,
      { d: rows[0].id },
      { apiKey },
    );
    expect(ok(resent).resendWebhookDelivery.delivery.status).toBe('PENDING');
    await drained();
    const again = await s.h.db.pool.query(`select status from webhook_delivery where id = $1`, [rows[0].id]);
    expect(again.rows[0].status).toBe('DELIVERED');
  });

  it('in production, refuses webhooks into private networks, when registered and when delivering', async () => {
    s.h.orchestra.config.webhooks.allowPrivateNetworks = false;
    try {
      for (const url of [
        'http://127.0.0.1:8080/x',
        'http://localhost/x',
        'http://[::1]/x',
        'http://10.1.2.3/x',
        'http://169.254.169.254/latest/meta-data',
        'http://192.168.0.10/x',
      ]) {
        const res = await s.gql(
          `mutation($u: String!) { createWebhook(input: { url: $u }) { secret } }`,
          { u: url },
          { apiKey },
        );
        expect(res.errors?.[0]?.extensions?.code, url).toBe('BAD_INPUT');
        expect(res.errors?.[0]?.message).toMatch(/private or local address/);
      }
      const pub = await s.gql(
        `mutation { createWebhook(input: { url: "https://93.184.216.34/hook" }) { webhook { id } } }`,
        {},
        { apiKey },
      );
      const publicId = ok(pub).createWebhook.webhook.id;
      ok(
        await s.gql(
          `mutation($w: ID!) { deleteWebhook(input: { id: $w }) { webhook { id } } }`,
          { w: publicId },
          { apiKey },
        ),
      );

      // The receiver registered earlier (a local address) gets nothing now: its deliveries fail, unsent.
      await drained();
      const before = rx.requests.length;
      const p = await s.h.project('hooked_news', 'v1', { description: 'Guarded' });
      await drained();
      expect(rx.requests.length).toBe(before);
      const { rows } = await s.h.db.pool.query(
        `select status, last_error from webhook_delivery where project_id = $1 order by event_tx_id, event_id limit 1`,
        [p.id],
      );
      expect(rows[0]).toEqual({
        status: 'FAILED',
        last_error: expect.stringMatching(/^not sent: 127\.0\.0\.1 is a private or local address/),
      });
    } finally {
      s.h.orchestra.config.webhooks.allowPrivateNetworks = true;
    }
  });

  it('an integrator sees and changes only its own webhooks; workers have none', async () => {
    const other = (await s.h.orchestra.auth.createApiKey(SYSTEM, 'another integrator')).secret;
    expect(ok(await s.gql('{ webhooks { id } }', {}, { apiKey: other })).webhooks).toEqual([]);
    const res = await s.gql(
      `query($w: ID!) { webhookDeliveries(webhookId: $w) { totalCount } }`,
      { w: webhook.id },
      { apiKey: other },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const w = await s.h.worker('hook_worker', [], { password: 'a long password' });
    const token = await s.login(w.username, 'a long password');
    const refused = await s.gql(
      `mutation { createWebhook(input: { url: "http://127.0.0.1:1/x" }) { secret } }`,
      {},
      { token },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await s.gql(
      `mutation { createWebhook(input: { url: "ftp://example.org" }) { secret } }`,
      {},
      { apiKey },
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
  });
});
