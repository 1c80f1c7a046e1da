// Tasks, assignments and iterations, and every task use case as a mutation. Resolvers only translate:
// parse ids, call a use case with the caller as actor, and shape the payload.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import {
  Arg,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { Step } from '../catalog/catalog.entity.js';
import { parseId, parseOptionalId } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { requireActor } from '../auth/access.js';
import type { JsonObject } from '../kernel/json.js';
import { CertificationRole, IterationStatus, TaskStatus } from '../kernel/status.js';
import { isStuck, NoTaskReason } from '../lifecycle/lifecycle.service.js';
import { RevertChange, SubmitAction } from '../lifecycle/rules.js';
import { Project } from '../projects/project.entity.js';
import { Worker } from '../workers/worker.entity.js';
import { Iteration, Task, TaskAssignment } from './task.entity.js';

// ---- inputs and payloads -------------------------------------------------------------------

@InputType()
class TaskInput {
  @Field(() => ID) taskId!: string;
}

@InputType()
class RequestTaskInput {
  @Field(() => CertificationRole, {
    nullable: true,
    description: 'ENTRY_LEVEL for new work, REVIEWER for review; either when absent.',
  })
  role?: CertificationRole | null;
}

@InputType()
class SaveTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => GraphQLJSONObject) data!: JsonObject;
}

@InputType()
class SubmitTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => GraphQLJSONObject) data!: JsonObject;
  @Field(() => SubmitAction) action!: SubmitAction;
  @Field(() => String, {
    nullable: true,
    description: 'What the worker below should know (a reviewer returning work), kept with this iteration.',
  })
  feedback?: string | null;
}

@InputType({ description: 'Name the worker by workerId or by username.' })
class AssignTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID, { nullable: true }) workerId?: string | null;
  @Field(() => String, { nullable: true }) username?: string | null;
}

@InputType({ description: 'Name the worker by workerId or by username.' })
export class ReassignAssignmentInput {
  @Field(() => ID) assignmentId!: string;
  @Field(() => ID, { nullable: true }) workerId?: string | null;
  @Field(() => String, { nullable: true }) username?: string | null;
}

/** The use case's input from the GraphQL input (reassignAssignment and reassignAssignments). */
export const reassignArgs = (input: ReassignAssignmentInput) => ({
  assignmentId: parseId(input.assignmentId, 'assignmentId'),
  workerId: parseOptionalId(input.workerId, 'workerId'),
  username: input.username,
});

@InputType()
class RevertTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) iterationId!: string;
  @Field({
    defaultValue: false,
    description: 'Revert to before the iteration (it must be the first of its assignment).',
  })
  revertBefore!: boolean;
  @Field({ defaultValue: true, description: 'Report what would change without changing anything.' }) dryRun!: boolean;
}

@ObjectType()
class AssignmentPayload {
  @Field(() => TaskAssignment) assignment!: TaskAssignment;
  @Field(() => Task) task!: Task;
}

@ObjectType({ description: 'The task given to the worker, or none and why.' })
class RequestTaskPayload {
  @Field(() => TaskAssignment, { nullable: true }) assignment!: TaskAssignment | null;
  @Field(() => Task, { nullable: true }) task!: Task | null;
  @Field(() => NoTaskReason, { nullable: true, description: 'Set when no task was given.' })
  reason!: NoTaskReason | null;
}

@ObjectType()
class TaskPayload {
  @Field(() => Task) task!: Task;
}

@ObjectType()
class RevertIterationChange {
  @Field(() => ID) iterationId!: number;
  @Field(() => IterationStatus) status!: IterationStatus;
  @Field(() => RevertChange) change!: RevertChange;
}

@ObjectType()
class RevertAssignmentChange {
  @Field(() => ID) assignmentId!: number;
  @Field(() => Int) level!: number;
  @Field(() => Worker, { nullable: true }) worker!: Worker | null;
  @Field(() => RevertChange) change!: RevertChange;
  @Field(() => [RevertIterationChange]) iterations!: RevertIterationChange[];
}

@ObjectType()
class RevertTaskPayload {
  @Field(() => Task) task!: Task;
  @Field(() => TaskStatus) statusBefore!: TaskStatus;
  @Field(() => TaskStatus) revertedStatus!: TaskStatus;
  @Field({ description: 'false for a dry run: nothing was changed.' }) committed!: boolean;
  @Field(() => [RevertAssignmentChange]) assignments!: RevertAssignmentChange[];
}

