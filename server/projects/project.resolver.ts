// Projects: the original's `project_information` (a project with its tasks, assignments and
// iterations), a paginated list for admins and integrators, and the project use cases.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { canSeeTask, requireActor, requireSeesEverything, seesEverything } from '../auth/access.js';
import type { GqlContext } from '../graphql/context.js';
import { ConnectionType, decodeCursor, pageSize, parseId, toConnection, type Connection } from '../graphql/relay.js';
import { badInput, forbidden, notFound } from '../lifecycle/errors.js';
import { ProjectStatus, TaskClass } from '../lifecycle/status.js';
import { Task, TaskAssignment } from '../tasks/task.entity.js';
import type { JsonObject } from '../workflow/definition.js';
import { Workflow, WorkflowVersion } from '../workflow/workflow.entity.js';
import { Project } from './project.entity.js';

@InputType()
class CreateProjectInput {
  @Field() workflowSlug!: string;
  @Field() versionSlug!: string;
  @Field({ description: 'Short description shown to workers.' }) description!: string;
  @Field(() => Int, { defaultValue: 0, description: 'Higher is more important.' }) priority!: number;
  @Field(() => TaskClass, { defaultValue: TaskClass.REAL }) taskClass!: TaskClass;
  @Field(() => GraphQLJSONObject, { nullable: true }) projectData?: JsonObject | null;
  @Field(() => String, { nullable: true }) scratchpadUrl?: string | null;
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

async function projectPayload(ctx: GqlContext, id: number): Promise<ProjectPayload> {
  return { project: (await ctx.em.findOne(Project, { id }, { refresh: true }))! };
}

@Resolver(() => Project)
export class ProjectResolver {
  @Query(() => Project, { description: 'A project with its tasks (admins, integrators, and workers on it).' })
  async project(@Arg('id', () => ID) id: string, @Ctx() ctx: GqlContext): Promise<Project> {
    const actor = requireActor(ctx);
    const project = await ctx.loaders.project.load(parseId(id));
    if (!project) throw notFound('Project', id);
    if (!seesEverything(actor)) {
      const onIt = await ctx.em.count(TaskAssignment, { task: { project: project.id }, worker: actor.kind === 'worker' ? actor.workerId : -1 });
      if (!onIt) throw forbidden('You may not see this project.');
    }
    return project;
  }

  @Query(() => ProjectConnection, { description: 'Projects, newest first (admins and integrators).' })
  async projects(
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => ProjectStatus, { nullable: true }) status?: ProjectStatus,
    @Arg('workflowSlug', () => String, { nullable: true }) workflowSlug?: string,
  ): Promise<Connection<Project>> {
    requireSeesEverything(ctx);
    const size = pageSize(first);
    const where: Record<string, unknown> = {};
    if (status !== undefined && status !== null) where.status = status;
    if (workflowSlug) where.version = { workflow: { slug: workflowSlug } };
    const total = await ctx.em.count(Project, where);
    if (after) {
      const [id] = decodeCursor(after, ['int']);
      if (typeof id !== 'number') throw badInput('Invalid cursor.');
      where.id = { $lt: id };
    }
    const rows = await ctx.em.find(Project, where, { orderBy: { id: 'desc' }, limit: size + 1 });
    return toConnection(rows, size, (p) => [p.id], total);
  }

  @FieldResolver(() => WorkflowVersion)
  async workflowVersion(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<WorkflowVersion> {
    return (await ctx.loaders.version.load(project.version.id))!;
  }

  @FieldResolver(() => Workflow)
  async workflow(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<Workflow> {
    const version = (await ctx.loaders.version.load(project.version.id))!;
    return (await ctx.loaders.workflow.load(version.workflow.id))!;
  }

  @FieldResolver(() => [Task], { description: 'The project’s tasks the viewer may see, in creation order.' })
  async tasks(@Root() project: Project, @Ctx() ctx: GqlContext): Promise<Task[]> {
    const tasks = await ctx.loaders.tasksByProject.load(project.id);
    if (seesEverything(ctx.actor)) return tasks;
    const visible = await Promise.all(tasks.map((t) => canSeeTask(ctx, t)));
    return tasks.filter((_, i) => visible[i]);
  }

  @Mutation(() => ProjectPayload, { description: 'Create a project of a workflow version; its first tasks are created at once.' })
  async createProject(@Arg('input') input: CreateProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    const project = await ctx.app.lifecycle.createProject(requireActor(ctx), {
      workflowSlug: input.workflowSlug,
      versionSlug: input.versionSlug,
      description: input.description,
      priority: input.priority,
      taskClass: input.taskClass,
      projectData: input.projectData ?? {},
      scratchpadUrl: input.scratchpadUrl ?? null,
    });
    return projectPayload(ctx, project.id);
  }

  @Mutation(() => ProjectPayload, { description: 'End (abort) a project: its open tasks are ABORTED.' })
  async endProject(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    const project = await ctx.app.lifecycle.endProject(requireActor(ctx), parseId(input.projectId, 'projectId'));
    return projectPayload(ctx, project.id);
  }

  @Mutation(() => ProjectPayload, { description: 'Admin: put a project on hold (its tasks leave the pool).' })
  async pauseProject(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    const project = await ctx.app.lifecycle.pauseProject(requireActor(ctx), parseId(input.projectId, 'projectId'));
    return projectPayload(ctx, project.id);
  }

  @Mutation(() => ProjectPayload, { description: 'Admin: make a paused project active again.' })
  async resumeProject(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<ProjectPayload> {
    const project = await ctx.app.lifecycle.resumeProject(requireActor(ctx), parseId(input.projectId, 'projectId'));
    return projectPayload(ctx, project.id);
  }

  @Mutation(() => CreateSubsequentTasksPayload, { description: 'Admin: create the tasks whose dependencies are complete.' })
  async createSubsequentTasks(@Arg('input') input: ProjectInput, @Ctx() ctx: GqlContext): Promise<CreateSubsequentTasksPayload> {
    const id = parseId(input.projectId, 'projectId');
    const created = await ctx.app.lifecycle.createSubsequentTasks(requireActor(ctx), id);
    const tasks = created.length ? await ctx.em.find(Task, { id: { $in: created.map((t) => t.id) } }) : [];
    return { ...(await projectPayload(ctx, id)), createdTasks: tasks };
  }
}
