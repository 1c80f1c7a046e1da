// Bulk operations for integrators and admins: create many projects, end many, reassign many — in one
// request, each item through the same use case as its single mutation, in its own transaction, so
// each succeeds or fails on its own; the answer lists every item's result or error, in input order.
import 'reflect-metadata';
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import { requireActor } from '../auth/access.js';
import { parseId } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { requireAdmin, requireProjectManager } from '../kernel/actor.js';
import { badInput, OrchestraError } from '../kernel/errors.js';
import { TaskAssignment } from '../tasks/task.entity.js';
import { reassignArgs, ReassignAssignmentInput } from '../tasks/task.resolver.js';
import { Project } from './project.entity.js';
import { createProjectArgs, CreateProjectInput } from './project.resolver.js';

/** The most items one bulk request may carry. */
export const MAX_BULK_ITEMS = 100;

@ObjectType({ description: 'Why one item of a bulk request failed (the same code, reason and message as alone).' })
class BulkError {
  @Field() code!: string;
  @Field() reason!: string;
  @Field() message!: string;
}

@ObjectType()
class BulkProjectResult {
  @Field(() => Int, { description: 'The item’s place in the input (from 0).' }) index!: number;
  @Field(() => Project, { nullable: true }) project!: Project | null;
  @Field(() => BulkError, { nullable: true }) error!: BulkError | null;
}

@ObjectType()
class BulkAssignmentResult {
  @Field(() => Int) index!: number;
  @Field(() => TaskAssignment, { nullable: true }) assignment!: TaskAssignment | null;
  @Field(() => BulkError, { nullable: true }) error!: BulkError | null;
}

@InputType()
class CreateProjectsInput {
  @Field(() => [CreateProjectInput]) projects!: CreateProjectInput[];
}

@InputType()
class EndProjectsInput {
  @Field(() => [ID]) projectIds!: string[];
}

@InputType()
class ReassignAssignmentsInput {
  @Field(() => [ReassignAssignmentInput]) assignments!: ReassignAssignmentInput[];
}

/** Runs each item on its own; an expected refusal is that item's error, anything else fails the request. */
async function eachOf<I, T>(items: I[], run: (item: I) => Promise<T>) {
  if (items.length > MAX_BULK_ITEMS) throw badInput(`A bulk request has at most ${MAX_BULK_ITEMS} items.`);
  const results: { index: number; value: T | null; error: BulkError | null }[] = [];
  for (const [index, item] of items.entries()) {
    try {
      results.push({ index, value: await run(item), error: null });
    } catch (error) {
      if (!(error instanceof OrchestraError)) throw error;
      results.push({ index, value: null, error: { code: error.code, reason: error.reason, message: error.message } });
    }
  }
  return results;
}

@Resolver()
export class BulkResolver {
  @Mutation(() => [BulkProjectResult], { description: 'Create many projects; each succeeds or fails on its own.' })
  async createProjects(@Arg('input') input: CreateProjectsInput, @Ctx() ctx: GqlContext): Promise<BulkProjectResult[]> {
    const actor = requireActor(ctx.actor);
    requireProjectManager(actor); // a caller who may do none of it is refused as a whole
    const results = await eachOf(input.projects, (p) =>
      ctx.services.lifecycle.createProject(actor, createProjectArgs(p)),
    );
    ctx.reader.forget();
    return results.map((r) => ({ index: r.index, project: r.value, error: r.error }));
  }

  @Mutation(() => [BulkProjectResult], { description: 'End many projects; each succeeds or fails on its own.' })
  async endProjects(@Arg('input') input: EndProjectsInput, @Ctx() ctx: GqlContext): Promise<BulkProjectResult[]> {
    const actor = requireActor(ctx.actor);
    requireProjectManager(actor);
    const results = await eachOf(input.projectIds, (id) =>
      ctx.services.lifecycle.endProject(actor, parseId(id, 'projectId')),
    );
    ctx.reader.forget();
    return results.map((r) => ({ index: r.index, project: r.value, error: r.error }));
  }

  @Mutation(() => [BulkAssignmentResult], { description: 'Admin: reassign many assignments, each on its own.' })
  async reassignAssignments(
    @Arg('input') input: ReassignAssignmentsInput,
    @Ctx() ctx: GqlContext,
  ): Promise<BulkAssignmentResult[]> {
    const actor = requireActor(ctx.actor);
    requireAdmin(actor);
    const results = await eachOf(input.assignments, (a) =>
      ctx.services.lifecycle.reassignAssignment(actor, reassignArgs(a)),
    );
    ctx.reader.forget();
    return results.map((r) => ({ index: r.index, assignment: r.value, error: r.error }));
  }
}
