// Assembles Orchestra: database, workflows, the lifecycle engine and (optionally) the in-process
// machine-step runner. The server, the CLI and the tests all start from here.
import type { Runner } from 'graphile-worker';
import { AuthService } from './auth/service.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import type { Engine } from './lifecycle/context.js';
import { LifecycleService } from './lifecycle/service.js';
import { startMachineRunner } from './machine/runner.js';
import { syncWorkflows } from './workflow/catalog.js';
import { loadRegistry } from './workflow/loader.js';
import { WorkflowRegistry } from './workflow/registry.js';
import { WorkerService } from './workers/service.js';

export interface Orchestra {
  config: Config;
  db: Database;
  engine: Engine;
  lifecycle: LifecycleService;
  workers: WorkerService;
  auth: AuthService;
  runner: Runner | null;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Config;
  /** Workflow definitions to use instead of loading `config.workflowsDir`. */
  definitions?: unknown[];
  /** An already open database (tests): closed by the caller, not by close(). */
  db?: Database;
  random?: () => number;
  runMachineSteps?: boolean;
  log?: (message: string) => void;
}

export async function startOrchestra(options: StartOptions = {}): Promise<Orchestra> {
  const config = options.config ?? loadConfig();
  const registry = options.definitions ? new WorkflowRegistry(options.definitions) : await loadRegistry(config.workflowsDir);
  const db = options.db ?? (await openDatabase(config, { log: options.log }));
  const catalog = await syncWorkflows(db.orm, registry);
  const engine: Engine = { orm: db.orm, catalog, config, random: options.random ?? Math.random, now: () => new Date() };
  const runner = (options.runMachineSteps ?? config.machine.runInProcess) ? await startMachineRunner(engine, db.pool) : null;
  return {
    config,
    db,
    engine,
    lifecycle: new LifecycleService(engine),
    workers: new WorkerService(engine),
    auth: new AuthService(engine),
    runner,
    async close() {
      await runner?.stop();
      if (!options.db) await db.close();
    },
  };
}
