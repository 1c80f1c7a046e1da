// Accounts' use cases: sign up (with e-mail activation, when registration is open), activate,
// forgotten password (an e-mailed single-use link that expires), change password, profile and
// communication preferences. The e-mails are jobs added in the use case's transaction: sent after it
// commits, never for a change that was rolled back; the job makes the link's token, so no usable
// token is ever stored (only its hash).
import { requireWorkerActor } from '../auth/access.js';
import { digest, secret } from '../auth/auth.service.js';
import { Session } from '../auth/auth.entity.js';
import type { SessionMemory } from '../auth/session-memory.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Actor } from '../kernel/actor.js';
import { badInput, conflict, ErrorCode, OrchestraError, Reason, refuse } from '../kernel/errors.js';
import { SYSTEM } from '../kernel/actor.js';
import { transact, type Engine, type Tx } from '../lifecycle/transaction.js';
import { MESSAGE_KINDS } from '../notify/templates.js';
import type { Preference } from './accounts.queries.js';
import { checkEmail, emailTaken, MIN_PASSWORD_LENGTH, USERNAME } from '../workers/worker.service.js';
import { Worker } from '../workers/worker.entity.js';
import { AccountToken, type TokenKind } from './accounts.entity.js';

export const ACCOUNT_MAIL_JOB = 'account_mail';
const ONLY_WORKERS = 'Only a worker has an account to change.';
/** At most this many links of a kind per account in a quarter hour (a form is no mail cannon). */
const LINKS_PER_WINDOW = 3;

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
}

export interface ProfileInput {
  firstName?: string;
  lastName?: string;
  email?: string;
  slackUsername?: string;
}

export type { Preference } from './accounts.queries.js';

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > 1000) {
    throw badInput(`A password has at least ${MIN_PASSWORD_LENGTH} characters.`, { field: 'password' });
  }
}

function checkName(value: string | undefined, field: string): string {
  const clean = String(value ?? '').trim();
  if (clean.length > 150) throw badInput(`${field} must have at most 150 characters.`, { field });
  return clean;
}

/**
 * Adds the job that makes a link's token and mails it, in the transaction of the use case. Its key
 * makes rapid repeats one mail: a job not yet run is replaced rather than added again.
 */
async function mailLink(tx: Tx, workerId: number, kind: TokenKind): Promise<void> {
  await tx.em.execute(
    `select graphile_worker.add_job(?, json_build_object('workerId', ?::int, 'kind', ?::text), max_attempts => 10, job_key => ?)`,
    [ACCOUNT_MAIL_JOB, workerId, kind, `${ACCOUNT_MAIL_JOB}:${workerId}:${kind}`],
  );
}

export class AccountsService {
  constructor(
    readonly engine: Engine,
    /** This process's remembered sessions: a worker changed here is forgotten before the answer goes out. */
    private readonly sessions: SessionMemory,
  ) {}

  get registrationOpen(): boolean {
    return this.engine.config.accounts.registration;
  }

  /** A new account, inactive until its activation link is followed (the link goes to its e-mail). */
  async register(input: RegisterInput, client: { address?: string | null } = {}): Promise<Worker> {
    if (!this.registrationOpen) throw refuse('REGISTRATION_CLOSED');
    const key = client.address ? `signup:${client.address}` : null;
    if (key) await this.refuseTooManySignups(key);
    const username = String(input.username ?? '').trim();
    if (!USERNAME.test(username)) {
      throw badInput('A username has 1–150 letters, digits or _ . @ + - (no spaces).', { field: 'username' });
    }
    const email = checkEmail(input.email);
    checkPassword(input.password);
    const firstName = checkName(input.firstName, 'firstName');
    const lastName = checkName(input.lastName, 'lastName');
    const passwordHash = await hashPassword(input.password);
    return transact(this.engine, SYSTEM, async (tx) => {
      if (await tx.em.count(Worker, { username })) {
        throw conflict('That username is taken: choose another.', { field: 'username' });
      }
      if (await emailTaken(tx, email)) {
        throw conflict('An account with that e-mail exists already: sign in, or reset its password.', {
          field: 'email',
        });
      }
      const worker = tx.em.create(Worker, { username, email, firstName, lastName, passwordHash, isActive: false });
      await tx.em.flush();
      await mailLink(tx, worker.id, 'ACTIVATION');
      if (key) {
        // One more sign-up from this address in its hour (the window starts again once it has passed).
        await tx.em.execute(
          `insert into login_throttle (key, failures, window_started_at) values (?, 1, now())
           on conflict (key) do update set
             failures = case when login_throttle.window_started_at < now() - interval '1 hour' then 1 else login_throttle.failures + 1 end,
             window_started_at = case when login_throttle.window_started_at < now() - interval '1 hour' then now() else login_throttle.window_started_at end`,
          [key],
        );
      }
      return worker;
    });
  }

