// Environment → typed configuration, validated once at start with clear messages.
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './kernel/paths.js';

export { PROJECT_ROOT };

/** What one GraphQL operation may ask (graphql/limits.ts). */
export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  /** Longest an operation may run (ms); fields resolved after it fail. */
  timeBudgetMs: number;
}

export interface Config {
  /** External PostgreSQL; when absent an embedded server is started (data in `dataDir`). */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPgPort: number;
  /**
   * The most connections a process's ORM (the use cases, the API's reads) holds at once. Past what the
   * database's cores can run, more connections only queue inside PostgreSQL, where they cost more.
   */
  dbPoolSize: number;
  host: string;
  accounts: {
    /** Anyone may sign up (with e-mail activation); admins can always create workers. */
    registration: boolean;
    activationTtlMs: number;
    resetTtlMs: number;
    /** Sign-ups from one client address in an hour (each mails an address: no mail cannon). */
    signupsPerAddress: number;
  };
  mail: {
    /** smtp(s)://user:pass@host:port; empty: messages go to the server log. */
    smtpUrl: string;
    from: string;
  };
  webhooks: {
    /** Attempts of one delivery before it is FAILED (then the next event of the project goes). */
    maxAttempts: number;
    /** Backoff before attempt k+1: base · 2^(k−1). */
    retryBaseMs: number;
    timeoutMs: number;
    /** Whether webhooks may point at loopback and private addresses (default: yes, but not in production). */
    allowPrivateNetworks: boolean;
  };
  /** How long an idempotency key's answer is kept (and the key cannot be used for another request). */
  idempotencyTtlMs: number;
  compatApi: {
    /** How far a signed request's Date may be from the server's clock (ms): older requests are replays. */
    dateWindowMs: number;
  };
  /** Slack incoming-webhook URLs by workflow slug (a project may have its own). */
  slackWebhooks: Record<string, string>;
  /**
   * Where people and machine steps reach this server (links in output JSON, the demo's sample page).
   * Default: http://<host>:<port>.
   */
  publicUrl: string;
  port: number;
  production: boolean;
  workflowsDir: string;
  /** Where projects' files (documents, photos) are kept. */
  filesDir: string;
  /** Most tasks a worker may have in progress at once (enforced when they claim work). */
  maxInProgressTasks: number;
  /** Background jobs: machine steps and the durable event consumers (workflow hooks, …). */
  jobs: {
    /** Run them inside the server process (false when `orchestra worker` processes do). */
    inProcess: boolean;
    concurrency: number;
  };
  queryLimits: QueryLimits;
  /** Failed logins allowed in a window, per username and per client address; then logins wait. */
  loginThrottle: { perUser: number; perAddress: number; windowMs: number };
  /** WebSocket subscriptions: limits per socket and per identity, and how often credentials are checked again. */
  ws: {
    maxPayloadBytes: number;
    maxSubscriptionsPerSocket: number;
    maxSocketsPerIdentity: number;
    connectionInitTimeoutMs: number;
    revalidateMs: number;
  };
  /** Origins (scheme://host:port) whose pages may open sockets besides the server's own; empty: same origin only. */
  allowedOrigins: string[];
  /** Take the client address from X-Forwarded-For (behind a reverse proxy you trust). */
  trustProxy: boolean;
  machine: {
    /** Attempts of a machine step before its assignment is FAILED. */
    maxAttempts: number;
    /** Delay before retry k is baseDelayMs · 2^(k-1). */
    retryBaseDelayMs: number;
    /** An attempt running longer is aborted and counts as failed (a step may set its own). */
    timeoutMs: number;
    /** How long a running attempt is held without a sign of life; past it, the attempt counts as failed (a crash). */
    leaseMs: number;
  };
}

export class ConfigError extends Error {}

function slackWebhooks(raw: string | undefined): Record<string, string> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ORCHESTRA_SLACK_WEBHOOKS must be JSON: {"<workflow slug>": "https://hooks.slack.com/…"}');
  }
  if (!parsed || typeof parsed !== 'object' || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new ConfigError('ORCHESTRA_SLACK_WEBHOOKS must map workflow slugs to webhook URLs');
  }
  return parsed as Record<string, string>;
}

/**
 * Twice the cores, and two more: on this project's 2-core machines the cycle at 32 clients ran at about
 * 600 transitions/s with p99 under 100 ms with 4 to 10 connections, and about 520/s with p99 150–175 ms
 * with 20 (bench/cycle.ts, issue 13's note).
 */
