// Identity: who is calling. Workers log in with username and password and get a session token
// (the app keeps it in an httpOnly cookie, scripts send it as a bearer token); integrators use API
// keys. Both are looked up by their SHA-256 digest.
import { createHash, randomBytes } from 'node:crypto';
import type { EntityDictionary, EntityManager } from '@mikro-orm/postgresql';
import { requireAdmin, SYSTEM, type Actor } from '../kernel/actor.js';
import { badInput, ErrorCode, notFound, OrchestraError, Reason, refuse } from '../kernel/errors.js';
import { prepared } from '../db/round-trips.js';
import { workerColumnList } from '../lifecycle/load.js';
import { transact, type Engine } from '../lifecycle/transaction.js';
import { Worker } from '../workers/worker.entity.js';
import { ApiKey, Session } from './auth.entity.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { SessionMemory } from './session-memory.js';

let dummy: Promise<string> | null = null;
/** A hash to verify against when the user does not exist, so both paths cost the same. */
const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** The app's session cookie (httpOnly). */
export const SESSION_COOKIE = 'orchestra_session';
/** Both kinds of secret carry a prefix, so a bearer header can carry either and they never collide. */
export const API_KEY_PREFIX = 'ok_';
export const SESSION_PREFIX = 'os_';
/** How long a server process may answer a session from memory without looking again (see session-memory.ts). */
export const SESSION_MEMORY_MS = 30_000;
/** Only record an API key's use when the last record is older than this (saves a write per request). */
const KEY_USE_GRANULARITY_MS = 60_000;

export const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');
export const secret = () => randomBytes(32).toString('base64url');

export interface Credentials {
  sessionToken?: string | null;
  apiKey?: string | null;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  worker: Worker;
}

/** A session's worker, as the lookup reads it (the worker's columns). */
type SessionRow = EntityDictionary<Worker> & { id: number; is_admin: boolean };

export class AuthService {
  constructor(
    readonly engine: Engine,
    /** The sessions this process may answer without a lookup (while it hears of their changes). */
    readonly sessions: SessionMemory<SessionRow> = new SessionMemory({ ttlMs: SESSION_MEMORY_MS, maxEntries: 10_000 }),
  ) {}

  /**
   * Logs a worker in. Failed attempts are counted per username and per client address; past the limit
   * of a window, attempts wait (TOO_MANY_REQUESTS with the seconds to wait) — also with the right
   * password, or guessing would only need patience. A successful login clears its username's count.
   */
  async login(username: string, password: string, client: { address?: string | null } = {}): Promise<LoginResult> {
    if (
      typeof username !== 'string' ||
      username.length > 150 ||
      typeof password !== 'string' ||
      password.length > 1000
    ) {
      throw refuse('BAD_CREDENTIALS');
    }
    const keys = [`user:${username.toLowerCase()}`, ...(client.address ? [`address:${client.address}`] : [])];
    await this.refuseWhileThrottled(keys);
    const worker = await this.findByLogin(username);
    // The same message, and the same argon2 work, whether the user exists or not: no account probing.
    const valid = await verifyPassword(worker?.passwordHash ?? (await dummyHash()), password);
    if (!worker || !valid) {
      await this.countFailure(keys);
      throw refuse('BAD_CREDENTIALS');
    }
    // Only someone who knows the password learns that the account waits for its activation link.
    if (!worker.isActive) throw refuse('NOT_ACTIVATED');
    return transact(this.engine, SYSTEM, async (tx) => {
      await tx.em.execute(`delete from login_throttle where key = ?`, [keys[0]]);
      const token = `${SESSION_PREFIX}${secret()}`;
      const expiresAt = new Date(this.engine.now().getTime() + SESSION_TTL_MS);
      tx.em.create(Session, { tokenHash: digest(token), worker, expiresAt });
      return { token, expiresAt, worker };
    });
  }