  /**
   * Makes the token of a link and stores its hash (the account-mail job calls this, after the use case
   * that asked for the link committed). Null when there is nobody to mail: no account, no e-mail, or
   * an activation link for an account that is active already.
   */
  async issueLink(
    workerId: number,
    kind: TokenKind,
  ): Promise<{ tokenId: number; token: string; worker: Worker; url: string; ttlMs: number } | null> {
    const { accounts, publicUrl } = this.engine.config;
    const ttlMs = kind === 'ACTIVATION' ? accounts.activationTtlMs : accounts.resetTtlMs;
    return transact(this.engine, SYSTEM, async (tx) => {
      const worker = await tx.em.findOne(Worker, workerId);
      if (!worker?.email || (kind === 'ACTIVATION' && worker.isActive)) return null;
      const token = secret();
      const row = tx.em.create(AccountToken, {
        worker,
        kind,
        tokenHash: digest(token),
        expiresAt: new Date(this.engine.now().getTime() + ttlMs),
      });
      await tx.em.flush();
      const page = kind === 'ACTIVATION' ? 'activate' : 'reset';
      return { tokenId: row.id, token, worker, url: `${publicUrl}/${page}?token=${token}`, ttlMs };
    });
  }

  /** A link whose mail could not be sent is withdrawn (the retry makes a new one). */
  async withdrawLink(tokenId: number): Promise<void> {
    await this.engine.orm.em.fork().nativeDelete(AccountToken, { id: tokenId });
  }

  private async refuseTooManySignups(key: string): Promise<void> {
    const [row] = await this.engine.orm.em.fork().execute<{ failures: number; ends_in_s: string }[]>(
      `select failures, extract(epoch from (window_started_at + interval '1 hour' - now())) as ends_in_s
         from login_throttle where key = ? and window_started_at > now() - interval '1 hour'`,
      [key],
    );
    if (row && row.failures >= this.engine.config.accounts.signupsPerAddress) {
      const retryAfterSeconds = Math.max(1, Math.ceil(Number(row.ends_in_s)));
      throw new OrchestraError(
        ErrorCode.TOO_MANY_REQUESTS,
        `Too many sign-ups from here; try again in ${retryAfterSeconds} seconds.`,
        Reason.THROTTLED,
        { retryAfterSeconds },
      );
    }
  }

  /** Uses a link's token: the token must exist, be of its kind, unused and not expired. */
  private async useToken(tx: Tx, token: string, kind: TokenKind): Promise<Worker> {
    const row = await tx.em.findOne(
      AccountToken,
      { tokenHash: digest(String(token ?? '')), kind },
      { populate: ['worker'], lockMode: 4 /* PESSIMISTIC_WRITE: two clicks, one use */ },
    );
    if (!row) throw refuse('LINK_INVALID');
    if (row.usedAt) throw refuse('LINK_USED');
    if (row.expiresAt.getTime() <= this.engine.now().getTime()) throw refuse('LINK_EXPIRED');
    row.usedAt = this.engine.now();
    return row.worker;
  }

  async activate(token: string): Promise<Worker> {
    return transact(this.engine, SYSTEM, async (tx) => {
      const worker = await this.useToken(tx, token, 'ACTIVATION');
      worker.isActive = true;
      return worker;
    });
  }

  /**
   * Mails a reset link to the account with that username or e-mail, if there is one with an e-mail.
   * Says nothing either way (no probing for accounts).
   */
  async requestPasswordReset(login: string): Promise<void> {
    await this.requestLink(login, 'PASSWORD_RESET');
  }

  /** Mails a new activation link (the first one expired or went astray), to an account not active yet. */
  async requestActivationLink(login: string): Promise<void> {
    await this.requestLink(login, 'ACTIVATION');
  }

