// Signed-in requests' session lookups, remembered by a server process while it hears of every change to
// them. Every request with a session token looked its session and worker up: a round trip per request
// (a quarter of the cycle's over GraphQL, bench/cycle.ts), for a row that changes when someone logs
// out, changes a password or a profile. PostgreSQL tells: triggers on `session` and `worker` NOTIFY the
// worker's id on `orchestra_auth` at commit (migration 20261204000000), whoever made the change — this
// process, another server, the CLI, SQL by hand. A process remembers only while its LISTEN connection is
// up; when it drops, everything is forgotten until it listens again. A lookup that a change overtook
// (a notification heard while it ran) is not remembered, so an entry never predates a change it was not
// told of. Changes made in this process are also forgotten at once, before their answer goes out
// (logout, a password, a profile): the notification would arrive a moment later. Entries also end with
// their session's expiry, and after `ttlMs` in any case.
import { Listener } from '../db/listen.js';

export const AUTH_CHANNEL = 'orchestra_auth';

interface Entry<T> {
  workerId: number;
  value: T;
  /** When to stop using it (ms): the session's expiry, or the time limit. */
  until: number;
}

export class SessionMemory<T = unknown> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Bumped by every change heard of and by every drop of the connection (see `mark`). */
  private changes = 0;
  private listening = false;

  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  /** The remembered lookup of a token's digest, if it is still good at `now`. */
  get(digest: string, now: number): T | null {
    if (!this.listening) return null; // deaf: nothing it holds can be trusted
    const entry = this.entries.get(digest);
    if (!entry) return null;
    if (entry.until > now) return entry.value;
    this.entries.delete(digest);
    return null;
  }

  /** Taken before a lookup and handed to `remember`: a change heard of in between voids it. */
  mark(): number {
    return this.changes;
  }

  remember(digest: string, mark: number, entry: { workerId: number; value: T; expiresAt: number }, now: number): void {
    if (!this.listening || mark !== this.changes) return;
    if (this.entries.size >= this.options.maxEntries) {
      // The oldest entry goes (a Map iterates in insertion order).
      this.entries.delete(this.entries.keys().next().value!);
    }
    const until = Math.min(entry.expiresAt, now + this.options.ttlMs);
    this.entries.set(digest, { workerId: entry.workerId, value: entry.value, until });
  }

  /** A worker's sessions or the worker changed: nothing of theirs is used again before it is looked up. */
  forgetWorker(workerId: number): void {
    this.changes++;
    for (const [digest, entry] of this.entries) if (entry.workerId === workerId) this.entries.delete(digest);
  }

  forgetToken(digest: string): void {
    this.changes++;
    this.entries.delete(digest);
  }

  forgetAll(): void {
    this.changes++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether it hears of changes now, and so may answer from memory. */
  get isListening(): boolean {
    return this.listening;
  }

  /** What the LISTEN connection hears, as the handlers of a `Listener` on AUTH_CHANNEL. */
  readonly handlers = {
    /** The payload is a worker's id, or empty when a whole table was truncated. */
    notification: (payload: string): void => {
      const workerId = Number(payload);
      if (payload !== '' && Number.isInteger(workerId)) this.forgetWorker(workerId);
      else this.forgetAll();
    },
    up: (): void => {
      this.forgetAll(); // a lookup that ran before this was not covered by the notifications
      this.listening = true;
    },
    down: (): void => {
      this.listening = false;
      this.forgetAll();
    },
  };

  private listener: Listener | null = null;

  /** Starts listening on its own connection; remembers from the moment it listens. */
  async listen(connectionString: string, onError?: (error: unknown) => void): Promise<void> {
    if (this.listener) return;
    this.listener = new Listener(
      connectionString,
      AUTH_CHANNEL,
      { ...this.handlers, error: onError },
      'orchestra sessions',
    );
    await this.listener.start();
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    this.handlers.down();
    await listener?.stop();
  }
}
