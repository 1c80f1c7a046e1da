// The relay of one server process: follows the outbox stream from the moment the process starts and
// hands every released event, once and in stream order, to the process's hub. A payload-free NOTIFY
// wakes it at once; a short poll backs the NOTIFY up (a lost notification, a dropped LISTEN
// connection). When the database is unreachable it retries and resumes from its cursor.
import type pg from 'pg';
import { Listener } from '../db/listen.js';
import { EVENTS_CHANNEL } from './outbox.js';
import { cursorOf, START, type Position, type StoredEvent } from './cursor.js';
import { readReleased, releasedHead } from './stream.js';

export interface RelayOptions {
  /** Poll even without notifications (ms). */
  pollIntervalMs?: number;
  batchSize?: number;
  onError?: (error: unknown) => void;
}

export class EventRelay {
  private position: Position = START;
  private readonly listener: Listener;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private pumping: Promise<void> | null = null;
  private again = false;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
    private readonly deliver: (events: StoredEvent[]) => void | Promise<void>,
    private readonly options: RelayOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.batchSize = options.batchSize ?? 500;
    this.listener = new Listener(connectionString, EVENTS_CHANNEL, {
      notification: () => void this.wake(),
      up: (again) => {
        if (again) void this.wake(); // catch up on what happened while disconnected
      },
      error: (error) => this.options.onError?.(error),
    });
  }

  /** Where the relay is: every released event up to here has been delivered. */
  get cursor(): string {
    return cursorOf(this.position);
  }

  get positionNow(): Position {
    return this.position;
  }

  async start(): Promise<void> {
    this.running = true;
    this.position = await releasedHead(this.pool);
    await this.listener.start();
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pumping;
    await this.listener.stop();
  }

  /** Reads and delivers everything released since the cursor; coalesces concurrent wake-ups. */
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
          for (;;) {
            const events = await readReleased(this.pool, this.position, this.batchSize);
            if (events.length === 0) break;
            const last = events[events.length - 1]!;
            await this.deliver(events); // a delivery that fails is read again from the same cursor, not skipped
            this.position = { txId: last.txId, id: last.id };
            if (events.length < this.batchSize) break;
          }
        } while (this.again && this.running);
      } catch (error) {
        this.options.onError?.(error); // the next poll retries from the same cursor
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }
}
