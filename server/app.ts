// The composition root: assembles Orchestra — database, workflows, the lifecycle engine and the
// read use cases, the event stream (relay and hub), and the background work (jobs and durable
// consumers). The server, the worker, the CLI and the tests all start from here; the doors
// (GraphQL over HTTP, the CLI, jobs) only get the services they call.
import { AccountQueries } from './accounts/accounts.queries.js';
import { AccountsService, ACCOUNT_MAIL_JOB } from './accounts/accounts.service.js';
import { AuthService } from './auth/auth.service.js';
import { syncWorkflows, type Catalog } from './catalog/catalog.js';
import { CatalogQueries } from './catalog/catalog.queries.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import type { EventConsumer } from './events/consumers.js';
import { EventQueries } from './events/event.queries.js';
import { Realtime } from './events/realtime.js';
import { FileStore } from './files/file-store.js';
import { ProjectFilesService } from './files/files.service.js';
import { startBackground, type Background } from './jobs/job-runner.js';
import { machineStepJob } from './jobs/machine-step.job.js';
import { WORKFLOW_HOOK_JOB, workflowHookJob, workflowHooksConsumer } from './jobs/workflow-hooks.js';
import { SYSTEM } from './kernel/actor.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { MACHINE_JOB } from './lifecycle/progress.js';
import { accountMailJob } from './notify/account-mail.job.js';
import { createMailer, type Mailer } from './notify/mailer.js';
import { NOTIFY_JOB, notificationsConsumer, notifyJob } from './notify/notifications.js';
import type { Engine } from './lifecycle/transaction.js';
import { ProjectQueries } from './projects/project.queries.js';
import { Reader } from './read/reader.js';
import { DashboardQueries } from './tasks/dashboard.queries.js';
import { TaskQueries } from './tasks/task.queries.js';
import { loadRegistry } from './workflow/loader.js';
import { WorkflowRegistry } from './workflow/registry.js';
import { WorkerQueries } from './workers/worker.queries.js';
import { WorkerService } from './workers/worker.service.js';
import { IdempotencyStore } from './idempotency/idempotency.js';
import { WebhookQueries } from './webhooks/webhook.queries.js';
import { WebhookService } from './webhooks/webhook.service.js';
import { WEBHOOK_JOB, webhookJob, webhooksConsumer } from './webhooks/webhooks.js';

/** The read use cases, by room. Each takes the actor and a Reader. */
export interface Reads {
  accounts: AccountQueries;
  webhooks: WebhookQueries;
  tasks: TaskQueries;
  dashboard: DashboardQueries;
  projects: ProjectQueries;
  catalog: CatalogQueries;
  workers: WorkerQueries;
  events: EventQueries;
  /** A new unit of reading (one per request, or per batch of events). */
  reader(): Reader;
}

export interface Orchestra {
  config: Config;
  db: Database;
  engine: Engine;
  catalog: Catalog;
  registry: WorkflowRegistry;
  lifecycle: LifecycleService;
  workers: WorkerService;
  auth: AuthService;
  /** Sign-up, activation, password reset and change, profile, communication preferences. */
  accounts: AccountsService;
  /** Integrators' webhooks: register, delete, send a delivery again. */
  webhooks: WebhookService;
  /** Requests named by an Idempotency-Key: run once, answered the same when repeated. */
  idempotency: IdempotencyStore;
  reads: Reads;
  files: FileStore;
  /** Use cases of projects' files: list, read, upload into a step's folder, remove. */
  projectFiles: ProjectFilesService;
  /** This process's view of the event stream: relay and hub (started by `realtime` or `jobs`). */
  realtime: Realtime;
  /** Jobs and durable consumers, when this process runs them. */
  background: Background | null;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  /** Workflow definitions to use instead of loading `config.workflowsDir`. */
  definitions?: unknown[];
  /** An already open database (tests): closed by the caller, not by close(). */
  db?: Database;
  random?: () => number;
  /** Run background jobs and durable consumers in this process (default: config.jobs.inProcess). */
  jobs?: boolean;
  /** Follow the event stream from the start (a server does; the relay also starts with `jobs`). */
  realtime?: boolean;
  /** More durable consumers (besides the workflow hooks) and their jobs. */
  consumers?: { consumer: EventConsumer; tasks: Record<string, (payload: unknown) => Promise<void>> }[];
  log?: (message: string) => void;
  /** Where e-mail goes (default: SMTP when configured, else the log). */
  mailer?: Mailer;
  /** The embedded PostgreSQL: `server` owns its folder (orchestra serve); `command` uses a running server's. */
  role?: 'server' | 'command';
  /** The embedded PostgreSQL died and could not be started again. */
  onDatabaseLost?: (error: Error) => void;
}

