// Idempotency keys: a client that may send a request twice (a retry after a timeout) names it with an
// `Idempotency-Key` header. The first request with a key runs and its answer is kept; the same key
// with the same request gets that answer again without running anything; the same key with another
// request is refused (IDEMPOTENCY_KEY_REUSED). Keys belong to the caller (two callers' keys never
// meet) and expire after `ttlMs`. Two requests with one key at once: the second waits for the first's
// answer. A request that failed inside the server (5xx) keeps no answer: it may be sent again.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { refuse } from '../kernel/errors.js';

export interface KeptAnswer {
  status: number;
  body: string;
  /** True when this answer is the kept one of an earlier request. */
  replayed: boolean;
}

/** How long a request may hold its key while it runs; past it, another request with the key may run. */
const LEASE_MS = 60_000;
const KEY = /^[\x21-\x7e]{1,200}$/;

export const requestHash = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex');

export class IdempotencyStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: () => number,
  ) {}

  /** Checks a key as sent (`null`: none was). */
  static check(key: string | undefined, actor: string | null): string | null {
    if (key === undefined) return null;
    if (!KEY.test(key) || !actor) throw refuse('IDEMPOTENCY_KEY_INVALID');
    return key;
  }

  /** Runs `run` once per (actor, key): the kept answer for a repeat, a refusal for another request. */
  async once(
    actor: string,
    key: string,
    hash: string,
    run: () => Promise<{ status: number; body: string }>,
  ): Promise<KeptAnswer> {
    for (;;) {
      // Expired keys (this one and a few others) go first: a key is good for ttlMs.
      await this.pool.query(
        `delete from idempotency_key where ctid in (select ctid from idempotency_key where expires_at < now() limit 100)
            or (actor = $1 and key = $2 and expires_at < now())`,
        [actor, key],
      );
      const taken = await this.pool.query(
        `insert into idempotency_key (actor, key, request_hash, expires_at, lease_until)
         values ($1, $2, $3, now() + $4 * interval '1 millisecond', now() + $5 * interval '1 millisecond')
         on conflict (actor, key) do nothing`,
        [actor, key, hash, this.ttlMs(), LEASE_MS],
      );
      if (taken.rowCount) return this.runHolding(actor, key, run);
      const { rows } = await this.pool.query<{
        request_hash: string;
        response: string | null;
        http_status: number | null;
        lease_over: boolean;
      }>(
        `select request_hash, response #>> '{}' as response, http_status, lease_until < now() as lease_over
           from idempotency_key where actor = $1 and key = $2`,
        [actor, key],
      );
      const row = rows[0];
      if (!row) continue; // expired and removed meanwhile: take it
      if (row.request_hash !== hash) throw refuse('IDEMPOTENCY_KEY_REUSED');
      if (row.response !== null) return { status: row.http_status ?? 200, body: row.response, replayed: true };
      if (row.lease_over) {
        // The request that held it died: this one takes it over.
        const over = await this.pool.query(
          `update idempotency_key set lease_until = now() + $3 * interval '1 millisecond'
            where actor = $1 and key = $2 and response is null and lease_until < now()`,
          [actor, key, LEASE_MS],
        );
        if (over.rowCount) return this.runHolding(actor, key, run);
      }
      await new Promise((resolve) => setTimeout(resolve, 25)); // the first request with this key runs: its answer comes
    }
  }

  private async runHolding(
    actor: string,
    key: string,
    run: () => Promise<{ status: number; body: string }>,
  ): Promise<KeptAnswer> {
    let answer: { status: number; body: string };
    try {
      answer = await run();
    } catch (error) {
      await this.release(actor, key);
      throw error;
    }
    if (answer.status >= 500) await this.release(actor, key);
    else
      await this.pool.query(
        `update idempotency_key set response = to_jsonb($3::text), http_status = $4 where actor = $1 and key = $2`,
        [actor, key, answer.body, answer.status],
      );
    return { ...answer, replayed: false };
  }

  private async release(actor: string, key: string): Promise<void> {
    await this.pool.query(`delete from idempotency_key where actor = $1 and key = $2 and response is null`, [
      actor,
      key,
    ]);
  }
}
