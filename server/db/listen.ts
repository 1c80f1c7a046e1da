// A dedicated connection that LISTENs on one channel and comes back when it drops (with backoff). While
// it is down, notifications are lost: `down` says so at once, and `up(again)` says when it listens again,
// so that its owner catches up (the relay reads the outbox) or forgets what it can no longer keep fresh
// (the session memory).
import pg from 'pg';

export interface ListenHandlers {
  notification(payload: string): void;
  /** Listening: the first time (`again` false), or after a drop (true). */
  up?(again: boolean): void;
  /** The connection dropped: notifications are missed until the next `up`. */
  down?(): void;
  error?(error: unknown): void;
}

export class Listener {
  private client: pg.Client | null = null;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly handlers: ListenHandlers,
    /** Names the connection in pg_stat_activity. */
    private readonly applicationName = `orchestra ${channel}`,
  ) {}

  get listening(): boolean {
    return this.client !== null;
  }

  /** The first attempt: resolved when it listens, or when it failed and a retry is scheduled. */
  start(): Promise<void> {
    return this.listen(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async listen(attempt: number): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString, application_name: this.applicationName });
    client.on('error', () => {}); // reported through 'end' below
    client.on('notification', (n) => {
      if (n.channel === this.channel) this.handlers.notification(n.payload ?? '');
    });
    client.on('end', () => {
      if (this.client !== client || this.stopped) return;
      this.client = null;
      this.handlers.down?.();
      setTimeout(() => void this.listen(1), 200).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) return void (await client.end().catch(() => {}));
      this.client = client;
      this.handlers.up?.(attempt > 0);
    } catch (error) {
      this.handlers.error?.(error);
      await client.end().catch(() => {});
      const delay = Math.min(5000, 200 * 2 ** attempt);
      setTimeout(() => void this.listen(attempt + 1), delay).unref();
    }
  }
}