export async function startOrchestra(options: StartOptions = {}): Promise<Orchestra> {
  const config = options.config ?? loadConfig();
  const registry = options.definitions
    ? new WorkflowRegistry(options.definitions)
    : await loadRegistry(config.workflowsDir);
  const db =
    options.db ??
    (await openDatabase(config, { log: options.log, role: options.role, onFatal: options.onDatabaseLost }));
  const catalog = await syncWorkflows(db.orm, registry);
  const engine: Engine = { orm: db.orm, catalog, config, random: options.random ?? Math.random, now: () => new Date() };
  const lifecycle = new LifecycleService(engine);
  const files = new FileStore(config.filesDir);
  const auth = new AuthService(engine);
  const accounts = new AccountsService(engine, auth.sessions);
  const mailer = options.mailer ?? createMailer(config, options.log);
  const realtime = new Realtime(db.pool, db.url);
  const runJobs = options.jobs ?? config.jobs.inProcess;
  if (options.realtime || runJobs) await realtime.start();

  let background: Background | null = null;
  if (runJobs) {
    const shutdown = new AbortController();
    const extra = options.consumers ?? [];
    background = await startBackground({
      pool: db.pool,
      concurrency: config.jobs.concurrency,
      tasks: {
        [MACHINE_JOB]: machineStepJob({ lifecycle, files, shutdown: shutdown.signal, log: options.log }),
        [WORKFLOW_HOOK_JOB]: workflowHookJob({ pool: db.pool, registry, files, log: options.log }),
        [ACCOUNT_MAIL_JOB]: accountMailJob({ accounts, mailer }),
        [NOTIFY_JOB]: notifyJob({ pool: db.pool, mailer, config }),
        [WEBHOOK_JOB]: webhookJob({ pool: db.pool, config }),
        ...Object.assign({}, ...extra.map((e) => e.tasks)),
      },
      consumers: [
        workflowHooksConsumer(registry),
        notificationsConsumer(),
        webhooksConsumer(),
        ...extra.map((e) => e.consumer),
      ],
      onStopping: () => shutdown.abort(),
      chores: [
        { everyMs: Math.ceil(config.machine.leaseMs / 2), run: () => lifecycle.recoverStuckMachineSteps(SYSTEM) },
      ],
    });
    // New events wake the consumers at once (they also poll).
    const consumers = background.consumers;
    realtime.onEvents(() => void consumers.wake());
  }

  return {
    config,
    db,
    engine,
    catalog,
    registry,
    lifecycle,
    workers: new WorkerService(engine),
    auth,
    accounts,
    webhooks: new WebhookService(engine, db.pool),
    idempotency: new IdempotencyStore(db.pool, () => config.idempotencyTtlMs),
    reads: {
      accounts: new AccountQueries(() => config.accounts.registration),
      webhooks: new WebhookQueries(),
      tasks: new TaskQueries(),
      dashboard: new DashboardQueries(config),
      projects: new ProjectQueries(files, () => config.publicUrl),
      catalog: new CatalogQueries(),
      workers: new WorkerQueries(),
      events: new EventQueries(db.pool),
      reader: () => new Reader(db.orm, catalog),
    },
    files,
    projectFiles: new ProjectFilesService(files, () => config.publicUrl),
    realtime,
    background,
    async close() {
      await background?.stop();
      await realtime.stop();
      if (!options.mailer) mailer.close();
      if (!options.db) await db.close();
    },
  };
}
