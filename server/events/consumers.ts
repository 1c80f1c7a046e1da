// Durable consumers of the event stream: webhooks, notifications, workflow hooks. Each has a name and
// a stored cursor (table event_consumer). To consume, a process takes the consumer's row lock, reads
// the released events after its cursor, lets the consumer turn them into background jobs, and
// advances the cursor — all in one transaction. So a consumer gets every committed event at least
// once (a crash before commit undoes the jobs and the advance together: the events come again), never
// an event of a rolled-back change (only released events are read), and in stream order. Any number
// of processes may run consumers; the row lock makes one of them consume at a time. Sending mail or
// calling URLs happens in the jobs, never here.
import type pg from 'pg';
import type { Json } from '../kernel/json.js';
import { cursorOf, type Position, type StoredEvent } from './cursor.js';
import { readReleased, releasedHead } from './stream.js';

export interface JobOptions {
  /** A job with the same key that has not run yet is replaced rather than added twice. */
  jobKey?: string;
  /** Jobs of one queue run one at a time, in order (e.g. a webhook's deliveries of one project). */
  queueName?: string;
  runAt?: Date;
  maxAttempts?: number;
}

/** Adds graphile-worker jobs in the consumer's transaction. */
export interface JobQueue {
  add(task: string, payload: Json, options?: JobOptions): Promise<void>;
}

export interface EventConsumer {
  name: string;
  /**
   * Turns events into jobs, in the transaction that advances the cursor. Runs for every batch of events
   * (also those it does not care about: it skips them); may read the database through `client`.
   */
  handle(events: StoredEvent[], jobs: JobQueue, client: pg.PoolClient): Promise<void>;
}

export interface ConsumerRunnerOptions {
  batchSize?: number;
  /** Consume even without a wake-up (ms). */
  pollIntervalMs?: number;
  onError?: (consumer: string, error: unknown) => void;
}

/** Adds jobs through a connection (a consumer's transaction) or the pool (a job scheduling its own next run). */
export function jobQueue(client: pg.Pool | pg.PoolClient): JobQueue {
  return {
    async add(task, payload, options = {}) {
      await client.query(
        `select graphile_worker.add_job($1, $2::json, run_at => coalesce($3::timestamptz, now()), max_attempts => coalesce($4::int, 25), job_key => $5, queue_name => $6)`,
        [
          task,
          JSON.stringify(payload),
          options.runAt?.toISOString() ?? null,
          options.maxAttempts ?? null,
          options.jobKey ?? null,
          options.queueName ?? null,
        ],
      );
    },
  };
}

/**
 * Makes the consumer's row if it has none; a new consumer starts at the head of the stream (it is
 * handed what happens from now on, not the whole history).
 */
export async function registerConsumer(pool: pg.Pool, name: string): Promise<void> {
  const head = await releasedHead(pool);
  await pool.query(
    `insert into event_consumer (name, tx_id, event_id) values ($1, $2::text::xid8, $3) on conflict (name) do nothing`,
    [name, head.txId.toString(), head.id],
  );
}

/** Where a consumer is now (its cursor). */
export async function consumerPosition(pool: pg.Pool, name: string): Promise<string | null> {
  const { rows } = await pool.query<{ tx_id: string; event_id: string }>(
    `select tx_id::text as tx_id, event_id from event_consumer where name = $1`,
    [name],
  );
  return rows[0] ? cursorOf({ txId: BigInt(rows[0].tx_id), id: Number(rows[0].event_id) }) : null;
}

/**
 * One consumption step of one consumer: at most `batchSize` events. Returns how many events it handed
 * over, or null when another process holds the consumer right now.
 */
export async function consumeOnce(pool: pg.Pool, consumer: EventConsumer, batchSize = 200): Promise<number | null> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const { rows } = await client.query<{ tx_id: string; event_id: string }>(
      `select tx_id::text as tx_id, event_id from event_consumer where name = $1 for update skip locked`,
      [consumer.name],
    );
    if (!rows[0]) {
      await client.query('rollback');
      return null;
    }
    const position: Position = { txId: BigInt(rows[0].tx_id), id: Number(rows[0].event_id) };
    const events = await readReleased(client, position, batchSize);
    if (events.length === 0) {
      await client.query('rollback');
      return 0;
    }
    await consumer.handle(events, jobQueue(client), client);
    const last = events[events.length - 1]!;
    await client.query(
      `update event_consumer set tx_id = $2::text::xid8, event_id = $3, updated_at = now() where name = $1`,
      [consumer.name, last.txId.toString(), last.id],
    );
    await client.query('commit');
    return events.length;
  } catch (error) {
    // Nothing of this step stays: its jobs and its advance go together (or the connection died with both).
    await client.query('rollback').catch((e: Error) => (broken = e));
    throw error;
  } finally {
    client.release(broken); // a connection that could not even roll back is not reused
  }
}

/** Runs every consumer of a process: woken by the relay (new events) and by a slow poll. */
export class ConsumerRunner {
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private running = false;
  private readonly batchSize: number;

  constructor(
    private readonly pool: pg.Pool,
    readonly consumers: readonly EventConsumer[],
    private readonly options: ConsumerRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 200;
  }

  async start(): Promise<void> {
    for (const c of this.consumers) await registerConsumer(this.pool, c.name);
    this.running = true;
    this.timer = setInterval(() => void this.wake(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
    void this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pumping;
  }

  /** Consumes what is there for every consumer; coalesces concurrent wake-ups. */
  wake(): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          for (const consumer of this.consumers) {
            try {
              while (this.running && (await consumeOnce(this.pool, consumer, this.batchSize)) === this.batchSize);
            } catch (error) {
              this.options.onError?.(consumer.name, error); // the next wake-up retries from the same cursor
            }
          }
        } while (this.again && this.running);
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }
}
