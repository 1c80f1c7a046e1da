// Login and logout (session cookie for the app, token for scripts) and API keys for integrators.
import 'reflect-metadata';
import { Arg, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { parseId } from '../graphql/connection.js';
import type { GqlContext } from '../graphql/context.js';
import { Worker } from '../workers/worker.entity.js';
import { requireActor } from './access.js';
import { ApiKey } from './auth.entity.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from './auth.service.js';

@InputType()
class LoginInput {
  @Field() username!: string;
  @Field() password!: string;
}

@ObjectType()
class LoginPayload {
  @Field({ description: 'Send as `Authorization: Bearer <token>` from scripts; the app uses the cookie set with it.' })
  token!: string;
  @Field() expiresAt!: Date;
  @Field(() => Worker) worker!: Worker;
}

@ObjectType()
class LogoutPayload {
  @Field() loggedOut!: boolean;
}

@InputType()
class CreateApiKeyInput {
  @Field() name!: string;
}

@ObjectType()
class CreateApiKeyPayload {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field({ description: 'The key itself: shown only now. Send it as `X-Api-Key` or `Authorization: Bearer`.' })
  secret!: string;
  @Field({ description: 'The signed client API: the key id (`X-Api-Key`, `keyId`).' }) keyId!: string;
  @Field({ description: 'The signed client API: the HMAC-SHA256 secret. Shown only now.' }) signingSecret!: string;
}

@InputType()
class RevokeApiKeyInput {
  @Field(() => ID) id!: string;
}

@ObjectType()
class ApiKeyPayload {
  @Field(() => ApiKey) apiKey!: ApiKey;
}

@Resolver()
export class AuthResolver {
  @Mutation(() => LoginPayload)
  async login(@Arg('input') input: LoginInput, @Ctx() ctx: GqlContext): Promise<LoginPayload> {
    const result = await ctx.services.auth.login(input.username, input.password, { address: ctx.clientAddress });
    ctx.cookies.set(SESSION_COOKIE, result.token, { maxAgeSeconds: SESSION_TTL_MS / 1000 });
    // The rest of this response is read as the worker who just logged in.
    ctx.actor = { kind: 'worker', workerId: result.worker.id, isAdmin: result.worker.isAdmin };
    ctx.viewer = () => result.worker;
    ctx.credential = result.token;
    return result;
  }

  @Mutation(() => LogoutPayload)
  async logout(@Ctx() ctx: GqlContext): Promise<LogoutPayload> {
    ctx.cookies.clear(SESSION_COOKIE);
    const loggedOut =
      ctx.actor?.kind === 'worker' && ctx.credential ? await ctx.services.auth.logout(ctx.credential) : false;
    return { loggedOut };
  }

  @Query(() => [ApiKey], { description: 'Integrators’ API keys (admins).' })
  apiKeys(@Ctx() ctx: GqlContext): Promise<ApiKey[]> {
    return ctx.services.auth.listApiKeys(requireActor(ctx.actor));
  }

  @Mutation(() => CreateApiKeyPayload, { description: 'Admin: create an API key for an integrator.' })
  createApiKey(@Arg('input') input: CreateApiKeyInput, @Ctx() ctx: GqlContext): Promise<CreateApiKeyPayload> {
    return ctx.services.auth.createApiKey(requireActor(ctx.actor), input.name);
  }

  @Mutation(() => ApiKeyPayload, { description: 'Admin: revoke an API key; requests made with it fail from now on.' })
  async revokeApiKey(@Arg('input') input: RevokeApiKeyInput, @Ctx() ctx: GqlContext): Promise<ApiKeyPayload> {
    return { apiKey: await ctx.services.auth.revokeApiKey(requireActor(ctx.actor), parseId(input.id)) };
  }
}
