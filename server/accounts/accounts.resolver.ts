// Accounts over GraphQL: sign up, activate, forgotten and changed passwords, profile, communication
// preferences; and the parts of a worker only they (and admins) see: Slack name and preferences.
import 'reflect-metadata';
import { Arg, Ctx, Field, FieldResolver, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { GqlContext } from '../graphql/context.js';
import { MessageKind } from '../notify/templates.js';
import { Worker } from '../workers/worker.entity.js';
import { WorkerPayload } from '../workers/worker.resolver.js';

@ObjectType({ description: 'Whether anyone may sign up here (admins can always create workers).' })
class Registration {
  @Field() open!: boolean;
}

@InputType()
class RegisterInput {
  @Field() username!: string;
  @Field({ description: 'The activation link goes here.' }) email!: string;
  @Field({ description: 'At least 8 characters.' }) password!: string;
  @Field({ defaultValue: '' }) firstName!: string;
  @Field({ defaultValue: '' }) lastName!: string;
}

@ObjectType()
class RegisterPayload {
  @Field() username!: string;
  @Field({ description: 'Where the activation link was sent.' }) email!: string;
}

@InputType()
class TokenInput {
  @Field({ description: 'The token of the e-mailed link (`?token=…`).' }) token!: string;
}

@ObjectType()
class AccountPayload {
  @Field({ description: 'Sign in with it (or the e-mail address).' }) username!: string;
}

@InputType()
class LinkRequestInput {
  @Field({ description: 'A username or an e-mail address.' }) login!: string;
}

@ObjectType()
class LinkRequestPayload {
  @Field({ description: 'Always true: whether an account matched is not told.' }) accepted!: boolean;
}

@InputType()
class ResetPasswordInput {
  @Field() token!: string;
  @Field() password!: string;
}

@InputType()
class ChangePasswordInput {
  @Field() currentPassword!: string;
  @Field() newPassword!: string;
}

@InputType({ description: 'Only the fields given change.' })
class UpdateProfileInput {
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true, description: 'Mentioned in Slack messages; empty: none.' })
  slackUsername?: string | null;
}

@ObjectType('CommunicationPreference', { description: 'Which channels bring a kind of message.' })
class CommunicationPreferenceType {
  @Field(() => MessageKind) kind!: MessageKind;
  @Field({ description: 'How the app names the kind.' }) label!: string;
  @Field() email!: boolean;
  @Field() slack!: boolean;
}

@InputType()
class CommunicationPreferenceInput {
  @Field(() => MessageKind) kind!: MessageKind;
  @Field() email!: boolean;
  @Field() slack!: boolean;
}

@InputType()
class SetCommunicationPreferencesInput {
  @Field(() => [CommunicationPreferenceInput]) preferences!: CommunicationPreferenceInput[];
}

const given = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

@Resolver()
export class AccountsResolver {
  @Query(() => Registration)
  registration(@Ctx() ctx: GqlContext): Registration {
    return ctx.services.reads.accounts.registration();
  }

  @Mutation(() => RegisterPayload, {
    description: 'Sign up: the account is active once the e-mailed activation link is followed.',
  })
  async register(@Arg('input') input: RegisterInput, @Ctx() ctx: GqlContext): Promise<RegisterPayload> {
    return ctx.services.accounts.register(input, { address: ctx.clientAddress });
  }

  @Mutation(() => AccountPayload, { description: 'Follow an activation link: the account can sign in.' })
  async activateAccount(@Arg('input') input: TokenInput, @Ctx() ctx: GqlContext): Promise<AccountPayload> {
    return ctx.services.accounts.activate(input.token);
  }

  @Mutation(() => LinkRequestPayload, { description: 'Mail a new activation link (to an account not active yet).' })
  async requestActivationLink(
    @Arg('input') input: LinkRequestInput,
    @Ctx() ctx: GqlContext,
  ): Promise<LinkRequestPayload> {
    await ctx.services.accounts.requestActivationLink(input.login);
    return { accepted: true };
  }

  @Mutation(() => LinkRequestPayload, { description: 'Forgotten password: mail a single-use reset link.' })
  async requestPasswordReset(
    @Arg('input') input: LinkRequestInput,
    @Ctx() ctx: GqlContext,
  ): Promise<LinkRequestPayload> {
    await ctx.services.accounts.requestPasswordReset(input.login);
    return { accepted: true };
  }

  @Mutation(() => AccountPayload, {
    description: 'A new password from a reset link; every session of the account ends.',
  })
  async resetPassword(@Arg('input') input: ResetPasswordInput, @Ctx() ctx: GqlContext): Promise<AccountPayload> {
    return ctx.services.accounts.resetPassword(input.token, input.password);
  }

  @Mutation(() => WorkerPayload, { description: 'Change your password; your other sessions end.' })
  async changePassword(@Arg('input') input: ChangePasswordInput, @Ctx() ctx: GqlContext): Promise<WorkerPayload> {
    const worker = await ctx.services.accounts.changePassword(
      ctx.actor,
      input.currentPassword,
      input.newPassword,
      ctx.credential,
    );
    return { worker };
  }

  @Mutation(() => WorkerPayload, { description: 'Your name, e-mail and Slack name.' })
  async updateProfile(@Arg('input') input: UpdateProfileInput, @Ctx() ctx: GqlContext): Promise<WorkerPayload> {
    const worker = await ctx.services.accounts.updateProfile(ctx.actor, {
      firstName: given(input.firstName),
      lastName: given(input.lastName),
      email: given(input.email),
      slackUsername: given(input.slackUsername),
    });
    ctx.reader.forget();
    return { worker };
  }

  @Mutation(() => WorkerPayload, { description: 'Which kinds of message reach you, by e-mail and by Slack.' })
  async setCommunicationPreferences(
    @Arg('input') input: SetCommunicationPreferencesInput,
    @Ctx() ctx: GqlContext,
  ): Promise<WorkerPayload> {
    await ctx.services.accounts.setPreferences(ctx.actor, input.preferences);
    ctx.reader.forget();
    return { worker: await ctx.services.reads.workers.worker(ctx.actor, ctx.reader, { id: actorWorker(ctx) }) };
  }
}

const actorWorker = (ctx: GqlContext): number | null => (ctx.actor?.kind === 'worker' ? ctx.actor.workerId : null);

@Resolver(() => Worker)
export class AccountWorkerResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Visible to the worker and admins.' })
  slackUsername(@Root() worker: Worker, @Ctx() ctx: GqlContext): string | null {
    return ctx.services.reads.accounts.slackUsername(ctx.actor, worker);
  }

  @FieldResolver(() => [CommunicationPreferenceType], {
    nullable: true,
    description: 'Every kind of message with its channels: visible to the worker and admins.',
  })
  communicationPreferences(
    @Root() worker: Worker,
    @Ctx() ctx: GqlContext,
  ): Promise<CommunicationPreferenceType[] | null> {
    return ctx.services.reads.accounts.preferences(ctx.actor, ctx.reader, worker);
  }
}