/** After a write, what the payload's fields read is the state after it. */
function written<T>(ctx: GqlContext, value: T): T {
  ctx.reader.forget();
  return value;
}

const assignmentPayload = (ctx: GqlContext, assignment: TaskAssignment): AssignmentPayload =>
  written(ctx, { assignment, task: assignment.task as Task });

// ---- Task ----------------------------------------------------------------------------------

@Resolver(() => Task)
export class TaskResolver {
  @Query(() => Task, { description: 'A task the viewer holds or may claim (admins and integrators: any).' })
  task(@Arg('id', () => ID) id: string, @Ctx() ctx: GqlContext): Promise<Task> {
    return ctx.services.reads.tasks.task(ctx.actor, ctx.reader, parseId(id));
  }

  @FieldResolver(() => Step)
  async step(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<Step> {
    return (await ctx.reader.load.step.load(task.step.id))!;
  }

  @FieldResolver(() => Project)
  async project(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<Project> {
    return (await ctx.reader.load.project.load(task.project.id))!;
  }

  @FieldResolver(() => [TaskAssignment], { description: 'Live assignments by level (0 = entry level).' })
  assignments(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<TaskAssignment[]> {
    return ctx.services.reads.tasks.assignments(ctx.reader, task);
  }

  @FieldResolver(() => TaskAssignment, {
    nullable: true,
    description: 'The PROCESSING assignment, else the highest level.',
  })
  currentAssignment(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<TaskAssignment | null> {
    return ctx.services.reads.tasks.currentAssignment(ctx.reader, task);
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'The current assignment’s data (null when the viewer may not see it).',
  })
  latestData(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    return ctx.services.reads.tasks.latestData(ctx.actor, ctx.reader, task);
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Final data of every upstream step, keyed by step slug (to the task’s workers, admins and integrators).',
  })
  prerequisites(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    return ctx.services.reads.tasks.prerequisites(ctx.actor, ctx.reader, task);
  }

  // ---- worker use cases ----

  @Mutation(() => AssignmentPayload, { description: 'Claim a task that waits for a worker (or reviewer).' })
  async claimTask(@Arg('input') input: TaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    return assignmentPayload(
      ctx,
      await ctx.services.lifecycle.claimTask(requireActor(ctx.actor), parseId(input.taskId, 'taskId')),
    );
  }

  @Mutation(() => RequestTaskPayload, {
    description:
      'Get the next task: highest project priority, oldest project, oldest task first. None (with a reason) when there is nothing to do.',
  })
  async requestTask(
    @Arg('input', () => RequestTaskInput, { nullable: true }) input: RequestTaskInput | null,
    @Ctx() ctx: GqlContext,
  ): Promise<RequestTaskPayload> {
    const result = await ctx.services.lifecycle.requestTask(requireActor(ctx.actor), {
      role: input?.role ?? undefined,
    });
    return written(ctx, {
      assignment: result.assignment,
      task: (result.assignment?.task as Task | undefined) ?? null,
      reason: result.reason,
    });
  }

  @Mutation(() => AssignmentPayload, { description: 'Save the working copy of a task you hold.' })
  async saveTask(@Arg('input') input: SaveTaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    const saved = await ctx.services.lifecycle.saveTask(requireActor(ctx.actor), {
      taskId: parseId(input.taskId, 'taskId'),
      data: input.data,
    });
    return assignmentPayload(ctx, saved);
  }

  @Mutation(() => TaskPayload, {
    description: 'SUBMIT or ACCEPT sends work up (to review or completion); REJECT returns it below.',
  })
  async submitTask(@Arg('input') input: SubmitTaskInput, @Ctx() ctx: GqlContext): Promise<TaskPayload> {
    const task = await ctx.services.lifecycle.submitTask(requireActor(ctx.actor), {
      taskId: parseId(input.taskId, 'taskId'),
      data: input.data,
      action: input.action,
      feedback: input.feedback,
    });
    return written(ctx, { task });
  }

  // ---- admin use cases ----

  @Mutation(() => AssignmentPayload, {
    description: 'Admin: give a waiting task to a worker (the claim checks apply, the worker’s own limits do not).',
  })
  async assignTask(@Arg('input') input: AssignTaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    const a = await ctx.services.lifecycle.assignTask(requireActor(ctx.actor), {
      taskId: parseId(input.taskId, 'taskId'),
      workerId: parseOptionalId(input.workerId, 'workerId'),
      username: input.username,
    });
    return assignmentPayload(ctx, a);
  }

  @Mutation(() => AssignmentPayload, {
    description: 'Admin: give an assignment to another worker; its status, data and iterations stay.',
  })
  async reassignAssignment(
    @Arg('input') input: ReassignAssignmentInput,
    @Ctx() ctx: GqlContext,
  ): Promise<AssignmentPayload> {
    const a = await ctx.services.lifecycle.reassignAssignment(requireActor(ctx.actor), reassignArgs(input));
    return assignmentPayload(ctx, a);
  }

  @Mutation(() => TaskPayload, {
    description: 'Admin: submit the current holder’s work on their behalf, or complete a task nobody holds.',
  })
  async completeAndSkipTask(@Arg('input') input: TaskInput, @Ctx() ctx: GqlContext): Promise<TaskPayload> {
    return written(ctx, {
      task: await ctx.services.lifecycle.completeAndSkipTask(requireActor(ctx.actor), parseId(input.taskId, 'taskId')),
    });
  }

  @Mutation(() => RevertTaskPayload, {
    description: 'Admin: revert a task to (or before) an iteration. dryRun (the default) only reports.',
  })
  async revertTask(@Arg('input') input: RevertTaskInput, @Ctx() ctx: GqlContext): Promise<RevertTaskPayload> {
    const actor = requireActor(ctx.actor);
    const audit = await ctx.services.lifecycle.revertTask(actor, {
      taskId: parseId(input.taskId, 'taskId'),
      iterationId: parseId(input.iterationId, 'iterationId'),
      revertBefore: input.revertBefore,
      commit: !input.dryRun,
    });
    written(ctx, null);
    const workers = await ctx.reader.load.worker.loadMany(
      audit.assignments.map((a) => a.workerId).filter((id): id is number => id !== null),
    );
    const byId = new Map(workers.filter((w): w is Worker => w instanceof Worker).map((w) => [w.id, w]));
    return {
      task: await ctx.services.reads.tasks.task(actor, ctx.reader, audit.taskId),
      statusBefore: audit.statusBefore,
      revertedStatus: audit.revertedStatus,
      committed: audit.committed,
      assignments: audit.assignments.map((a) => ({ ...a, worker: a.workerId ? (byId.get(a.workerId) ?? null) : null })),
    };
  }

  @Mutation(() => AssignmentPayload, { description: 'Admin: run a FAILED machine step again.' })
  async rerunMachineStep(@Arg('input') input: TaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    return assignmentPayload(
      ctx,
      await ctx.services.lifecycle.rerunMachineStep(requireActor(ctx.actor), parseId(input.taskId, 'taskId')),
    );
  }
}

// ---- TaskAssignment and Iteration --------------------------------------------------------------

@Resolver(() => TaskAssignment)
export class TaskAssignmentResolver {
  @FieldResolver(() => Worker, { nullable: true, description: 'Null for machine steps.' })
  async worker(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<Worker | null> {
    return a.worker ? ctx.reader.load.worker.load(a.worker.id) : null;
  }

  @FieldResolver(() => Task)
  async task(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<Task> {
    return (await ctx.reader.load.task.load(a.task.id))!;
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'This level’s working copy (null when the viewer may not see it).',
  })
  data(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    return ctx.services.reads.tasks.assignmentData(ctx.actor, ctx.reader, a);
  }

  @FieldResolver(() => Boolean, {
    description: 'Machine steps: the running attempt’s lease ran out (its process died); an admin may re-run it.',
  })
  stuck(@Root() a: TaskAssignment): boolean {
    return isStuck(a, new Date());
  }

  @FieldResolver(() => [Iteration], { description: 'Oldest first.' })
  iterations(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<Iteration[]> {
    return ctx.services.reads.tasks.iterations(ctx.reader, a);
  }
}

@Resolver(() => Iteration)
export class IterationResolver {
  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'What was sent up or down when the iteration ended.',
  })
  submittedData(@Root() i: Iteration, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    return ctx.services.reads.tasks.iterationData(ctx.actor, ctx.reader, i);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'What the worker said with the work they sent (a reviewer’s feedback when returning it).',
  })
  feedback(@Root() i: Iteration, @Ctx() ctx: GqlContext): Promise<string | null> {
    return ctx.services.reads.tasks.iterationFeedback(ctx.actor, ctx.reader, i);
  }
}
