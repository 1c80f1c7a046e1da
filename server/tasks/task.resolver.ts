// Tasks, assignments and iterations, and every task use case as a mutation. Resolvers only translate:
// parse ids, call the lifecycle service with the caller as actor, and shape the payload.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { canSeeAssignmentData, canSeeTask, holdsTask, requireActor, seesEverything } from '../auth/access.js';
import type { GqlContext } from '../graphql/context.js';
import { parseId } from '../graphql/relay.js';
import { Tx } from '../lifecycle/context.js';
import { forbidden, notFound } from '../lifecycle/errors.js';
import { currentAssignment, prerequisitesOf } from '../lifecycle/load.js';
import { RevertChange, SubmitAction } from '../lifecycle/rules.js';
import { CertificationRole, IterationStatus, TaskStatus } from '../lifecycle/status.js';
import { Project } from '../projects/project.entity.js';
import type { JsonObject } from '../workflow/definition.js';
import { Step } from '../workflow/workflow.entity.js';
import { Worker } from '../workers/worker.entity.js';
import { Iteration, Task, TaskAssignment } from './task.entity.js';

// ---- inputs and payloads -------------------------------------------------------------------

@InputType()
class TaskInput {
  @Field(() => ID) taskId!: string;
}

@InputType()
class RequestTaskInput {
  @Field(() => CertificationRole, { nullable: true, description: 'ENTRY_LEVEL for new work, REVIEWER for review; either when absent.' })
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
}

@InputType()
class AssignTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) workerId!: string;
}

@InputType()
class ReassignAssignmentInput {
  @Field(() => ID) assignmentId!: string;
  @Field(() => ID) workerId!: string;
}

@InputType()
class RevertTaskInput {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) iterationId!: string;
  @Field({ defaultValue: false, description: 'Revert to before the iteration (it must be the first of its assignment).' }) revertBefore!: boolean;
  @Field({ defaultValue: true, description: 'Report what would change without changing anything.' }) dryRun!: boolean;
}

@ObjectType()
class AssignmentPayload {
  @Field(() => TaskAssignment) assignment!: TaskAssignment;
  @Field(() => Task) task!: Task;
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

const actorOf = requireActor;

async function taskPayload(ctx: GqlContext, task: Task): Promise<TaskPayload> {
  return { task: (await ctx.em.findOne(Task, { id: task.id }, { refresh: true }))! };
}

async function assignmentPayload(ctx: GqlContext, assignment: TaskAssignment): Promise<AssignmentPayload> {
  const fresh = (await ctx.em.findOne(TaskAssignment, { id: assignment.id }, { refresh: true }))!;
  return { assignment: fresh, task: (await ctx.em.findOne(Task, { id: fresh.task.id }, { refresh: true }))! };
}

// ---- Task ----------------------------------------------------------------------------------

@Resolver(() => Task)
export class TaskResolver {
  @Query(() => Task, { description: 'A task the viewer holds or may claim (admins and integrators: any).' })
  async task(@Arg('id', () => ID) id: string, @Ctx() ctx: GqlContext): Promise<Task> {
    requireActor(ctx);
    const task = await ctx.loaders.task.load(parseId(id));
    if (!task) throw notFound('Task', id);
    if (!(await canSeeTask(ctx, task))) throw forbidden('You may not see this task.');
    return task;
  }

