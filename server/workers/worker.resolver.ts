// Workers and certifications: the viewer, the worker list (admins), and the admin use cases.
import 'reflect-metadata';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { requireActor, seesEverything } from '../auth/access.js';
import { hashPassword } from '../auth/passwords.js';
import type { GqlContext } from '../graphql/context.js';
import { ConnectionType, decodeCursor, pageSize, parseId, toConnection, type Connection } from '../graphql/relay.js';
import { isAdmin, requireAdmin } from '../lifecycle/actor.js';
import { badInput, forbidden, notFound } from '../lifecycle/errors.js';
import { CertificationRole, TaskClass } from '../lifecycle/status.js';
import { Certification } from '../workflow/workflow.entity.js';
import { Worker, WorkerCertification } from './worker.entity.js';

@InputType()
class CreateWorkerInput {
  @Field() username!: string;
  @Field(() => String, { nullable: true, description: 'At least 8 characters; without one the worker cannot log in.' }) password?: string | null;
  @Field({ defaultValue: '' }) firstName!: string;
  @Field({ defaultValue: '' }) lastName!: string;
  @Field({ defaultValue: '' }) email!: string;
  @Field({ defaultValue: false }) isAdmin!: boolean;
}

@ObjectType()
class WorkerPayload {
  @Field(() => Worker) worker!: Worker;
}

@InputType()
class CertificationGrantInput {
  @Field(() => ID) workerId!: string;
  @Field() workflowSlug!: string;
  @Field() certificationSlug!: string;
  @Field(() => CertificationRole) role!: CertificationRole;
  @Field(() => TaskClass, { defaultValue: TaskClass.REAL }) taskClass!: TaskClass;
}

@ObjectType()
class GrantCertificationPayload {
  @Field(() => WorkerCertification) workerCertification!: WorkerCertification;
}

@ObjectType()
class RevokeCertificationPayload {
  @Field(() => Int, { description: 'Certifications removed (revoking ENTRY_LEVEL also removes REVIEWER).' }) revoked!: number;
  @Field(() => Worker) worker!: Worker;
}

const WorkerConnection = ConnectionType(Worker, 'Worker');

const isSelfOrAdmin = (ctx: GqlContext, worker: Worker) =>
  !!ctx.actor && (isAdmin(ctx.actor) || (ctx.actor.kind === 'worker' && ctx.actor.workerId === worker.id));

@Resolver(() => Worker)
export class WorkerResolver {
  @Query(() => Worker, { nullable: true, description: 'The logged-in worker (null when not logged in as a worker).' })
  viewer(@Ctx() ctx: GqlContext): Worker | null {
    return ctx.viewer;
  }

  @Query(() => WorkerConnection, { description: 'Workers by username (admins and integrators).' })
  async workers(
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<Worker>> {
    if (!seesEverything(requireActor(ctx))) throw forbidden('Only project admins may list workers.');
    const size = pageSize(first);
    const where = after ? { username: { $gt: String(decodeCursor(after, ['string'])[0]) } } : {};
    const rows = await ctx.em.find(Worker, where, { orderBy: { username: 'asc' }, limit: size + 1 });
    return toConnection(rows, size, (w) => [w.username], await ctx.em.count(Worker));
  }

  @Query(() => Worker)
  async worker(@Arg('id', () => ID) id: string, @Ctx() ctx: GqlContext): Promise<Worker> {
    requireActor(ctx);
    const worker = await ctx.loaders.worker.load(parseId(id));
    if (!worker) throw notFound('Worker', id);
    if (!isSelfOrAdmin(ctx, worker) && !seesEverything(ctx.actor)) throw forbidden('You may not see this worker.');
    return worker;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Visible to the worker and admins.' })
  email(@Root() worker: Worker, @Ctx() ctx: GqlContext): string | null {
    return isSelfOrAdmin(ctx, worker) ? worker.email : null;
  }

  @FieldResolver(() => [WorkerCertification], { description: 'Visible to the worker and admins (empty otherwise).' })
  async certifications(@Root() worker: Worker, @Ctx() ctx: GqlContext): Promise<WorkerCertification[]> {
    return isSelfOrAdmin(ctx, worker) ? ctx.loaders.certificationsByWorker.load(worker.id) : [];
  }

  @Mutation(() => WorkerPayload, { description: 'Admin: create a worker account.' })
  async createWorker(@Arg('input') input: CreateWorkerInput, @Ctx() ctx: GqlContext): Promise<WorkerPayload> {
    const actor = requireActor(ctx);
    requireAdmin(actor);
    if (input.password != null && input.password.length < 8) throw badInput('password must have at least 8 characters.');
    const worker = await ctx.app.workers.createWorker(actor, {
      username: input.username,
      firstName: input.firstName,
      lastName: input.lastName,
      email: input.email,
      isAdmin: input.isAdmin,
      passwordHash: input.password ? await hashPassword(input.password) : null,
    });
    return { worker: (await ctx.em.findOne(Worker, { id: worker.id }))! };
  }

  @Mutation(() => GrantCertificationPayload, { description: 'Admin: certify a worker (REVIEWER needs ENTRY_LEVEL; prerequisites first).' })
  async grantCertification(@Arg('input') input: CertificationGrantInput, @Ctx() ctx: GqlContext): Promise<GrantCertificationPayload> {
    const wc = await ctx.app.workers.grantCertification(requireActor(ctx), { ...input, workerId: parseId(input.workerId, 'workerId') });
    return { workerCertification: (await ctx.em.findOne(WorkerCertification, { id: wc.id }))! };
  }

  @Mutation(() => RevokeCertificationPayload, { description: 'Admin: take a certification away.' })
  async revokeCertification(@Arg('input') input: CertificationGrantInput, @Ctx() ctx: GqlContext): Promise<RevokeCertificationPayload> {
    const workerId = parseId(input.workerId, 'workerId');
    const revoked = await ctx.app.workers.revokeCertification(requireActor(ctx), { ...input, workerId });
    const worker = await ctx.em.findOne(Worker, { id: workerId });
    if (!worker) throw notFound('Worker', workerId);
    return { revoked, worker };
  }
}

@Resolver(() => WorkerCertification)
export class WorkerCertificationResolver {
  @FieldResolver(() => Certification)
  async certification(@Root() wc: WorkerCertification, @Ctx() ctx: GqlContext): Promise<Certification> {
    return (await ctx.loaders.certification.load(wc.certification.id))!;
  }

  @FieldResolver(() => Worker)
  async worker(@Root() wc: WorkerCertification, @Ctx() ctx: GqlContext): Promise<Worker> {
    return (await ctx.loaders.worker.load(wc.worker.id))!;
  }
}
