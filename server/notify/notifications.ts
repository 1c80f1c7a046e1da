// Notifications: e-mail and Slack messages to workers when their work changes. A durable consumer
// turns each committed event that means news (plan.ts) into a `notify` job; the job, in any process
// that runs jobs, reads the event back, finds its recipients as things stand now, and sends each the
// message by the channels their preferences allow.
//
// At most once per event, recipient and channel: before sending, the job claims the row
// (event, worker, channel) in notification_delivery; a send that fails gives its claim back and the
// job is retried, skipping what was sent. A process that dies between claiming and sending loses that
// one message rather than sending it twice.
import type { Task as JobHandler } from 'graphile-worker';
import type pg from 'pg';
import type { Config } from '../config.js';
import type { EventConsumer } from '../events/consumers.js';
import { readEvent } from '../events/stream.js';
import { WORKERS_WHO_MAY_CLAIM_SQL } from '../lifecycle/pool.js';
import type { Mailer } from './mailer.js';
import { workerOfActor } from '../kernel/actor.js';
import { planOf, type Plan } from './plan.js';
import { DEFAULT_PREFERENCES, forSlack, templates, type Message, type MessageKind } from './templates.js';

export const NOTIFY_JOB = 'notify';
export type Channel = 'email' | 'slack';

export function notificationsConsumer(): EventConsumer {
  return {
    name: 'notifications',
    async handle(events, jobs) {
      for (const event of events) {
        if (planOf(event))
          await jobs.add(NOTIFY_JOB, { eventId: event.id }, { jobKey: `notify:${event.id}`, maxAttempts: 8 });
      }
    },
  };
}