  @FieldResolver(() => Step)
  async step(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<Step> {
    return (await ctx.loaders.step.load(task.step.id))!;
  }

  @FieldResolver(() => Project)
  async project(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<Project> {
    return (await ctx.loaders.project.load(task.project.id))!;
  }

  @FieldResolver(() => [TaskAssignment], { description: 'Live assignments by level (0 = entry level).' })
  assignments(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<TaskAssignment[]> {
    return ctx.loaders.assignmentsByTask.load(task.id);
  }

  @FieldResolver(() => TaskAssignment, { nullable: true, description: 'The PROCESSING assignment, else the highest level.' })
  async currentAssignment(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<TaskAssignment | null> {
    return currentAssignment(await ctx.loaders.assignmentsByTask.load(task.id));
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'The current assignment’s data (null when the viewer may not see it).' })
  async latestData(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    const current = currentAssignment(await ctx.loaders.assignmentsByTask.load(task.id));
    if (!current || !(await canSeeAssignmentData(ctx, current))) return null;
    return current.data;
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Final data of every upstream step, keyed by step slug (to the task’s workers, admins and integrators).',
  })
  async prerequisites(@Root() task: Task, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    if (!seesEverything(ctx.actor) && !(await holdsTask(ctx, task.id))) return null;
    const step = ctx.app.engine.catalog.step(task.step.id);
    const project = (await ctx.loaders.project.load(task.project.id))!;
    try {
      return (await prerequisitesOf(new Tx(ctx.em, ctx.app.engine), project, step.def.ancestors)) as JsonObject;
    } catch {
      return null; // an upstream task is not complete (e.g. after a revert): nothing to show yet
    }
  }

  // ---- worker use cases ----

  @Mutation(() => AssignmentPayload, { description: 'Claim a task that waits for a worker (or reviewer).' })
  async claimTask(@Arg('input') input: TaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    return assignmentPayload(ctx, await ctx.app.lifecycle.claimTask(actorOf(ctx), parseId(input.taskId, 'taskId')));
  }

  @Mutation(() => AssignmentPayload, { description: 'Get the next task: highest project priority, oldest project, oldest task first.' })
  async requestTask(@Arg('input', () => RequestTaskInput, { nullable: true }) input: RequestTaskInput | null, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    return assignmentPayload(ctx, await ctx.app.lifecycle.requestTask(actorOf(ctx), { role: input?.role ?? undefined }));
  }

  @Mutation(() => AssignmentPayload, { description: 'Save the working copy of a task you hold.' })
  async saveTask(@Arg('input') input: SaveTaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    return assignmentPayload(ctx, await ctx.app.lifecycle.saveTask(actorOf(ctx), { taskId: parseId(input.taskId, 'taskId'), data: input.data }));
  }

  @Mutation(() => TaskPayload, { description: 'SUBMIT or ACCEPT sends work up (to review or completion); REJECT returns it below.' })
  async submitTask(@Arg('input') input: SubmitTaskInput, @Ctx() ctx: GqlContext): Promise<TaskPayload> {
    const task = await ctx.app.lifecycle.submitTask(actorOf(ctx), { taskId: parseId(input.taskId, 'taskId'), data: input.data, action: input.action });
    return taskPayload(ctx, task);
  }

  // ---- admin use cases ----

  @Mutation(() => AssignmentPayload, { description: 'Admin: give a waiting task to a worker (the claim checks apply, the worker’s own limits do not).' })
  async assignTask(@Arg('input') input: AssignTaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    const a = await ctx.app.lifecycle.assignTask(actorOf(ctx), { taskId: parseId(input.taskId, 'taskId'), workerId: parseId(input.workerId, 'workerId') });
    return assignmentPayload(ctx, a);
  }

  @Mutation(() => AssignmentPayload, { description: 'Admin: give an assignment to another worker; its status, data and iterations stay.' })
  async reassignAssignment(@Arg('input') input: ReassignAssignmentInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    const a = await ctx.app.lifecycle.reassignAssignment(actorOf(ctx), {
      assignmentId: parseId(input.assignmentId, 'assignmentId'),
      workerId: parseId(input.workerId, 'workerId'),
    });
    return assignmentPayload(ctx, a);
  }

  @Mutation(() => TaskPayload, { description: 'Admin: submit the current holder’s work on their behalf, or complete a task nobody holds.' })
  async completeAndSkipTask(@Arg('input') input: TaskInput, @Ctx() ctx: GqlContext): Promise<TaskPayload> {
    return taskPayload(ctx, await ctx.app.lifecycle.completeAndSkipTask(actorOf(ctx), parseId(input.taskId, 'taskId')));
  }

  @Mutation(() => RevertTaskPayload, { description: 'Admin: revert a task to (or before) an iteration. dryRun (the default) only reports.' })
  async revertTask(@Arg('input') input: RevertTaskInput, @Ctx() ctx: GqlContext): Promise<RevertTaskPayload> {
    const audit = await ctx.app.lifecycle.revertTask(actorOf(ctx), {
      taskId: parseId(input.taskId, 'taskId'),
      iterationId: parseId(input.iterationId, 'iterationId'),
      revertBefore: input.revertBefore,
      commit: !input.dryRun,
    });
    const workers = await ctx.loaders.worker.loadMany(audit.assignments.map((a) => a.workerId).filter((id): id is number => id !== null));
    const byId = new Map(workers.filter((w): w is Worker => w instanceof Worker).map((w) => [w.id, w]));
    return {
      task: (await taskPayload(ctx, { id: audit.taskId } as Task)).task,
      statusBefore: audit.statusBefore,
      revertedStatus: audit.revertedStatus,
      committed: audit.committed,
      assignments: audit.assignments.map((a) => ({ ...a, worker: a.workerId ? (byId.get(a.workerId) ?? null) : null })),
    };
  }

  @Mutation(() => AssignmentPayload, { description: 'Admin: run a FAILED machine step again.' })
  async rerunMachineStep(@Arg('input') input: TaskInput, @Ctx() ctx: GqlContext): Promise<AssignmentPayload> {
    return assignmentPayload(ctx, await ctx.app.lifecycle.rerunMachineStep(actorOf(ctx), parseId(input.taskId, 'taskId')));
  }
}

// ---- TaskAssignment and Iteration --------------------------------------------------------------

@Resolver(() => TaskAssignment)
export class TaskAssignmentResolver {
  @FieldResolver(() => Worker, { nullable: true, description: 'Null for machine steps.' })
  async worker(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<Worker | null> {
    return a.worker ? ctx.loaders.worker.load(a.worker.id) : null;
  }

  @FieldResolver(() => Task)
  async task(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<Task> {
    return (await ctx.loaders.task.load(a.task.id))!;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'This level’s working copy (null when the viewer may not see it).' })
  async data(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    return (await canSeeAssignmentData(ctx, a)) ? a.data : null;
  }

  @FieldResolver(() => [Iteration], { description: 'Oldest first.' })
  iterations(@Root() a: TaskAssignment, @Ctx() ctx: GqlContext): Promise<Iteration[]> {
    return ctx.loaders.iterationsByAssignment.load(a.id);
  }
}

@Resolver(() => Iteration)
export class IterationResolver {
  @FieldResolver(() => TaskAssignment)
  async assignment(@Root() i: Iteration, @Ctx() ctx: GqlContext): Promise<TaskAssignment> {
    return (await ctx.loaders.assignment.load(i.assignment.id))!;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'What was sent up or down when the iteration ended.' })
  async submittedData(@Root() i: Iteration, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    const assignment = await ctx.loaders.assignment.load(i.assignment.id);
    return assignment && (await canSeeAssignmentData(ctx, assignment)) ? i.submittedData : null;
  }
}
