// The one HTTP server of a process: /graphql (Apollo, POST and GET; GraphiQL for browsers),
// /healthz and /readyz, and everything else handed to the web app (when one is mounted).
// First: the resolvers imported below use type-graphql decorators, which need the polyfill loaded.
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import type { Orchestra } from '../app.js';
import type { GqlContext } from '../graphql/context.js';
import { formatError, httpStatusPolicy, STATUS_OF } from '../graphql/errors.js';
import { catalogListSizes, limitRules, timeBudget } from '../graphql/limits.js';
import { orchestraSchema } from '../graphql/schema.js';
import { inputGuard } from '../graphql/input-guard.js';
import { actorRef, isAdmin } from '../kernel/actor.js';
import { isDatabaseUnavailable, OrchestraError, serviceUnavailable } from '../kernel/errors.js';
import { IdempotencyStore, requestHash } from '../idempotency/idempotency.js';
import { logRateLimited } from '../log.js';
import type { Realtime } from '../events/realtime.js';
import { graphiqlAsset, graphiqlPage } from './graphiql.js';
import { attachSubscriptions } from './ws.js';
import { contextFor, cookieJar } from './caller.js';
import { workflowFile } from './workflow-files.js';
import { isProjectFilePath, projectFiles } from './project-files.js';
import { compatApi, isCompatPath } from './compat-api.js';
import { readBody } from './body.js';

export type FallbackHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HttpServer {
  server: http.Server;
  realtime: Realtime;
  url: string;
  apollo: ApolloServer<GqlContext>;
  close(): Promise<void>;
}

// Apollo hands every request with the same query text the same parsed document (its document store),
// so what a document holds is worked out once: a walk of the document per request was about 1 % of the
// GraphQL server's profile (bench/cycle.ts --cpu-prof).
const introspective = new WeakMap<DocumentNode, boolean>();
const touchesIntrospection = (doc: DocumentNode): boolean => {
  let found = introspective.get(doc);
  if (found === undefined) {
    found = false;
    visit(doc, {
      [Kind.FIELD]: (node) => {
        if (node.name.value === '__schema' || node.name.value === '__type') found = true;
      },
    });
    introspective.set(doc, found);
  }
  return found;
};