/** Posts one line to a Slack incoming webhook (any 2xx is delivered). */
export async function postToSlack(url: string, text: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(10_000),
    redirect: 'error',
  });
  if (!response.ok) throw new Error(`Slack answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
}

interface Facts {
  taskId: number | null;
  step: string;
  project: string;
  webhook: string | null;
}

interface Recipient {
  id: number;
  name: string;
  email: string;
  slack_username: string;
  wants_email: boolean;
  wants_slack: boolean;
}

const nameSql = (alias: string) =>
  `coalesce(nullif(trim(${alias}.first_name || ' ' || ${alias}.last_name), ''), ${alias}.username)`;

async function factsOf(
  pool: pg.Pool,
  config: Pick<Config, 'slackWebhooks'>,
  projectId: number,
  taskId: number | null,
): Promise<Facts | null> {
  const { rows } = await pool.query<{ project: string; slug: string; webhook: string | null; step: string | null }>(
    `select coalesce(nullif(p.short_description, ''), 'Project ' || p.id) as project, w.slug, p.slack_webhook_url as webhook,
            (select s.name from task t join step s on s.id = t.step_id where t.id = $2) as step
       from project p join workflow_version v on v.id = p.version_id join workflow w on w.id = v.workflow_id
      where p.id = $1`,
    [projectId, taskId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    taskId,
    step: row.step ?? '',
    project: row.project,
    webhook: row.webhook ?? config.slackWebhooks[row.slug] ?? null,
  };
}

async function recipientIds(pool: pg.Pool, plan: Plan, taskId: number | null): Promise<number[]> {
  const to = plan.to;
  let ids: number[];
  if ('workers' in to) ids = to.workers;
  else if (taskId === null) ids = [];
  else if ('atLevel' in to) {
    const { rows } = await pool.query<{ worker_id: number }>(
      `select worker_id from task_assignment where task_id = $1 and level = $2 and not is_deleted and worker_id is not null`,
      [taskId, to.atLevel],
    );
    ids = rows.map((r) => r.worker_id);
  } else if ('onTask' in to) {
    const { rows } = await pool.query<{ worker_id: number }>(
      `select distinct worker_id from task_assignment where task_id = $1 and not is_deleted and worker_id is not null`,
      [taskId],
    );
    ids = rows.map((r) => r.worker_id);
  } else {
    const { rows } = await pool.query<{ worker_id: number }>(WORKERS_WHO_MAY_CLAIM_SQL, [taskId]);
    ids = rows.map((r) => r.worker_id);
  }
  return [...new Set(ids)].filter((id) => id !== plan.exceptWorker);
}

/** The recipients' addresses and what they chose for this kind of message (or its default). */
async function recipients(pool: pg.Pool, ids: number[], kind: MessageKind): Promise<Recipient[]> {
  if (ids.length === 0) return [];
  const defaults = DEFAULT_PREFERENCES[kind];
  const { rows } = await pool.query<Recipient>(
    `select w.id, ${nameSql('w')} as name, w.email, w.slack_username,
            coalesce(cp.email, $3) as wants_email, coalesce(cp.slack, $4) as wants_slack
       from worker w left join communication_preference cp on cp.worker_id = w.id and cp.kind = $2
      where w.id = any($1::int[]) and w.is_active
      order by w.id`,
    [ids, kind, defaults.email, defaults.slack],
  );
  return rows;
}

async function nameOf(pool: pg.Pool, workerId: number | null): Promise<string | null> {
  if (workerId === null) return null;
  const { rows } = await pool.query<{ name: string }>(`select ${nameSql('w')} as name from worker w where w.id = $1`, [
    workerId,
  ]);
  return rows[0]?.name ?? null;
}

export interface NotifyDeps {
  pool: pg.Pool;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'slackWebhooks'>;
  /** Slack's incoming webhook (tests point it at a local receiver through the URL, not here). */
  slack?: (url: string, text: string) => Promise<void>;
}

export function notifyJob(deps: NotifyDeps): JobHandler {
  const slack = deps.slack ?? postToSlack;
  return async (payload) => {
    const { eventId } = payload as { eventId: number };
    const event = await readEvent(deps.pool, eventId);
    const plan = event && planOf(event);
    if (!event || !plan || event.projectId === null) return;
    const facts = await factsOf(deps.pool, deps.config, event.projectId, event.taskId);
    if (!facts) return;
    const ids = await recipientIds(deps.pool, plan, event.taskId);
    const people = await recipients(deps.pool, ids, plan.kind);
    if (people.length === 0) return;
    const render = await renderer(deps, plan, event, facts);

    let failure: unknown = null;
    for (const person of people) {
      const message = render(person.name);
      const sends: [Channel, boolean, () => Promise<void>][] = [
        [
          'email',
          person.wants_email && !!person.email,
          () =>
            deps.mailer.send({ to: person.email, subject: message.subject, text: message.text, html: message.html }),
        ],
        [
          'slack',
          person.wants_slack && !!facts.webhook,
          () =>
            slack(
              facts.webhook!,
              `${person.slack_username ? `@${person.slack_username}` : forSlack(person.name)}: ${forSlack(message.slack)}`,
            ),
        ],
      ];
      for (const [channel, wanted, send] of sends) {
        if (!wanted) continue;
        try {
          await deliverOnce(deps.pool, { eventId, workerId: person.id, channel, kind: plan.kind }, send);
        } catch (error) {
          failure ??= error; // the others still get theirs; the retry sends only what failed
        }
      }
    }
    if (failure) throw failure;
  };
}

/** Sends unless this (event, worker, channel) was sent already; a failed send gives its claim back. */
async function deliverOnce(
  pool: pg.Pool,
  d: { eventId: number; workerId: number; channel: Channel; kind: MessageKind },
  send: () => Promise<void>,
): Promise<void> {
  const { rowCount } = await pool.query(
    `insert into notification_delivery (event_id, worker_id, channel, kind) values ($1, $2, $3, $4) on conflict do nothing`,
    [d.eventId, d.workerId, d.channel, d.kind],
  );
  if (!rowCount) return;
  try {
    await send();
  } catch (error) {
    await pool.query(`delete from notification_delivery where event_id = $1 and worker_id = $2 and channel = $3`, [
      d.eventId,
      d.workerId,
      d.channel,
    ]);
    throw error;
  }
}

/** The message of a plan, for one recipient's name. Reads what every recipient's message shares once. */
async function renderer(
  deps: NotifyDeps,
  plan: Plan,
  event: NonNullable<Awaited<ReturnType<typeof readEvent>>>,
  facts: Facts,
): Promise<(name: string) => Message> {
  const base = deps.config.publicUrl;
  const task = (name: string) => ({
    name,
    step: facts.step,
    project: facts.project,
    url: facts.taskId === null ? `${base}/` : `${base}/task/${facts.taskId}`,
  });
  const by = await nameOf(deps.pool, workerOfActor(event.actor));
  switch (plan.template) {
    case 'TASK_ASSIGNED':
      return (name) => templates.TASK_ASSIGNED(task(name));
    case 'TASK_READY_FOR_REREVIEW':
      return (name) => templates.TASK_READY_FOR_REREVIEW({ ...task(name), by: by ?? 'A colleague' });
    case 'TASK_RETURNED': {
      const iterationId = event.type === 'task.returned' ? event.payload.iterationId : null;
      const { rows } = await deps.pool.query<{ feedback: string | null }>(
        `select feedback from iteration where id = $1`,
        [iterationId],
      );
      const feedback = rows[0]?.feedback?.trim() || null;
      return (name) => templates.TASK_RETURNED({ ...task(name), by: by ?? 'Your reviewer', feedback });
    }
    case 'TASK_ACCEPTED':
      return (name) => templates.TASK_ACCEPTED({ ...task(name), by });
    case 'PROJECT_ENDED':
      return (name) => templates.PROJECT_ENDED({ name, project: facts.project });
    case 'NEW_TASKS_AVAILABLE':
      return (name) => templates.NEW_TASKS_AVAILABLE({ ...task(name), url: `${base}/` });
  }
}
