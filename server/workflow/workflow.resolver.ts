// Workflows, their versions, steps (with the dependency graph) and certifications: the original's
// `workflow_types`, readable by anyone logged in.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { requireActor, requireSeesEverything } from '../auth/access.js';
import type { GqlContext } from '../graphql/context.js';
import { Certification, Step, Workflow, WorkflowVersion } from './workflow.entity.js';

const present = <T>(rows: (T | null | Error)[]): T[] => rows.filter((r): r is T => r !== null && !(r instanceof Error));

@Resolver(() => Workflow)
export class WorkflowResolver {
  @Query(() => [Workflow], { description: 'Every workflow with its versions (the original’s workflow_types).' })
  async workflows(@Ctx() ctx: GqlContext): Promise<Workflow[]> {
    requireActor(ctx);
    return ctx.em.find(Workflow, {}, { orderBy: { slug: 'asc' } });
  }

  @Query(() => Workflow, { nullable: true })
  async workflow(@Arg('slug') slug: string, @Ctx() ctx: GqlContext): Promise<Workflow | null> {
    requireActor(ctx);
    return ctx.em.findOne(Workflow, { slug });
  }

  @Query(() => [Certification], { description: 'Every certification of every workflow (admins).' })
  async certifications(@Ctx() ctx: GqlContext): Promise<Certification[]> {
    requireSeesEverything(ctx);
    return ctx.em.find(Certification, {}, { orderBy: { id: 'asc' } });
  }

  @FieldResolver(() => [WorkflowVersion])
  versions(@Root() workflow: Workflow, @Ctx() ctx: GqlContext): Promise<WorkflowVersion[]> {
    return ctx.loaders.versionsByWorkflow.load(workflow.id);
  }

  @FieldResolver(() => [Certification], { name: 'certifications' })
  workflowCertifications(@Root() workflow: Workflow, @Ctx() ctx: GqlContext): Promise<Certification[]> {
    return ctx.loaders.certificationsByWorkflow.load(workflow.id);
  }
}

@Resolver(() => WorkflowVersion)
export class WorkflowVersionResolver {
  @FieldResolver(() => Workflow)
  async workflow(@Root() version: WorkflowVersion, @Ctx() ctx: GqlContext): Promise<Workflow> {
    return (await ctx.loaders.workflow.load(version.workflow.id))!;
  }

  @FieldResolver(() => [Step], { description: 'Steps in the order of the original’s project information (roots first, then breadth-first).' })
  async steps(@Root() version: WorkflowVersion, @Ctx() ctx: GqlContext): Promise<Step[]> {
    const rows = await ctx.loaders.stepsByVersion.load(version.id);
    const { version: resolved } = ctx.app.engine.catalog.version(version.id);
    const order = new Map(resolved.listingOrder.map((slug, i) => [slug, i]));
    return [...rows].sort((a, b) => (order.get(a.slug) ?? a.position) - (order.get(b.slug) ?? b.position));
  }
}

@Resolver(() => Step)
export class StepResolver {
  @FieldResolver(() => WorkflowVersion)
  async version(@Root() step: Step, @Ctx() ctx: GqlContext): Promise<WorkflowVersion> {
    return (await ctx.loaders.version.load(step.version.id))!;
  }

  @FieldResolver(() => [Certification])
  async requiredCertifications(@Root() step: Step, @Ctx() ctx: GqlContext): Promise<Certification[]> {
    return present(await ctx.loaders.certification.loadMany(step.requiredCertificationIds));
  }

  @FieldResolver(() => GraphQLJSONObject, { description: 'e.g. {"policy":"sampled_review","rate":1,"maxReviews":1}' })
  reviewPolicy(@Root() step: Step): Record<string, unknown> {
    return step.reviewPolicy;
  }

  @FieldResolver(() => GraphQLJSONObject, { description: '{"entryLevel": policy, "reviewer": policy}' })
  assignmentPolicy(@Root() step: Step): Record<string, unknown> {
    return step.assignmentPolicy;
  }

  @FieldResolver(() => GraphQLJSONObject)
  creationPolicy(@Root() step: Step): Record<string, unknown> {
    return step.creationPolicy;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'How the worker app renders the step (human steps).' })
  ui(@Root() step: Step): Record<string, unknown> | null {
    return step.ui;
  }
}

@Resolver(() => Certification)
export class CertificationResolver {
  @FieldResolver(() => Workflow)
  async workflow(@Root() certification: Certification, @Ctx() ctx: GqlContext): Promise<Workflow> {
    return (await ctx.loaders.workflow.load(certification.workflow.id))!;
  }

  @FieldResolver(() => [Certification], { description: 'Prerequisites: certifications a worker must hold before this one is granted.' })
  async requiredCertifications(@Root() certification: Certification, @Ctx() ctx: GqlContext): Promise<Certification[]> {
    return present(await ctx.loaders.certification.loadMany(certification.requiredCertificationIds));
  }
}
