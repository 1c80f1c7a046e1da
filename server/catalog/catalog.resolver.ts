// Workflows, their versions, steps (with the dependency graph) and certifications: the original's
// `workflow_types`, readable by anyone logged in.
import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { GqlContext } from '../graphql/context.js';
import { Certification, Step, Workflow, WorkflowVersion } from './catalog.entity.js';

@Resolver(() => Workflow)
export class WorkflowResolver {
  @Query(() => [Workflow], { description: 'Every workflow with its versions (the original’s workflow_types).' })
  workflows(@Ctx() ctx: GqlContext): Promise<Workflow[]> {
    return ctx.services.reads.catalog.workflows(ctx.actor, ctx.reader);
  }

  @Query(() => Workflow, { nullable: true })
  workflow(@Arg('slug') slug: string, @Ctx() ctx: GqlContext): Promise<Workflow | null> {
    return ctx.services.reads.catalog.workflow(ctx.actor, ctx.reader, slug);
  }

  @Query(() => [Certification], { description: 'Every certification of every workflow (admins).' })
  certifications(@Ctx() ctx: GqlContext): Promise<Certification[]> {
    return ctx.services.reads.catalog.certifications(ctx.actor, ctx.reader);
  }

  @FieldResolver(() => [WorkflowVersion])
  versions(@Root() workflow: Workflow, @Ctx() ctx: GqlContext): Promise<WorkflowVersion[]> {
    return ctx.services.reads.catalog.versions(ctx.reader, workflow);
  }

  @FieldResolver(() => [Certification], { name: 'certifications' })
  workflowCertifications(@Root() workflow: Workflow, @Ctx() ctx: GqlContext): Promise<Certification[]> {
    return ctx.services.reads.catalog.workflowCertifications(ctx.reader, workflow);
  }
}

// Back-links that serve no client (a version's workflow, a step's version, an iteration's assignment)
// are not in the schema: they only made cycles for hostile queries to follow.
@Resolver(() => WorkflowVersion)
export class WorkflowVersionResolver {
  @FieldResolver(() => [Step], {
    description: 'Steps in the order of the original’s project information (roots first, then breadth-first).',
  })
  steps(@Root() version: WorkflowVersion, @Ctx() ctx: GqlContext): Promise<Step[]> {
    return ctx.services.reads.catalog.steps(ctx.reader, version);
  }
}

@Resolver(() => Step)
export class StepResolver {
  @FieldResolver(() => [Certification])
  requiredCertifications(@Root() step: Step, @Ctx() ctx: GqlContext): Promise<Certification[]> {
    return ctx.services.reads.catalog.requiredCertifications(ctx.reader, step);
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

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'How the worker app renders the step (human steps).',
  })
  ui(@Root() step: Step): Record<string, unknown> | null {
    return step.ui;
  }
}

@Resolver(() => Certification)
export class CertificationResolver {
  @FieldResolver(() => Workflow)
  async workflow(@Root() certification: Certification, @Ctx() ctx: GqlContext): Promise<Workflow> {
    return (await ctx.reader.load.workflow.load(certification.workflow.id))!;
  }

  @FieldResolver(() => [Certification], {
    description: 'Prerequisites: certifications a worker must hold before this one is granted.',
  })
  requiredCertifications(@Root() certification: Certification, @Ctx() ctx: GqlContext): Promise<Certification[]> {
    return ctx.services.reads.catalog.requiredCertifications(ctx.reader, certification);
  }
}
