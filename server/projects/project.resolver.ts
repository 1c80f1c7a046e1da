// Projects: the original's `project_information` (a project with its tasks, assignments and
// iterations), a paginated list for admins and integrators, and the project use cases.
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
import { requireActor } from '../auth/access.js';
import { Workflow, WorkflowVersion } from '../catalog/catalog.entity.js';
import { ConnectionType, parseId, toConnection, type Connection } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import type { JsonObject } from '../kernel/json.js';
import { ProjectStatus, TaskClass } from '../kernel/status.js';
import { Task } from '../tasks/task.entity.js';
import { Project } from './project.entity.js';

@ObjectType({ description: "One of a project's own files (documents, photos, a machine step's output)." })
class ProjectFile {
  @Field({ description: 'Its path in the project, e.g. "Raw Photos/beach.jpg".' }) path!: string;
  @Field(() => Int) size!: number;
  @Field() contentType!: string;
  @Field() modifiedAt!: Date;
  @Field({ description: 'Where it is served, to those who may see the project.' }) url!: string;
}

@InputType()
export class CreateProjectInput {
  @Field() workflowSlug!: string;
  @Field() versionSlug!: string;
  @Field({ description: 'Short description shown to workers.' }) description!: string;
  @Field(() => Int, { defaultValue: 0, description: 'Higher is more important.' }) priority!: number;
  @Field(() => TaskClass, { defaultValue: TaskClass.REAL }) taskClass!: TaskClass;
  @Field(() => GraphQLJSONObject, { nullable: true }) projectData?: JsonObject | null;
  @Field(() => String, { nullable: true }) scratchpadUrl?: string | null;
  @Field(() => String, {
    nullable: true,
    description: "A Slack incoming-webhook URL: the project's notifications are posted there (else to its workflow's).",
  })
  slackWebhookUrl?: string | null;
}

@InputType()
class ProjectInput {
  @Field(() => ID) projectId!: string;
}

@ObjectType()
class ProjectPayload {
  @Field(() => Project) project!: Project;
}

@ObjectType()
class CreateSubsequentTasksPayload {
  @Field(() => Project) project!: Project;
  @Field(() => [Task]) createdTasks!: Task[];
}

const ProjectConnection = ConnectionType(Project, 'Project');

/** After a write, what the payload's fields read is the state after it. */
/** The use case's input from the GraphQL input (createProject and createProjects). */
export const createProjectArgs = (input: CreateProjectInput) => ({
  workflowSlug: input.workflowSlug,
  versionSlug: input.versionSlug,
  description: input.description,
  priority: input.priority,
  taskClass: input.taskClass,
  projectData: input.projectData ?? {},
  scratchpadUrl: input.scratchpadUrl ?? null,
  slackWebhookUrl: input.slackWebhookUrl ?? null,
});

function written(ctx: GqlContext, project: Project): ProjectPayload {
  ctx.reader.forget();
  return { project };
}

@Resolver(() => Project)
export class ProjectResolver {
  @Query(() => Project, { description: 'A project with its tasks (admins, integrators, and workers on it).' })
  project(@Arg('id', () => ID) id: string, @Ctx() ctx: GqlContext): Promise<Project> {
    return ctx.services.reads.projects.project(ctx.actor, ctx.reader, parseId(id));
  }

  @Query(() => ProjectConnection, { description: 'Projects, newest first (admins and integrators).' })
  async projects(
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => ProjectStatus, { nullable: true }) status?: ProjectStatus,
    @Arg('workflowSlug', () => String, { nullable: true }) workflowSlug?: string,
  ): Promise<Connection<Project>> {
    return toConnection(
      await ctx.services.reads.projects.projects(ctx.actor, ctx.reader, { status, workflowSlug }, { first, after }),
    );
  }

  @FieldResolver(() => WorkflowVersion)
  async workflowVersion(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<WorkflowVersion> {
    return (await ctx.reader.load.version.load(project.version.id))!;
  }

  @FieldResolver(() => Workflow)
  async workflow(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<Workflow> {
    const version = (await ctx.reader.load.version.load(project.version.id))!;
    return (await ctx.reader.load.workflow.load(version.workflow.id))!;
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description:
      "A finished project's output JSON (the workflow's own, or every step's final data by step slug); null until the project is COMPLETED.",
  })
  output(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<JsonObject | null> {
    return ctx.services.reads.projects.output(ctx.actor, ctx.reader, project.id);
  }

  @FieldResolver(() => [ProjectFile], {
    description: "Files directly in a folder of the project ('' or none: the top).",
  })
  files(
    @Root() project: Project,
    @Ctx() ctx: GqlContext,
    @Arg('folder', () => String, { nullable: true }) folder?: string | null,
  ): Promise<ProjectFile[]> {
    return ctx.services.projectFiles.list(ctx.actor, ctx.reader, project.id, folder ?? '');
  }

  @FieldResolver(() => [Task], { description: 'The project’s tasks the viewer may see, in creation order.' })
  tasks(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<Task[]> {
    return ctx.services.reads.projects.tasks(ctx.actor, ctx.reader, project);
  }

  @Mutation(() => ProjectPayload, {
    description: 'Create a project of a workflow version; its first tasks are created at once.',
  })
  async createProject(@Arg('input') input: CreateProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    const project = await ctx.services.lifecycle.createProject(requireActor(ctx.actor), createProjectArgs(input));
    return written(ctx, project);
  }

  @Mutation(() => ProjectPayload, { description: 'End (abort) a project: its open tasks are ABORTED.' })
  async endProject(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    return written(
      ctx,
      await ctx.services.lifecycle.endProject(requireActor(ctx.actor), parseId(input.projectId, 'projectId')),
    );
  }

  @Mutation(() => ProjectPayload, { description: 'Admin: put a project on hold (its tasks leave the pool).' })
  async pauseProject(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    return written(
      ctx,
      await ctx.services.lifecycle.pauseProject(requireActor(ctx.actor), parseId(input.projectId, 'projectId')),
    );
  }

  @Mutation(() => ProjectPayload, { description: 'Admin: make a paused project active again.' })
  async resumeProject(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    return written(
      ctx,
      await ctx.services.lifecycle.resumeProject(requireActor(ctx.actor), parseId(input.projectId, 'projectId')),
    );
  }

  @Mutation(() => CreateSubsequentTasksPayload, {
    description: 'Admin: create the tasks whose dependencies are complete.',
  })
  async createSubsequentTasks(
    @Arg('input') input: ProjectInput,
    @Ctx() ctx: GqlContext,
  ): Promise<CreateSubsequentTasksPayload> {
    const actor = requireActor(ctx.actor);
    const id = parseId(input.projectId, 'projectId');
    const created = await ctx.services.lifecycle.createSubsequentTasks(actor, id);
    ctx.reader.forget();
    return { project: await ctx.services.reads.projects.project(actor, ctx.reader, id), createdTasks: created };
  }
}