  /** Sign-in takes a username or an e-mail address (a username wins when both match). */
  private async findByLogin(login: string): Promise<Worker | null> {
    const em = this.engine.orm.em.fork();
    const byName = await em.findOne(Worker, { username: login }, { populate: ['passwordHash'] });
    if (byName || !login.includes('@')) return byName;
    const [row] = await em.execute<{ id: number }[]>(
      `select id from worker where lower(email) = lower(?) and email <> '' limit 1`,
      [login],
    );
    return row ? em.findOne(Worker, row.id, { populate: ['passwordHash'] }) : null;
  }

  private async refuseWhileThrottled(keys: string[]): Promise<void> {
    const { perUser, perAddress, windowMs } = this.engine.config.loginThrottle;
    const rows = await this.engine.orm.em.fork().execute<{ key: string; failures: number; ends_in_ms: string }[]>(
      `select key, failures, extract(epoch from (window_started_at + ? * interval '1 millisecond' - now())) * 1000 as ends_in_ms
         from login_throttle where key in (?)`,
      [windowMs, keys],
    );
    const waits = rows
      .filter((r) => Number(r.ends_in_ms) > 0 && r.failures >= (r.key.startsWith('user:') ? perUser : perAddress))
      .map((r) => Math.ceil(Number(r.ends_in_ms) / 1000));
    if (waits.length) {
      const retryAfterSeconds = Math.max(...waits);
      throw new OrchestraError(
        ErrorCode.TOO_MANY_REQUESTS,
        `Too many failed logins; try again in ${retryAfterSeconds} seconds.`,
        Reason.THROTTLED,
        {
          retryAfterSeconds,
        },
      );
    }
  }

  /** One more failure for each key, in a window that starts again once the last one has passed. */
  private async countFailure(keys: string[]): Promise<void> {
    const { windowMs } = this.engine.config.loginThrottle;
    for (const key of keys) {
      await this.engine.orm.em.fork().execute(
        `insert into login_throttle (key, failures, window_started_at) values (?, 1, now())
         on conflict (key) do update set
           failures = case when login_throttle.window_started_at + ? * interval '1 millisecond' < now() then 1 else login_throttle.failures + 1 end,
           window_started_at = case when login_throttle.window_started_at + ? * interval '1 millisecond' < now() then now() else login_throttle.window_started_at end`,
        [key, windowMs, windowMs],
      );
    }
  }

  async logout(token: string): Promise<boolean> {
    const ended = await transact(
      this.engine,
      SYSTEM,
      async (tx) => (await tx.em.nativeDelete(Session, { tokenHash: digest(token) })) > 0,
    );
    this.sessions.forgetToken(digest(token)); // before the answer: the notification comes a moment later
    return ended;
  }

