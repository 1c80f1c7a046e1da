// Realtime for one server process: the relay follows the outbox, the hub fans events out to this
// process's subscriptions, and `stream` gives a subscription its events — first what it missed since
// its cursor (read from the outbox), then live — with no gap and no duplicate.
import type pg from 'pg';
import { EventHub, EventQueue } from './hub.js';
import { EventRelay } from './relay.js';
import { isAfter, parseCursor, readReleased, type Position, type StoredEvent, type StreamFilter } from './stream.js';
import { badInput } from '../lifecycle/errors.js';

export interface StreamRequest {
  /** Hub topics that carry the events this subscription may want. */
  topics: string[];
  /** The same narrowing for the replay read from the outbox. */
  filter: StreamFilter;
  /** Final say per event (authorization, event types). */
  accept?: (event: StoredEvent) => boolean;
  /** Cursor of the last event the client has: replay what came after it first. */
  after?: string | null;
}

const REPLAY_BATCH = 500;

export class Realtime {
  readonly hub = new EventHub();
  readonly relay: EventRelay;
  private readonly workflowOfProject = new Map<number, string | null>();
  private readonly listeners = new Set<(events: StoredEvent[]) => void>();
  private readonly open = new Set<EventQueue<StoredEvent>>();
  /** The relay delivery each live event came with (see batchOf). */
  private readonly batches = new WeakMap<StoredEvent, object>();

  constructor(
    private readonly pool: pg.Pool,
    connectionString: string,
    options: { pollIntervalMs?: number } = {},
  ) {
    this.relay = new EventRelay(pool, connectionString, (events) => this.deliver(events), {
      pollIntervalMs: options.pollIntervalMs,
      onError: (error) => console.error('[realtime] relay:', (error as Error).message ?? error),
    });
  }

  start(): Promise<void> {
    return this.relay.start();
  }

  /** Ends every open subscription (their clients see them complete) and stops the relay. */
  async stop(): Promise<void> {
    for (const q of this.open) q.close();
    this.open.clear();
    await this.relay.stop();
  }

  /** Called with every batch the relay delivers (used by trackers such as available-task counts). */
  onEvents(listener: (events: StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async deliver(events: StoredEvent[]): Promise<void> {
    const unknown = [...new Set(events.map((e) => e.projectId).filter((id): id is number => id !== null && !this.workflowOfProject.has(id)))];
    if (unknown.length) {
      const { rows } = await this.pool.query<{ id: number; slug: string }>(
        `select p.id, w.slug from project p join workflow_version v on v.id = p.version_id join workflow w on w.id = v.workflow_id where p.id = any($1::int[])`,
        [unknown],
      );
      for (const id of unknown) this.workflowOfProject.set(id, rows.find((r) => r.id === id)?.slug ?? null);
    }
    const batch = {};
    for (const event of events) this.batches.set(event, batch);
    for (const event of events) this.hub.publish(event, event.projectId === null ? null : (this.workflowOfProject.get(event.projectId) ?? null));
    for (const listener of this.listeners) listener(events);
  }

  /**
   * A subscription's events: replay after its cursor, then live. It listens from this call on, and
   * return() ends it at once — also while it waits for an event (an async generator sees return()
   * only at its next yield, so a client gone from a quiet topic would otherwise stay subscribed).
   */
  stream(request: StreamRequest): AsyncGenerator<StoredEvent> {
    let last: Position | null = null;
    if (request.after) {
      last = parseCursor(request.after);
      if (!last) throw badInput('Invalid cursor.');
    }
    const accept = request.accept ?? (() => true);
    const queue = new EventQueue<StoredEvent>();
    this.open.add(queue);
    // Listen before replaying: whatever the relay delivers meanwhile waits in the queue.
    const unsubscribe = this.hub.subscribe(request.topics, (event) => {
      if (accept(event)) queue.push(event);
    });
    const end = () => {
      unsubscribe();
      this.open.delete(queue);
      queue.close();
    };
    const events = this.replayThenLive(request.filter, accept, last, queue, end);
    return endingOnReturn(events, end);
  }

  private async *replayThenLive(
    filter: StreamFilter,
    accept: (event: StoredEvent) => boolean,
    last: Position | null,
    queue: EventQueue<StoredEvent>,
    end: () => void,
  ): AsyncGenerator<StoredEvent> {
    try {
      if (last) {
        for (;;) {
          const batch = await readReleased(this.pool, last, REPLAY_BATCH, filter);
          for (const event of batch) {
            last = { txId: event.txId, id: event.id };
            if (accept(event)) yield event;
          }
          if (batch.length < REPLAY_BATCH) break;
        }
      }
      for await (const event of queue) {
        const position = { txId: event.txId, id: event.id };
        if (last && !isAfter(position, last)) continue; // already sent by the replay
        last = position;
        yield event;
      }
    } finally {
      end();
    }
  }

  /**
   * The relay delivery a live event came with: one object shared by every event of that delivery (and so
   * by every subscription they reach); undefined for replayed events. Resolvers use it to read the state
   * after a delivery once, instead of once per event and subscriber.
   */
  batchOf(event: StoredEvent): object | undefined {
    return this.batches.get(event);
  }

  get subscriptions(): number {
    return this.open.size;
  }
}

/**
 * Makes `events.return()` call `end` first: `end` must make a pending `next()` settle (close the
 * queue it waits on), so the generator reaches its `finally` now instead of at its next event. Also
 * cleans up a generator that was never started (its `finally` would never run).
 */
export function endingOnReturn<T>(events: AsyncGenerator<T>, end: () => void): AsyncGenerator<T> {
  const generatorReturn = events.return.bind(events);
  events.return = (value) => {
    end();
    return generatorReturn(value);
  };
  return events;
}