/** In production, introspection is for admins only. */
function introspectionGuard(production: boolean): ApolloServerPlugin<GqlContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          if (production && touchesIntrospection(document) && !(contextValue.actor && isAdmin(contextValue.actor))) {
            throw new GraphQLError('Introspection is available to admins only.', {
              extensions: { code: 'FORBIDDEN', http: { status: 403 } },
            });
          }
        },
      };
    },
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export async function startHttpServer(
  app: Orchestra,
  options: { host?: string; port?: number; fallback?: FallbackHandler; keepAliveMs?: number } = {},
): Promise<HttpServer> {
  const production = app.config.production;
  const schema = await orchestraSchema();
  const apollo = new ApolloServer<GqlContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: true, // guarded per request in production (admins only)
    csrfPrevention: true,
    // Embedding Orchestra must not take over the process's signals: shutdown is ours (server/shutdown.ts).
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: app.config.queryLimits.maxTokens },
    validationRules: limitRules(app.config.queryLimits, catalogListSizes(app.registry.workflows())),
    plugins: [introspectionGuard(production), inputGuard, timeBudget(app.config.queryLimits), httpStatusPolicy],
  });
  await apollo.start();
  const workflowSlugs = new Set(app.registry.workflows().map((w) => w.slug));

  async function graphql(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const raw = (await readBody(req)).toString('utf8');
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        return sendJson(res, 400, {
          errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
        });
      }
    }
    const jar = cookieJar(production);
    const execute = async (context: () => Promise<GqlContext>) => {
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context,
      });
      let text = '';
      if (response.body.kind === 'complete') text = response.body.string;
      else for await (const chunk of response.body.asyncIterator) text += chunk;
      return { status: response.status ?? 200, headers: response.headers, body: text };
    };
    const key = req.headers['idempotency-key'];
    if (req.method === 'POST' && key !== undefined) return idempotent(req, res, String(key), body, jar, execute);
    const answer = await execute(() => contextFor(app, req, jar));
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    if (jar.headers.length) res.setHeader('set-cookie', jar.headers);
    res.statusCode = answer.status;
    res.end(answer.body);
  }

  /** A request named by an Idempotency-Key: run once per caller and key, the kept answer to repeats. */
  async function idempotent(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    key: string,
    body: unknown,
    jar: ReturnType<typeof cookieJar>,
    execute: (
      context: () => Promise<GqlContext>,
    ) => Promise<{ status: number; headers: Map<string, string>; body: string }>,
  ): Promise<void> {
    let ctx: GqlContext;
    try {
      ctx = await contextFor(app, req, jar);
    } catch {
      // Bad credentials: answered as any request with them is (the key is not looked at).
      const answer = await execute(() => contextFor(app, req, jar));
      for (const [name, value] of answer.headers) res.setHeader(name, value);
      res.statusCode = answer.status;
      return void res.end(answer.body);
    }
    try {
      const actor = ctx.actor ? actorRef(ctx.actor) : null;
      const checked = IdempotencyStore.check(key, actor)!;
      const answer = await app.idempotency.once(actor!, checked, requestHash(JSON.stringify(body)), async () => {
        const run = await execute(async () => ctx);
        return { status: run.status, body: run.body };
      });
      res.setHeader('content-type', 'application/json; charset=utf-8');
      if (answer.replayed) res.setHeader('idempotent-replayed', 'true');
      if (jar.headers.length) res.setHeader('set-cookie', jar.headers);
      res.statusCode = answer.status;
      res.end(answer.body);
    } catch (error) {
      if (!(error instanceof OrchestraError)) throw error;
      sendJson(res, STATUS_OF[error.code], {
        errors: [{ message: error.message, extensions: { code: error.code, reason: error.reason } }],
      });
    }
  }

  /** GraphiQL in a browser: for everyone in development, for admins in production. */
  async function graphiql(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (production) {
      let admin: boolean;
      try {
        const ctx = await contextFor(app, req, cookieJar(true));
        admin = isAdmin(ctx.actor);
      } catch {
        admin = false;
      }
      if (!admin) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('GraphiQL is available to admins only: log in as an admin in the app first.');
      }
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(graphiqlPage());
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') {
      try {
        await app.db.orm.em.getConnection().execute('select 1');
        return sendJson(res, 200, { status: 'ready' });
      } catch {
        return sendJson(res, 503, { status: 'database unreachable' });
      }
    }
    if (url.pathname === '/graphql') {
      const wantsHtml =
        req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !url.searchParams.has('query');
      return wantsHtml ? graphiql(req, res) : graphql(req, res, url);
    }
    if (url.pathname.startsWith('/graphiql/')) {
      const asset = graphiqlAsset(url.pathname.slice('/graphiql/'.length));
      if (asset) {
        res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' });
        return void res.end(asset.body);
      }
    }
    if (isProjectFilePath(url.pathname)) return projectFiles(app, req, res, url);
    if (isCompatPath(url.pathname)) return compatApi(app, req, res, url);
    if (url.pathname.startsWith('/workflows/') && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = await workflowFile(app.config.workflowsDir, workflowSlugs, url.pathname);
      if (file) {
        res.writeHead(200, file.headers);
        return void res.end(req.method === 'HEAD' ? undefined : file.body);
      }
    }
    if (options.fallback) return options.fallback(req, res);
    sendJson(res, 404, { error: 404, message: 'Not found' });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if ((error as { status?: number }).status === 413) {
        return sendJson(res, 413, {
          errors: [
            { message: 'Request body too large.', extensions: { code: 'PAYLOAD_TOO_LARGE', reason: 'TOO_LARGE' } },
          ],
        });
      }
      if (isDatabaseUnavailable(error)) {
        logRateLimited('http:db', '[http] the database cannot be reached: answering 503');
        const e = serviceUnavailable();
        return sendJson(res, 503, { errors: [{ message: e.message, extensions: { code: e.code, reason: e.reason } }] });
      }
      console.error('[http] internal error:', error);
      sendJson(res, 500, {
        errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? app.config.port, options.host ?? app.config.host, () => resolve());
  });
  const realtime = app.realtime;
  await realtime.start();
  // Signed-in requests answered from memory while this process hears of every session change.
  await app.auth.sessions.listen(app.db.url, (error) =>
    logRateLimited('sessions', `[http] session changes: ${(error as Error).message ?? String(error)}`),
  );
  const subscriptions = attachSubscriptions(app, server, schema, realtime, options.keepAliveMs);
  const address = server.address() as AddressInfo;
  return {
    server,
    apollo,
    realtime,
    url: `http://${address.address}:${address.port}`,
    async close() {
      await app.auth.sessions.stop();
      await subscriptions.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
    },
  };
}
