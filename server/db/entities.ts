// Every MikroORM entity, in one list for the ORM config.
import { AccountToken, CommunicationPreference } from '../accounts/accounts.entity.js';
import { ApiKey, Session } from '../auth/auth.entity.js';
import { DomainEventRow, EventConsumerRow } from '../events/event.entity.js';
import { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { Worker, WorkerCertification } from '../workers/worker.entity.js';
import { Certification, Step, Workflow, WorkflowVersion } from '../catalog/catalog.entity.js';
import { Webhook, WebhookDelivery } from '../webhooks/webhook.entity.js';

export const entities = [
  Workflow,
  WorkflowVersion,
  Certification,
  Step,
  Worker,
  WorkerCertification,
  Project,
  Task,
  TaskAssignment,
  Iteration,
  DomainEventRow,
  EventConsumerRow,
  Session,
  ApiKey,
  AccountToken,
  CommunicationPreference,
  Webhook,
  WebhookDelivery,
];