  private async requestLink(login: string, kind: TokenKind): Promise<void> {
    const key = String(login ?? '').trim();
    if (!key || key.length > 254) return;
    await transact(this.engine, SYSTEM, async (tx) => {
      const [row] = await tx.em.execute<{ id: number; recent: number }[]>(
        `select w.id, (select count(*)::int from account_token t where t.worker_id = w.id and t.kind = ?
                        and t.created_at > now() - interval '15 minutes') as recent
           from worker w
          where (w.username = ? or lower(w.email) = lower(?)) and w.email <> '' and (? or not w.is_active)
          order by (w.username = ?) desc limit 1`,
        [kind, key, key, kind === 'PASSWORD_RESET', key],
      );
      if (row && row.recent < LINKS_PER_WINDOW) await mailLink(tx, row.id, kind);
    });
  }

  /** A new password from a reset link; every session of the account ends (whoever had it is out). */
  async resetPassword(token: string, password: string): Promise<Worker> {
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    const worker = await transact(this.engine, SYSTEM, async (tx) => {
      const worker = await this.useToken(tx, token, 'PASSWORD_RESET');
      worker.passwordHash = passwordHash;
      worker.isActive = true; // the e-mail reached them: that proves the address as activation does
      await tx.em.nativeDelete(Session, { worker: worker.id });
      return worker;
    });
    this.sessions.forgetWorker(worker.id);
    return worker;
  }

  /** Changes the signed-in worker's password; their other sessions end, this one stays. */
  async changePassword(
    actor: Actor | null,
    current: string,
    next: string,
    currentToken: string | null,
  ): Promise<Worker> {
    const workerId = requireWorkerActor(actor, ONLY_WORKERS);
    checkPassword(next);
    const worker = await this.engine.orm.em.fork().findOneOrFail(Worker, workerId, { populate: ['passwordHash'] });
    if (!(await verifyPassword(worker.passwordHash ?? '', String(current ?? '')))) throw refuse('WRONG_PASSWORD');
    const passwordHash = await hashPassword(next);
    const changed = await transact(this.engine, actor!, async (tx) => {
      const w = await tx.em.findOneOrFail(Worker, workerId);
      w.passwordHash = passwordHash;
      await tx.em.execute(`delete from session where worker_id = ? and token_hash <> ?`, [
        workerId,
        currentToken ? digest(currentToken) : '',
      ]);
      return w;
    });
    this.sessions.forgetWorker(workerId);
    return changed;
  }

  async updateProfile(actor: Actor | null, input: ProfileInput): Promise<Worker> {
    const workerId = requireWorkerActor(actor, ONLY_WORKERS);
    const worker = await transact(this.engine, actor!, async (tx) => {
      const w = await tx.em.findOneOrFail(Worker, workerId);
      if (input.firstName !== undefined) w.firstName = checkName(input.firstName, 'firstName');
      if (input.lastName !== undefined) w.lastName = checkName(input.lastName, 'lastName');
      if (input.slackUsername !== undefined) {
        const slack = String(input.slackUsername).trim().replace(/^@/, '');
        if (!/^[A-Za-z0-9._-]{0,80}$/.test(slack)) {
          throw badInput('A Slack name has letters, digits and . _ - only.', { field: 'slackUsername' });
        }
        w.slackUsername = slack;
      }
      if (input.email !== undefined) {
        const email = input.email.trim() === '' ? '' : checkEmail(input.email);
        if (email && (await emailTaken(tx, email, workerId))) {
          throw conflict('Another account has that e-mail.', { field: 'email' });
        }
        w.email = email;
      }
      return w;
    });
    this.sessions.forgetWorker(workerId);
    return worker;
  }

  /** Sets the worker's choices for the kinds of message given (the others keep theirs). */
  async setPreferences(actor: Actor | null, preferences: Preference[]): Promise<void> {
    const workerId = requireWorkerActor(actor, ONLY_WORKERS);
    for (const p of preferences) {
      if (!MESSAGE_KINDS.includes(p.kind)) throw badInput(`Unknown kind of message: ${String(p.kind)}.`);
    }
    await transact(this.engine, actor!, async (tx) => {
      for (const p of preferences) {
        await tx.em.execute(
          `insert into communication_preference (worker_id, kind, email, slack) values (?, ?, ?, ?)
           on conflict (worker_id, kind) do update set email = excluded.email, slack = excluded.slack`,
          [workerId, p.kind, !!p.email, !!p.slack],
        );
      }
    });
  }
}
