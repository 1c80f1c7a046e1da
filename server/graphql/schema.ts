// Assembles the GraphQL schema: every resolver and every enum, registered here once. `schema.graphql`
// at the project root is this schema printed; `npm run schema` writes it and a test fails when it is stale.
import 'reflect-metadata';
import { createPubSub } from '@graphql-yoga/subscription';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, registerEnumType } from 'type-graphql';
import { AccountWorkerResolver, AccountsResolver } from '../accounts/accounts.resolver.js';
import { AuthResolver } from '../auth/auth.resolver.js';
import { WebhookResolver } from '../webhooks/webhook.resolver.js';
import { AuditResolver } from '../events/audit.resolver.js';
import { BulkResolver } from '../projects/bulk.resolver.js';
import { MessageKind } from '../notify/templates.js';
import {
  CertificationResolver,
  StepResolver,
  WorkflowResolver,
  WorkflowVersionResolver,
} from '../catalog/catalog.resolver.js';
import { EventResolver } from '../events/event.resolver.js';
import {
  AssignmentStatus,
  CertificationRole,
  IterationStatus,
  ProjectStatus,
  TaskClass,
  TaskStatus,
} from '../kernel/status.js';
import { NoTaskReason } from '../lifecycle/lifecycle.service.js';
import { DashboardState, RevertChange, SubmitAction } from '../lifecycle/rules.js';
import { ProjectResolver } from '../projects/project.resolver.js';
import { WorkReason } from '../tasks/dashboard.queries.js';
import { DashboardItemResolver, DashboardResolver } from '../tasks/dashboard.resolver.js';
import { IterationResolver, TaskAssignmentResolver, TaskResolver } from '../tasks/task.resolver.js';
import { WorkerCertificationResolver, WorkerResolver } from '../workers/worker.resolver.js';

// GraphQL enums carry the original's NAMEs; their values are what rows store.
registerEnumType(TaskStatus, { name: 'TaskStatus', description: 'Where a task is in its lifecycle.' });
registerEnumType(AssignmentStatus, {
  name: 'AssignmentStatus',
  description: 'ABORTED: the task was aborted while this level was being worked on.',
});
registerEnumType(IterationStatus, {
  name: 'IterationStatus',
  description: 'REQUESTED_REVIEW: work sent up; PROVIDED_REVIEW: work sent back down.',
});
registerEnumType(ProjectStatus, { name: 'ProjectStatus' });
registerEnumType(TaskClass, { name: 'TaskClass', description: 'REAL work, or TRAINING exercises.' });
registerEnumType(CertificationRole, { name: 'CertificationRole' });
registerEnumType(SubmitAction, {
  name: 'SubmitAction',
  description: 'SUBMIT and ACCEPT send work up (to review or completion); REJECT returns it to the level below.',
});
registerEnumType(DashboardState, { name: 'DashboardState' });
registerEnumType(RevertChange, { name: 'RevertChange' });
registerEnumType(NoTaskReason, { name: 'NoTaskReason', description: 'Why requestTask gave no task.' });
registerEnumType(MessageKind, { name: 'MessageKind', description: 'A kind of message Orchestra sends workers.' });
registerEnumType(WorkReason, { name: 'WorkReason', description: 'Why a worker can take no task of a kind now.' });

export const resolvers = [
  AuthResolver,
  AccountsResolver,
  AccountWorkerResolver,
  WebhookResolver,
  AuditResolver,
  BulkResolver,
  WorkerResolver,
  WorkerCertificationResolver,
  WorkflowResolver,
  WorkflowVersionResolver,
  StepResolver,
  CertificationResolver,
  ProjectResolver,
  TaskResolver,
  TaskAssignmentResolver,
  IterationResolver,
  DashboardResolver,
  DashboardItemResolver,
  EventResolver,
] as const;

let built: Promise<GraphQLSchema> | null = null;

export function orchestraSchema(): Promise<GraphQLSchema> {
  // Subscriptions bring their own streams (events/realtime.ts); type-graphql still wants a PubSub.
  built ??= buildSchema({ resolvers, validate: false, disableInferringDefaultValues: true, pubSub: createPubSub() });
  return built;
}

/** The SDL committed as schema.graphql (sorted, so that diffs show real changes only). */
export async function schemaSDL(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await orchestraSchema()))}\n`;
}