  /** The actor behind a request's credentials, or null for an anonymous request (bad credentials → error). */
  async resolve(credentials: Credentials): Promise<{ actor: Actor; viewer: () => Worker | null } | null> {
    const token = credentials.apiKey ?? credentials.sessionToken ?? null;
    if (!token) return null;
    const em = this.engine.orm.em.fork();
    if (token.startsWith(API_KEY_PREFIX)) {
      const key = await em.findOne(ApiKey, { keyHash: digest(token), revokedAt: null });
      if (!key) throw refuse('BAD_API_KEY');
      const now = this.engine.now();
      if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > KEY_USE_GRANULARITY_MS) {
        await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
      }
      return { actor: { kind: 'integrator', keyId: key.id }, viewer: () => null };
    }
    // Every signed-in request starts here: answered from this process's memory of sessions when it can
    // (auth/session-memory.ts), else looked up. The actor comes from the row; the Worker entity (some
    // 50 µs of the entity factory) only when a resolver asks for the viewer, made from a copy (the
    // remembered row serves other requests too).
    const tokenDigest = digest(token);
    const now = this.engine.now();
    const session = this.sessions.get(tokenDigest, now.getTime()) ?? (await this.lookUpSession(em, tokenDigest, now));
    let worker: Worker | undefined;
    return {
      actor: { kind: 'worker', workerId: session.id, isAdmin: session.is_admin },
      viewer: () => (worker ??= em.map(Worker, { ...session })),
    };
  }

  /**
   * A session's worker by the token's digest, remembered unless a change overtook the lookup: one
   * prepared statement (parsed and planned once per connection), not a findOne with populate (whose
   * query building cost more CPU than the statement; bench/cycle.ts).
   */
  private async lookUpSession(em: EntityManager, tokenDigest: string, now: Date): Promise<SessionRow> {
    const mark = this.sessions.mark();
    const [found] = await prepared<SessionRow & { session_expires_at: Date }>(
      em,
      `select ${workerColumnList({ em }, 'w')}, s.expires_at as session_expires_at
         from session s join worker w on w.id = s.worker_id
        where s.token_hash = ? and s.expires_at > ?`,
      [tokenDigest, now],
    );
    if (!found) throw refuse('SESSION_EXPIRED');
    const { session_expires_at: expiresAt, ...row } = found;
    this.sessions.remember(
      tokenDigest,
      mark,
      { workerId: row.id, value: row, expiresAt: new Date(expiresAt).getTime() },
      now.getTime(),
    );
    return row;
  }

  /** Of some secrets (session tokens, API keys), those that are still valid: one statement for all of them. */
  async stillValid(secrets: readonly string[]): Promise<Set<string>> {
    if (secrets.length === 0) return new Set();
    const byDigest = new Map(secrets.map((secret) => [digest(secret), secret]));
    const rows = await this.engine.orm.em.fork().execute<{ hash: string }[]>(
      `select token_hash as hash from session where token_hash in (?) and expires_at > ?
       union all select key_hash from api_key where key_hash in (?) and revoked_at is null`,
      [[...byDigest.keys()], this.engine.now(), [...byDigest.keys()]],
    );
    return new Set(rows.map((r) => byDigest.get(r.hash)!));
  }

  /** Creates an API key; the secret is returned once and only its digest is kept. */
  /**
   * Creates an API key. Returned once, never again: the bearer secret (GraphQL: `X-Api-Key` or
   * `Authorization: Bearer`; only its digest is kept) and the signing secret of the original's signed
   * client API (with the public `keyId`).
   */
  async createApiKey(
    actor: Actor,
    name: string,
  ): Promise<{ apiKey: ApiKey; secret: string; keyId: string; signingSecret: string }> {
    requireAdmin(actor);
    if (typeof name !== 'string' || !name.trim() || name.length > 200)
      throw badInput('An API key needs a name of 1–200 characters.');
    return transact(this.engine, actor, async (tx) => {
      const key = `${API_KEY_PREFIX}${secret()}`;
      const keyId = `oki_${randomBytes(10).toString('hex')}`;
      const signingSecret = secret();
      const apiKey = tx.em.create(ApiKey, {
        name: name.trim(),
        prefix: key.slice(0, 10),
        keyHash: digest(key),
        keyId,
        signingSecret,
        createdBy: actor.kind === 'worker' ? actor.workerId : null,
      });
      return { apiKey, secret: key, keyId, signingSecret };
    });
  }

  /** The key a signed request names (`X-Api-Key`), if it exists and is not revoked; its use is recorded. */
  async signingKey(keyId: string): Promise<ApiKey | null> {
    if (typeof keyId !== 'string' || keyId.length > 40) return null;
    const em = this.engine.orm.em.fork();
    const key = await em.findOne(ApiKey, { keyId, revokedAt: null }, { populate: ['signingSecret'] });
    const now = this.engine.now();
    if (key && (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > KEY_USE_GRANULARITY_MS)) {
      await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now });
    }
    return key;
  }

  async listApiKeys(actor: Actor): Promise<ApiKey[]> {
    requireAdmin(actor);
    return this.engine.orm.em.fork().find(ApiKey, {}, { orderBy: { id: 'asc' } });
  }

  async revokeApiKey(actor: Actor, id: number): Promise<ApiKey> {
    requireAdmin(actor);
    return transact(this.engine, actor, async (tx) => {
      const key = await tx.em.findOne(ApiKey, { id });
      if (!key) throw notFound('ApiKey', id);
      key.revokedAt ??= this.engine.now();
      return key;
    });
  }
}
