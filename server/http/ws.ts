// GraphQL subscriptions over graphql-ws on the HTTP server's /graphql path. The caller is
// authenticated at connection_init — a session token or API key in the connection params
// (`{ authorization: "Bearer …" }`, `{ token }`, `{ apiKey }`) or the session cookie of the upgrade
// request; without valid credentials the socket is closed with 4403 Forbidden. Idle sockets are
// pinged (graphql-ws keep-alive); on shutdown every subscription completes and sockets close 1001.
import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Orchestra } from '../app.js';
import type { Realtime } from '../events/realtime.js';
import { createContext, servicesOf } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import type { Actor } from '../kernel/actor.js';
import type { Worker } from '../workers/worker.entity.js';
import { credentialsOf } from './credentials.js';

interface Connection {
  actor: Actor;
  viewer: Worker | null;
  credential: string;
}

const noCookies = { set() {}, clear() {} };

function paramsCredentials(
  params: Record<string, unknown> | undefined,
): { sessionToken: string | null; apiKey: string | null } | null {
  if (!params) return null;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const bearer = /^Bearer\s+(\S+)$/i.exec(str(params.authorization) ?? str(params.Authorization) ?? '')?.[1] ?? null;
  const token = bearer ?? str(params.token);
  const apiKey = str(params.apiKey) ?? str(params['x-api-key']);
  return token || apiKey ? { sessionToken: token, apiKey } : null;
}

export function attachSubscriptions(
  app: Orchestra,
  server: http.Server,
  schema: GraphQLSchema,
  realtime: Realtime,
  keepAliveMs = 12_000,
) {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const connections = new WeakMap<object, Connection>();
  const services = servicesOf(app);
  const disposable = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      isProd: app.config.production,
      onConnect: async (ctx) => {
        const credentials = paramsCredentials(ctx.connectionParams) ?? credentialsOf(ctx.extra.request.headers);
        const secret = credentials.apiKey ?? credentials.sessionToken;
        if (!secret) return false; // → 4403 Forbidden
        try {
          const who = await app.auth.resolve(credentials);
          if (!who) return false;
          connections.set(ctx.extra, { actor: who.actor, viewer: who.worker, credential: secret });
          return true;
        } catch {
          return false;
        }
      },
      // One context per operation; subscription resolvers renew its unit of work for each event.
      context: (ctx) => {
        const c = connections.get(ctx.extra)!;
        return createContext(services, {
          actor: c.actor,
          viewer: c.viewer,
          credential: c.credential,
          cookies: noCookies,
          realtime,
        });
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
      // A subscribe resolver's refusal (FORBIDDEN, BAD_INPUT, …) and field errors arrive as a result
      // with errors, not through onError: give them their codes and hide internal details the same way.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
    },
    wss,
    keepAliveMs,
  );
  return {
    wss,
    async close() {
      await realtime.endSubscriptions(); // completes every open subscription (the relay is the app's: it goes on)
      await disposable.dispose(); // closes sockets (1001 Going Away)
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
