// Environment → typed configuration, validated once at start with clear messages.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Config {
  /** External PostgreSQL; when absent an embedded server is started (data in `dataDir`). */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPgPort: number;
  host: string;
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
  machine: {
    /** Attempts of a machine step before its assignment is FAILED. */
    maxAttempts: number;
    /** Delay before retry k is baseDelayMs · 2^(k-1). */
    retryBaseDelayMs: number;
    /** An attempt running longer is aborted and counts as failed (a step may set its own). */
    timeoutMs: number;
  };
}

export class ConfigError extends Error {}

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
    machine: {
      maxAttempts: int(env, 'ORCHESTRA_MACHINE_MAX_ATTEMPTS', 3, 1),
      retryBaseDelayMs: int(env, 'ORCHESTRA_MACHINE_RETRY_BASE_MS', 2000, 0),
      timeoutMs: int(env, 'ORCHESTRA_MACHINE_TIMEOUT_MS', 600_000, 1),
    },
    ...overrides,
  };
  return config;
}
