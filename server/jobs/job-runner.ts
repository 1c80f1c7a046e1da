// Background work of a process: graphile-worker running the jobs (machine steps, workflow hooks, and
// the jobs of other durable consumers) and the consumers that turn committed events into jobs. Runs
// in `orchestra serve` (unless ORCHESTRA_JOBS_IN_PROCESS=false) and in every `orchestra worker`.
import { run, type Runner, type TaskList } from 'graphile-worker';
import type pg from 'pg';
import { silentLogger } from '../db/database.js';
import { ConsumerRunner, type EventConsumer } from '../events/consumers.js';
import { logRateLimited } from '../log.js';

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
  /** Chores every process that runs jobs does now and then (finding machine steps caught by a crash). */
  chores?: { everyMs: number; run: () => Promise<unknown> }[];
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
    onError: (name, error) =>
      logRateLimited(`consumer:${name}`, `[consumer ${name}] ${(error as Error).message ?? String(error)}`),
  });
  await consumers.start();
  const timers = (options.chores ?? []).map((chore) => {
    const once = () =>
      chore
        .run()
        .catch((error: unknown) => logRateLimited('chore', `[jobs] ${(error as Error).message ?? String(error)}`));
    void once();
    const timer = setInterval(() => void once(), chore.everyMs);
    timer.unref();
    return timer;
  });
  return {
    runner,
    consumers,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await consumers.stop();
      options.onStopping?.();
      await runner.stop();
    },
  };
}
