// Background work of a process: graphile-worker running the jobs (machine steps, workflow hooks, and
// the jobs of other durable consumers) and the consumers that turn committed events into jobs. Runs
// in `orchestra serve` (unless ORCHESTRA_JOBS_IN_PROCESS=false) and in every `orchestra worker`.
import { run, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import { silentLogger } from '../db/database.js';
import { ConsumerRunner, type EventConsumer } from '../events/consumers.js';

export interface Background {
  runner: Runner;
  consumers: ConsumerRunner;
  stop(): Promise<void>;
}

export async function startBackground(options: {
  pool: pg.Pool;
  concurrency: number;
  tasks: TaskList;
  consumers: EventConsumer[];
  /** Called when the process begins to stop, before the runner waits for running jobs. */
  onStopping?: () => void;
}): Promise<Background> {
  const runner = await run({
    pgPool: options.pool,
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: silentLogger,
    parsedCronItems: [],
    taskList: options.tasks,
  });
  const consumers = new ConsumerRunner(options.pool, options.consumers, {
    onError: (name, error) => console.error(`[consumer ${name}]`, (error as Error).message ?? error),
  });
  await consumers.start();
  return {
    runner,
    consumers,
    async stop() {
      await consumers.stop();
      options.onStopping?.();
      await runner.stop();
    },
  };
}
