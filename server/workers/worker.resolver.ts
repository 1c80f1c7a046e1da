// Workers and certifications: the viewer, the worker list (admins), and the admin use cases.
import 'reflect-metadata';
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
import { Certification } from '../catalog/catalog.entity.js';
import { ConnectionType, parseOptionalId, toConnection, type Connection } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { CertificationRole, TaskClass } from '../kernel/status.js';
import { Worker, WorkerCertification } from './worker.entity.js';

@InputType()
class CreateWorkerInput {
  @Field() username!: string;
  @Field(() => String, { nullable: true, description: 'At least 8 characters; without one the worker cannot log in.' })
  password?: string | null;
  @Field({ defaultValue: '' }) firstName!: string;
  @Field({ defaultValue: '' }) lastName!: string;
  @Field({ defaultValue: '' }) email!: string;
  @Field({ defaultValue: false }) isAdmin!: boolean;
}

@ObjectType()
export class WorkerPayload {
  @Field(() => Worker) worker!: Worker;
}

@InputType({ description: 'Name the worker by workerId or by username.' })
class CertificationGrantInput {
  @Field(() => ID, { nullable: true }) workerId?: string | null;
  @Field(() => String, { nullable: true }) username?: string | null;
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
  @Field(() => Int, { description: 'Certifications removed (revoking ENTRY_LEVEL also removes REVIEWER).' })
  revoked!: number;
  @Field(() => Worker) worker!: Worker;
}

const WorkerConnection = ConnectionType(Worker, 'Worker');

@Resolver(() => Worker)
export class WorkerResolver {
  @Query(() => Worker, { nullable: true, description: 'The logged-in worker (null when not logged in as a worker).' })
  viewer(@Ctx() ctx: GqlContext): Worker | null {
    return ctx.viewer();
  }

  @Query(() => WorkerConnection, { description: 'Workers by username (admins and integrators).' })
  async workers(
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<Worker>> {
    return toConnection(await ctx.services.reads.workers.workers(ctx.actor, ctx.reader, { first, after }));
  }

  @Query(() => Worker, { description: 'A worker by id or by username: yourself, or anyone to admins and integrators.' })
  worker(
    @Ctx() ctx: GqlContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('username', () => String, { nullable: true }) username?: string | null,
  ): Promise<Worker> {
    return ctx.services.reads.workers.worker(ctx.actor, ctx.reader, { id: parseOptionalId(id), username });
  }

  @FieldResolver(() => String, { nullable: true, description: 'Visible to the worker and admins.' })
  email(@Root() worker: Worker, @Ctx() ctx: GqlContext): string | null {
    return ctx.services.reads.workers.email(ctx.actor, worker);
  }

  @FieldResolver(() => [WorkerCertification], { description: 'Visible to the worker and admins (empty otherwise).' })
  certifications(@Root() worker: Worker, @Ctx() ctx: GqlContext): Promise<WorkerCertification[]> {
    return ctx.services.reads.workers.certifications(ctx.actor, ctx.reader, worker);
  }

  @Mutation(() => WorkerPayload, { description: 'Admin: create a worker account.' })
  async createWorker(@Arg('input') input: CreateWorkerInput, @Ctx() ctx: GqlContext): Promise<WorkerPayload> {
    const worker = await ctx.services.workers.createWorker(requireActor(ctx.actor), {
      username: input.username,
      firstName: input.firstName,
      lastName: input.lastName,
      email: input.email,
      isAdmin: input.isAdmin,
      password: input.password ?? null,
    });
    return { worker };
  }

  @Mutation(() => GrantCertificationPayload, {
    description: 'Admin: certify a worker (REVIEWER needs ENTRY_LEVEL; prerequisites first).',
  })
  async grantCertification(
    @Arg('input') input: CertificationGrantInput,
    @Ctx() ctx: GqlContext,
  ): Promise<GrantCertificationPayload> {
    const workerCertification = await ctx.services.workers.grantCertification(requireActor(ctx.actor), {
      ...input,
      workerId: parseOptionalId(input.workerId, 'workerId'),
    });
    return { workerCertification };
  }

  @Mutation(() => RevokeCertificationPayload, { description: 'Admin: take a certification away.' })
  async revokeCertification(
    @Arg('input') input: CertificationGrantInput,
    @Ctx() ctx: GqlContext,
  ): Promise<RevokeCertificationPayload> {
    const { revoked, worker } = await ctx.services.workers.revokeCertification(requireActor(ctx.actor), {
      ...input,
      workerId: parseOptionalId(input.workerId, 'workerId'),
    });
    ctx.reader.forget();
    return { revoked, worker };
  }
}

@Resolver(() => WorkerCertification)
export class WorkerCertificationResolver {
  @FieldResolver(() => Certification)
  async certification(@Root() wc: WorkerCertification, @Ctx() ctx: GqlContext): Promise<Certification> {
    return (await ctx.reader.load.certification.load(wc.certification.id))!;
  }

  @FieldResolver(() => Worker)
  async worker(@Root() wc: WorkerCertification, @Ctx() ctx: GqlContext): Promise<Worker> {
    return (await ctx.reader.load.worker.load(wc.worker.id))!;
  }
}
