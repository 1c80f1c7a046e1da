// The job door of machine steps: a graphile-worker job per attempt, queued in the transaction that
// created the task (or scheduled the retry). The job takes the attempt from the lifecycle service,
// runs the step's function outside any transaction (it may take long), and gives the outcome back to
// the service. Nothing else: every state change is the service's.
import type { Task as JobHandler } from 'graphile-worker';
import type { FileStore } from '../files/file-store.js';
import { SYSTEM } from '../kernel/actor.js';
import type { JsonObject } from '../kernel/json.js';
import type { LifecycleService, MachineAttempt, MachineOutcome } from '../lifecycle/lifecycle.service.js';

export interface MachineJobDeps {
  lifecycle: LifecycleService;
  files: FileStore;
  /** Aborted when the process shuts down: running attempts are told to stop. */
  shutdown?: AbortSignal;
  log?: (line: string) => void;
}

type Ran = { result: unknown } | { error: string };

/** Runs the function of one attempt: its result, or why it failed (a throw, a time-out, a shutdown, a result that is not JSON). */
async function runAttempt(attempt: MachineAttempt, deps: MachineJobDeps): Promise<Ran> {
  const controller = new AbortController();
  const stop = (why: string) => controller.abort(new Error(why));
  const timer = setTimeout(() => stop(`Machine step timed out after ${attempt.timeoutMs} ms.`), attempt.timeoutMs);
  const onShutdown = () => stop('Machine step was interrupted: the worker process is stopping.');
  // Signs of life while it runs: the lease says the attempt is held. An attempt that is no longer the
  // current one (recovered as stuck, re-run by an admin) is told to stop.
  const heartbeat = setInterval(
    () => {
      deps.lifecycle.renewMachineLease(SYSTEM, { taskId: attempt.taskId, attempt: attempt.attempt }).then(
        (held) => held || stop('Machine step attempt is no longer the current one.'),
        () => {}, // the database is away: the next beat tries again
      );
    },
    Math.max(100, Math.floor(attempt.leaseMs / 3)),
  );
  deps.shutdown?.addEventListener('abort', onShutdown, { once: true });
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
  );
  const log = (message: string) =>
    (deps.log ?? ((l) => process.stdout.write(`${l}\n`)))(
      `[machine ${attempt.stepSlug} task ${attempt.taskId}] ${message}`,
    );
  try {
    const value = await Promise.race([
      Promise.resolve().then(() =>
        attempt.run(structuredClone(attempt.projectData), structuredClone(attempt.prerequisites), {
          taskId: attempt.taskId,
          projectId: attempt.projectId,
          stepSlug: attempt.stepSlug,
          attempt: attempt.attempt,
          log,
          signal: controller.signal,
          files: deps.files.project(attempt.projectId),
        }),
      ),
      aborted,
    ]);
    // Proves the result is JSON and detaches it from the function's objects.
    return { result: value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as JsonObject) };
  } catch (error) {
    return { error: error instanceof Error ? error.message || error.name : String(error) };
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    deps.shutdown?.removeEventListener('abort', onShutdown);
  }
}

/** One attempt of a machine task, start to outcome. Exported for the job and for tests. */
export async function executeMachineStep(deps: MachineJobDeps, taskId: number): Promise<MachineOutcome> {
  const attempt = await deps.lifecycle.startMachineAttempt(SYSTEM, taskId);
  if (!attempt) return 'skipped';
  const ran = await runAttempt(attempt, deps);
  const which = { taskId, attempt: attempt.attempt };
  return 'result' in ran
    ? deps.lifecycle.recordMachineResult(SYSTEM, { ...which, result: ran.result })
    : deps.lifecycle.recordMachineFailure(SYSTEM, { ...which, error: ran.error });
}

export function machineStepJob(deps: MachineJobDeps): JobHandler {
  return async (payload) => {
    await executeMachineStep(deps, (payload as { taskId: number }).taskId);
  };
}
