// Realtime for one server process: the relay follows the outbox, the hub fans events out to this
// process's subscriptions, and `stream` gives a subscription its events — first what it missed since
// its cursor (read from the outbox), then live — with no gap and no duplicate.
import type pg from 'pg';
import { EventHub, EventQueue } from './hub.js';
import { EventRelay } from './relay.js';
import { isAfter, parseCursor, type Position, type StoredEvent } from './cursor.js';
import { readReleased, workflowsOfProjects, type StreamFilter } from './stream.js';
import { refuse } from '../kernel/errors.js';
import { logRateLimited } from '../log.js';

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
      onError: (error) => logRateLimited('relay', `[realtime] relay: ${(error as Error).message ?? String(error)}`),
    });
  }

  private starting: Promise<void> | null = null;

  /** Starts following the stream (once; later calls wait for the first). */
  start(): Promise<void> {
    this.starting ??= this.relay.start();
    return this.starting;
  }

  get started(): boolean {
    return this.starting !== null;
  }

  /** Subscription streams still running (a closed stream ends at its next step). */
  private live = 0;

  /** Ends every open subscription and waits until their streams have ended (their clients see them complete). */
  async endSubscriptions(): Promise<void> {
    for (const q of this.open) q.close();
    this.open.clear();
    for (let waited = 0; this.live > 0 && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setImmediate(r)); // let the protocol send each "complete" before sockets close
  }

  /** Ends every open subscription and stops the relay. */
  async stop(): Promise<void> {
    await this.endSubscriptions();
    if (this.starting) await this.starting.catch(() => {});
    await this.relay.stop();
  }

  /** Called with every batch the relay delivers (used by trackers such as available-task counts). */
  onEvents(listener: (events: StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async deliver(events: StoredEvent[]): Promise<void> {
    const unknown = [
      ...new Set(
        events.map((e) => e.projectId).filter((id): id is number => id !== null && !this.workflowOfProject.has(id)),
      ),
    ];
    if (unknown.length) {
      const slugs = await workflowsOfProjects(this.pool, unknown);
      for (const id of unknown) this.workflowOfProject.set(id, slugs.get(id) ?? null);
    }
    const batch = {};
    for (const event of events) this.batches.set(event, batch);
    for (const event of events)
      this.hub.publish(event, event.projectId === null ? null : (this.workflowOfProject.get(event.projectId) ?? null));
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
      if (!last) throw refuse('INVALID_CURSOR');
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
    this.live++;
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
      this.live--;
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
