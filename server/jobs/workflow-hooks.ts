// Workflow hooks (`hooks` in a workflow's definition): code that runs after an event of one of the
// workflow's projects committed. A durable consumer turns each such event into a job; the job reads
// the event back and calls the hook. At least once, retried when the hook throws, never for a
// rolled-back change, in any process that runs jobs (`orchestra serve` or `orchestra worker`).
import type { Task as JobHandler } from 'graphile-worker';
import type pg from 'pg';
import type { EventConsumer } from '../events/consumers.js';
import { readEvent, workflowsOfProjects } from '../events/stream.js';
import type { FileStore } from '../files/file-store.js';
import type { DomainEvent, EventType } from '../kernel/events.js';
import type { WorkflowRegistry } from '../workflow/registry.js';

export const WORKFLOW_HOOK_JOB = 'workflow_hook';

const hookOf = (registry: WorkflowRegistry, slug: string, type: string) =>
  registry.workflow(slug)?.hooks[type as EventType] as ((event: DomainEvent, context: unknown) => unknown) | undefined;

export function workflowHooksConsumer(registry: WorkflowRegistry): EventConsumer {
  return {
    name: 'workflow-hooks',
    async handle(events, jobs, client) {
      const withProject = events.filter((e) => e.projectId !== null);
      if (!registry.workflows().some((w) => Object.keys(w.hooks).length > 0) || withProject.length === 0) return;
      const slugs = await workflowsOfProjects(client, [...new Set(withProject.map((e) => e.projectId!))]);
      for (const event of withProject) {
        const slug = slugs.get(event.projectId!);
        if (slug && hookOf(registry, slug, event.type))
          await jobs.add(WORKFLOW_HOOK_JOB, { eventId: event.id, workflow: slug }, { maxAttempts: 10 });
      }
    },
  };
}

export function workflowHookJob(deps: {
  pool: pg.Pool;
  registry: WorkflowRegistry;
  files: FileStore;
  log?: (line: string) => void;
}): JobHandler {
  return async (payload) => {
    const { eventId, workflow } = payload as { eventId: number; workflow: string };
    const event = await readEvent(deps.pool, eventId);
    const hook = event && hookOf(deps.registry, workflow, event.type);
    if (!event || !hook) return; // the event is gone, or the hook was removed since
    const log = (message: string) =>
      (deps.log ?? ((l) => process.stdout.write(`${l}\n`)))(`[hook ${workflow} ${event.type}] ${message}`);
    await hook(event, { log, files: event.projectId === null ? null : deps.files.project(event.projectId) });
  };
}
