// GraphQL subscriptions over graphql-ws on the HTTP server's /graphql path. The caller is
// authenticated at connection_init — a session token or API key in the connection params
// (`{ authorization: "Bearer …" }`, `{ token }`, `{ apiKey }`) or the session cookie of the upgrade
// request; without valid credentials the socket is closed with 4403 Forbidden, and it is closed so
// too when they stop being valid (logout, revocation, expiry). Limits: a browser page of another
// origin may not connect, a connection_init must come within seconds, frames are bounded, and so are
// subscriptions per socket and sockets per account or key. Operations are checked as over HTTP (query
// limits, input guard). Idle sockets are pinged; on shutdown every subscription completes and sockets
// close 1001.
import type http from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Orchestra } from '../app.js';
import type { Realtime } from '../events/realtime.js';
import { createContext, servicesOf } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { requestProblem } from '../graphql/input-guard.js';
import { catalogListSizes, limitRules, tokenLimitOf } from '../graphql/limits.js';
import { actorRef, type Actor } from '../kernel/actor.js';
import { ErrorCode, OrchestraError, Reason } from '../kernel/errors.js';
import { logRateLimited } from '../log.js';
import type { Worker } from '../workers/worker.entity.js';
import { credentialsOf } from './credentials.js';

interface Connection {
  actor: Actor;
  viewer: () => Worker | null;
  credential: string;
  /** Who holds the socket, for the cap on sockets per identity. */
  identity: string;
  socket: WebSocket;
}

const noCookies = { set() {}, clear() {} };

/** Close codes a client sees (4403 as graphql-ws uses it for a refused connection_init). */
export const CLOSE = { FORBIDDEN: 4403, TOO_MANY_SOCKETS: 4429 } as const;

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

/**
 * Whether a browser page of this origin may open a socket: pages of the server's own origin, and of
 * the configured ones. A request without an Origin header is not a browser page (scripts, servers).
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (!origin) return true;
  const clean = origin.replace(/\/$/, '');
  if (allowed.includes(clean)) return true;
  try {
    return !!host && new URL(clean).host === host;
  } catch {
    return false;
  }
}

const refusal = (e: OrchestraError) =>
  new GraphQLError(e.message, { originalError: e, extensions: { ...e.details, code: e.code, reason: e.reason } });

export function attachSubscriptions(
  app: Orchestra,
  server: http.Server,
  schema: GraphQLSchema,
  realtime: Realtime,
  keepAliveMs = 12_000,
) {
  const limits = app.config.ws;
  // A frame larger than any operation of ours closes its socket (1009) before it is buffered whole.
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: limits.maxPayloadBytes,
    verifyClient: (info: { origin: string; req: http.IncomingMessage }) =>
      originAllowed(info.origin, info.req.headers.host, app.config.allowedOrigins),
  });
  // An oversized frame is an attack or a bug, not the server's trouble: ws closes the socket (1009) and
  // we say so in the log, at most now and then — not one stack per frame as graphql-ws would.
  wss.on('connection', (socket) => {
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string, ...args: unknown[]) => {
      if (
        event === 'error' &&
        (args[0] as { code?: string } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
      ) {
        logRateLimited(
          'ws:frame',
          `[ws] closed a socket that sent a frame over ${limits.maxPayloadBytes} bytes (1009)`,
        );
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
  });
  const connections = new Map<object, Connection>();
  const byIdentity = new Map<string, Set<object>>();
  const services = servicesOf(app);
  const rules = [...specifiedRules, ...limitRules(app.config.queryLimits, catalogListSizes(app.registry.workflows()))];

  const forget = (extra: object) => {
    const c = connections.get(extra);
    if (!c) return;
    connections.delete(extra);
    byIdentity.get(c.identity)?.delete(extra);
    if (byIdentity.get(c.identity)?.size === 0) byIdentity.delete(c.identity);
  };

  // Logout, revocation and expiry end the sockets opened with those credentials, within seconds.
  const revalidate = setInterval(() => {
    if (connections.size === 0) return;
    const asked = new Set([...connections.values()].map((c) => c.credential));
    app.auth.stillValid([...asked]).then(
      (valid) => {
        for (const [extra, c] of connections) {
          // A socket opened while the question was out was not asked about: the next round judges it.
          if (!asked.has(c.credential) || valid.has(c.credential)) continue;
          forget(extra);
          c.socket.close(CLOSE.FORBIDDEN, 'Forbidden: the credentials of this connection are no longer valid');
        }
      },
      (error: unknown) =>
        logRateLimited(
          'ws:revalidate',
          `[ws] could not check the credentials of open sockets: ${(error as Error).message}`,
        ),
    );
  }, limits.revalidateMs);
  revalidate.unref();

  const disposable = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const credentials = paramsCredentials(ctx.connectionParams) ?? credentialsOf(ctx.extra.request.headers);
        const secret = credentials.apiKey ?? credentials.sessionToken;
        if (!secret) return false; // → 4403 Forbidden
        let who: Awaited<ReturnType<typeof app.auth.resolve>>;
        try {
          who = await app.auth.resolve(credentials);
        } catch {
          return false;
        }
        if (!who) return false;
        const identity = actorRef(who.actor);
        const held = byIdentity.get(identity) ?? new Set<object>();
        if (held.size >= limits.maxSocketsPerIdentity) {
          ctx.extra.socket.close(
            CLOSE.TOO_MANY_SOCKETS,
            `Too many sockets: at most ${limits.maxSocketsPerIdentity} per account or key`,
          );
          return false;
        }
        held.add(ctx.extra);
        byIdentity.set(identity, held);
        connections.set(ctx.extra, {
          actor: who.actor,
          viewer: who.viewer,
          credential: secret,
          identity,
          socket: ctx.extra.socket,
        });
        return true;
      },
      onClose: (ctx) => forget(ctx.extra),
      // Parse and validate as over HTTP: the same limits and input guard, each refusal typed.
      onSubscribe: (ctx, _id, payload) => {
        // graphql-ws has reserved this one's place already: it counts itself.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerSocket) {
          return [
            refusal(
              new OrchestraError(
                ErrorCode.QUERY_TOO_COMPLEX,
                `At most ${limits.maxSubscriptionsPerSocket} subscriptions per socket.`,
                Reason.SUBSCRIPTION_LIMIT,
                {
                  limit: limits.maxSubscriptionsPerSocket,
                },
              ),
            ),
          ];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: app.config.queryLimits.maxTokens });
        } catch (error) {
          const tokens = tokenLimitOf((error as Error).message);
          return [tokens ? refusal(tokens) : (error as GraphQLError)];
        }
        const errors = validate(schema, document, rules);
        if (errors.length) return errors;
        const problem = requestProblem(document, payload.variables);
        if (problem) return [refusal(problem)];
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName };
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
    get sockets() {
      return connections.size;
    },
    async close() {
      clearInterval(revalidate);
      await realtime.endSubscriptions(); // completes every open subscription (the relay is the app's: it goes on)
      await disposable.dispose(); // closes sockets (1001 Going Away)
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
