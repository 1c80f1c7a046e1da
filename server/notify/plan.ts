// Which committed events become messages, of which kind, for whom (spec §3.22, ours a little finer).
// Pure: the job resolves the recipients against the database when it runs, so a message says what is
// true when it is sent (a task someone claimed meanwhile is news to nobody).
import type { StoredEvent } from '../events/cursor.js';
import type { MessageKind } from './templates.js';
import { workerOfActor } from '../kernel/actor.js';

export type Recipients =
  /** These workers (from the event). */
  | { workers: number[] }
  /** The worker on the task at this level (a reviewer the work came back to). */
  | { atLevel: number }
  /** Everyone on the task. */
  | { onTask: true }
  /** Workers who may claim the task now and asked to hear of new tasks. */
  | { mayClaim: true };

export type Template = MessageKind | 'TASK_READY_FOR_REREVIEW';

export interface Plan {
  /** The preference that decides (the kind of message, as the preferences page lists them). */
  kind: MessageKind;
  template: Template;
  to: Recipients;
  /** Who did it: they are not told of their own doing. */
  exceptWorker: number | null;
}

export function planOf(event: StoredEvent): Plan | null {
  const exceptWorker = workerOfActor(event.actor);
  const plan = (kind: MessageKind, to: Recipients, template: Template = kind): Plan => ({
    kind,
    template,
    to,
    exceptWorker,
  });
  switch (event.type) {
    case 'task.assigned':
    case 'task.reassigned':
      // A claim is the worker's own doing (exceptWorker); an admin's assignment or a policy's is news.
      return plan('TASK_ASSIGNED', { workers: [event.payload.workerId] });
    case 'task.returned':
      return event.payload.toWorkerId === null ? null : plan('TASK_RETURNED', { workers: [event.payload.toWorkerId] });
    case 'task.submitted':
      // Resubmitted after a return: the reviewer who returned it has it again.
      return event.payload.toLevel === null
        ? null
        : plan('TASK_ASSIGNED', { atLevel: event.payload.toLevel }, 'TASK_READY_FOR_REREVIEW');
    case 'task.completed':
      return plan('TASK_ACCEPTED', { onTask: true });
    case 'project.status_changed':
      return event.payload.status === 'ABORTED' ? plan('PROJECT_ENDED', { workers: event.payload.workerIds }) : null;
    case 'task.created':
      return event.payload.isHuman && event.payload.status === 'AWAITING_PROCESSING'
        ? plan('NEW_TASKS_AVAILABLE', { mayClaim: true })
        : null;
    case 'task.status_changed':
      return event.payload.status === 'PENDING_REVIEW' ? plan('NEW_TASKS_AVAILABLE', { mayClaim: true }) : null;
    case 'project.created':
    case 'task.reverted':
    case 'assignment.ended':
    case 'machine.retry_scheduled':
    case 'machine.failed':
    case 'worker.certifications_changed':
      return null;
  }
}
