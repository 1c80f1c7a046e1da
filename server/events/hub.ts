// In-process fan-out: subscribers register for topics (project:<id>, task:<id>, worker:<id>,
// workflow:<slug>, all) and the relay's events reach only the subscribers of their topics, so one
// process can hold many thousands of subscriptions without testing each against every event.
import { ErrorCode, OrchestraError, Reason } from '../kernel/errors.js';
import { workerIdsOf } from '../kernel/events.js';
import type { StoredEvent } from './cursor.js';

export type Sink = (event: StoredEvent) => void;

export function topicsOf(event: StoredEvent, workflowSlug: string | null): string[] {
  const topics = ['all'];
  if (event.projectId !== null) topics.push(`project:${event.projectId}`);
  if (event.taskId !== null) topics.push(`task:${event.taskId}`);
  if (workflowSlug) topics.push(`workflow:${workflowSlug}`);
  for (const id of workerIdsOf(event)) topics.push(`worker:${id}`);
  return topics;
}

export class EventHub {
  private readonly topics = new Map<string, Set<Sink>>();

  subscribe(topics: string[], sink: Sink): () => void {
    for (const t of topics) {
      let sinks = this.topics.get(t);
      if (!sinks) this.topics.set(t, (sinks = new Set()));
      sinks.add(sink);
    }
    return () => {
      for (const t of topics) {
        const sinks = this.topics.get(t);
        sinks?.delete(sink);
        if (sinks?.size === 0) this.topics.delete(t);
      }
    };
  }

  /** Delivers an event to each subscribed sink once, even when it listens on several of its topics. */
  publish(event: StoredEvent, workflowSlug: string | null): void {
    const reached = new Set<Sink>();
    for (const topic of topicsOf(event, workflowSlug)) {
      for (const sink of this.topics.get(topic) ?? []) {
        if (reached.has(sink)) continue;
        reached.add(sink);
        sink(event);
      }
    }
  }

  get subscriberCount(): number {
    const all = new Set<Sink>();
    for (const sinks of this.topics.values()) for (const s of sinks) all.add(s);
    return all.size;
  }
}

/**
 * An async queue feeding one subscription. Bounded: a subscriber that stops reading is ended with an
 * error rather than letting the server's memory grow.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((e: unknown) => void) | null = null;
  private done = false;
  private error: Error | null = null;

  constructor(private readonly limit = 10_000) {}

  push(item: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.limit) {
      this.fail(
        new OrchestraError(
          ErrorCode.SLOW_SUBSCRIBER,
          'Subscriber is too slow: events were dropped. Resubscribe with your last cursor.',
          Reason.SLOW_SUBSCRIBER,
        ),
      );
      return;
    }
    this.items.push(item);
  }

  fail(error: Error): void {
    this.error = error;
    this.done = true;
    this.items.length = 0;
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = null;
      reject(error);
    }
  }

  close(): void {
    this.done = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
