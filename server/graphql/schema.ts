// Builds the GraphQL schema from the resolvers (type-graphql). `schema.graphql` at the project root
// is this schema printed; `npm run schema` writes it and a test fails when it is stale.
import 'reflect-metadata';
import { printSchema, lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { EventResolver } from '../events/event.resolver.js';
import { AuthResolver } from '../auth/auth.resolver.js';
import { ProjectResolver } from '../projects/project.resolver.js';
import { DashboardItemResolver, DashboardResolver } from '../tasks/dashboard.resolver.js';
import { IterationResolver, TaskAssignmentResolver, TaskResolver } from '../tasks/task.resolver.js';
import { WorkerCertificationResolver, WorkerResolver } from '../workers/worker.resolver.js';
import { CertificationResolver, StepResolver, WorkflowResolver, WorkflowVersionResolver } from '../workflow/workflow.resolver.js';

export const resolvers = [
  AuthResolver,
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
