// Identity: who is calling. Workers log in with username and password and get a session token
// (the app keeps it in an httpOnly cookie, scripts send it as a bearer token); integrators use API
// keys. Both are looked up by their SHA-256 digest.
import { createHash, randomBytes } from 'node:crypto';
import { requireAdmin, SYSTEM, type Actor } from '../kernel/actor.js';
import { badInput, notFound, refuse } from '../kernel/errors.js';
import { transact, type Engine } from '../lifecycle/transaction.js';
import { Worker } from '../workers/worker.entity.js';
import { ApiKey, Session } from './auth.entity.js';
import { hashPassword, verifyPassword } from './passwords.js';

let dummy: Promise<string> | null = null;
/** A hash to verify against when the user does not exist, so both paths cost the same. */
const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** The app's session cookie (httpOnly). */
export const SESSION_COOKIE = 'orchestra_session';
/** Both kinds of secret carry a prefix, so a bearer header can carry either and they never collide. */
export const API_KEY_PREFIX = 'ok_';
export const SESSION_PREFIX = 'os_';
/** Only record an API key's use when the last record is older than this (saves a write per request). */
const KEY_USE_GRANULARITY_MS = 60_000;

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');
const secret = () => randomBytes(32).toString('base64url');

export interface Credentials {
  sessionToken?: string | null;
  apiKey?: string | null;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  worker: Worker;
}

export class AuthService {
  constructor(readonly engine: Engine) {}

  async login(username: string, password: string): Promise<LoginResult> {
    return transact(this.engine, SYSTEM, async (tx) => {
      const worker = await tx.em.findOne(Worker, { username }, { populate: ['passwordHash'] });
      // The same message, and the same argon2 work, whether the user exists or not: no account probing.
      const valid = await verifyPassword(worker?.passwordHash ?? (await dummyHash()), password);
      if (!worker || !valid) throw refuse('BAD_CREDENTIALS');
      const token = `${SESSION_PREFIX}${secret()}`;
      const expiresAt = new Date(this.engine.now().getTime() + SESSION_TTL_MS);
      tx.em.create(Session, { tokenHash: digest(token), worker, expiresAt });
      return { token, expiresAt, worker };
    });
  }

  async logout(token: string): Promise<boolean> {
    return transact(
      this.engine,
      SYSTEM,
      async (tx) => (await tx.em.nativeDelete(Session, { tokenHash: digest(token) })) > 0,
    );
  }

  /** The actor behind a request's credentials, or null for an anonymous request (bad credentials → error). */
  async resolve(credentials: Credentials): Promise<{ actor: Actor; worker: Worker | null } | null> {
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
      return { actor: { kind: 'integrator', keyId: key.id }, worker: null };
    }
    const session = await em.findOne(
      Session,
      { tokenHash: digest(token), expiresAt: { $gt: this.engine.now() } },
      { populate: ['worker'] },
    );
    if (!session) throw refuse('SESSION_EXPIRED');
    const worker = session.worker;
    return { actor: { kind: 'worker', workerId: worker.id, isAdmin: worker.isAdmin }, worker };
  }

  /** Creates an API key; the secret is returned once and only its digest is kept. */
  async createApiKey(actor: Actor, name: string): Promise<{ apiKey: ApiKey; secret: string }> {
    requireAdmin(actor);
    if (!name.trim() || name.length > 200) throw badInput('An API key needs a name of 1–200 characters.');
    return transact(this.engine, actor, async (tx) => {
      const key = `${API_KEY_PREFIX}${secret()}`;
      const apiKey = tx.em.create(ApiKey, {
        name: name.trim(),
        prefix: key.slice(0, 10),
        keyHash: digest(key),
        createdBy: actor.kind === 'worker' ? actor.workerId : null,
      });
      return { apiKey, secret: key };
    });
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