export function defaultPoolSize(cores = os.availableParallelism()): number {
  return 2 * cores + 2;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    databaseUrl: env.DATABASE_URL || null,
    dataDir: path.resolve(PROJECT_ROOT, env.ORCHESTRA_DATA_DIR ?? '.data'),
    embeddedPgPort: int(env, 'ORCHESTRA_EMBEDDED_PG_PORT', 54329, 1),
    dbPoolSize: int(env, 'ORCHESTRA_DB_POOL_SIZE', defaultPoolSize(), 1),
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4000, 0),
    production: env.NODE_ENV === 'production',
    workflowsDir: path.resolve(PROJECT_ROOT, env.ORCHESTRA_WORKFLOWS_DIR ?? 'workflows'),
    filesDir: path.resolve(
      PROJECT_ROOT,
      env.ORCHESTRA_FILES_DIR ?? path.join(env.ORCHESTRA_DATA_DIR ?? '.data', 'files'),
    ),
    maxInProgressTasks: int(env, 'ORCHESTRA_MAX_IN_PROGRESS_TASKS', 3, 1),
    jobs: {
      inProcess: env.ORCHESTRA_JOBS_IN_PROCESS !== 'false',
      concurrency: int(env, 'ORCHESTRA_JOBS_CONCURRENCY', 4, 1),
    },
    queryLimits: {
      maxDepth: int(env, 'ORCHESTRA_QUERY_MAX_DEPTH', 15, 1),
      maxCost: int(env, 'ORCHESTRA_QUERY_MAX_COST', 50_000, 1),
      maxAliases: int(env, 'ORCHESTRA_QUERY_MAX_ALIASES', 30, 0),
      maxDirectives: int(env, 'ORCHESTRA_QUERY_MAX_DIRECTIVES', 20, 0),
      maxTokens: int(env, 'ORCHESTRA_QUERY_MAX_TOKENS', 5_000, 100),
      timeBudgetMs: int(env, 'ORCHESTRA_QUERY_TIME_BUDGET_MS', 10_000, 100),
    },
    loginThrottle: {
      perUser: int(env, 'ORCHESTRA_LOGIN_MAX_FAILURES', 5, 1),
      perAddress: int(env, 'ORCHESTRA_LOGIN_MAX_FAILURES_PER_ADDRESS', 20, 1),
      windowMs: int(env, 'ORCHESTRA_LOGIN_WINDOW_MS', 15 * 60_000, 1000),
    },
    ws: {
      maxPayloadBytes: int(env, 'ORCHESTRA_WS_MAX_PAYLOAD_BYTES', 256 * 1024, 1024),
      maxSubscriptionsPerSocket: int(env, 'ORCHESTRA_WS_MAX_SUBSCRIPTIONS', 100, 1),
      maxSocketsPerIdentity: int(env, 'ORCHESTRA_WS_MAX_SOCKETS_PER_IDENTITY', 20, 1),
      connectionInitTimeoutMs: int(env, 'ORCHESTRA_WS_INIT_TIMEOUT_MS', 3000, 100),
      revalidateMs: int(env, 'ORCHESTRA_WS_REVALIDATE_MS', 2000, 100),
    },
    allowedOrigins: (env.ORCHESTRA_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/$/, ''))
      .filter(Boolean),
    trustProxy: env.ORCHESTRA_TRUST_PROXY === 'true',
    machine: {
      maxAttempts: int(env, 'ORCHESTRA_MACHINE_MAX_ATTEMPTS', 3, 1),
      retryBaseDelayMs: int(env, 'ORCHESTRA_MACHINE_RETRY_BASE_MS', 2000, 0),
      timeoutMs: int(env, 'ORCHESTRA_MACHINE_TIMEOUT_MS', 600_000, 1),
      leaseMs: int(env, 'ORCHESTRA_MACHINE_LEASE_MS', 30_000, 300),
    },
    publicUrl: '',
    accounts: {
      registration: (env.ORCHESTRA_REGISTRATION ?? (env.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
      activationTtlMs: int(env, 'ORCHESTRA_ACTIVATION_TTL_MS', 48 * 3600_000, 1000),
      resetTtlMs: int(env, 'ORCHESTRA_RESET_TTL_MS', 3600_000, 1000),
      signupsPerAddress: int(env, 'ORCHESTRA_SIGNUPS_PER_ADDRESS', 10, 1),
    },
    mail: {
      smtpUrl: env.ORCHESTRA_SMTP_URL ?? '',
      from: env.ORCHESTRA_MAIL_FROM ?? 'Orchestra <orchestra@localhost>',
    },
    slackWebhooks: slackWebhooks(env.ORCHESTRA_SLACK_WEBHOOKS),
    webhooks: {
      maxAttempts: int(env, 'ORCHESTRA_WEBHOOK_MAX_ATTEMPTS', 8, 1),
      retryBaseMs: int(env, 'ORCHESTRA_WEBHOOK_RETRY_BASE_MS', 5_000, 10),
      timeoutMs: int(env, 'ORCHESTRA_WEBHOOK_TIMEOUT_MS', 10_000, 100),
      allowPrivateNetworks: (env.ORCHESTRA_WEBHOOK_PRIVATE ?? (env.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
    },
    idempotencyTtlMs: int(env, 'ORCHESTRA_IDEMPOTENCY_TTL_MS', 24 * 3600_000, 1000),
    compatApi: { dateWindowMs: int(env, 'ORCHESTRA_SIGNED_DATE_WINDOW_MS', 300_000, 1000) },
    ...overrides,
  };
  if (!config.publicUrl) {
    config.publicUrl = (env.ORCHESTRA_PUBLIC_URL ?? `http://${config.host}:${config.port}`).replace(/\/+$/, '');
  }
  return config;
}
