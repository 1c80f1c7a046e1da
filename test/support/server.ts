// A real Orchestra HTTP server on 127.0.0.1 (random port) over a fresh database, and a small GraphQL
// client that talks to it the way integrators and the app do (real HTTP, cookies, bearer tokens, keys).
import { afterAll } from 'vitest';
import { startHttpServer, type HttpServer } from '../../server/http/server.js';
import { loadWebApp } from '../../server/http/web-app.js';
import { createHarness, type Harness, type HarnessOptions } from './harness.js';

export interface GqlResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data: T | null;
  errors:
    { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: (string | number)[] }[] | undefined;
}

export interface Credentials {
  token?: string;
  apiKey?: string;
  cookie?: string;
}

export interface TestServer {
  h: Harness;
  http: HttpServer;
  url: string;
  /** POSTs a GraphQL operation. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    as?: Credentials,
  ): Promise<GqlResponse<T>>;
  /** Logs in over GraphQL and returns the session token. */
  login(username: string, password: string): Promise<string>;
  /**
   * Waits until every committed event is released (no transaction that could still precede one is
   * open — on the whole PostgreSQL server, so parallel test files count too) and the relay has read them.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function createServer(options: HarnessOptions & { webApp?: boolean }): Promise<TestServer> {
  const h = await createHarness(options);
  // The worker app (client/build, built by the global setup) behind the API, as `npm start` serves it.
  const fallback = options.webApp ? ((await loadWebApp()) ?? undefined) : undefined;
  if (options.webApp && !fallback) throw new Error('client/build is missing: run `npm run build`');
  const http = await startHttpServer(h.orchestra, { host: '127.0.0.1', port: 0, fallback });
  // Links the server makes (file URLs in output, the sample page) point at the port it got.
  if (!options.config?.publicUrl) h.orchestra.config.publicUrl = http.url;
  const server: TestServer = {
    h,
    http,
    url: http.url,
    async gql(query, variables = {}, as = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as.token) headers.authorization = `Bearer ${as.token}`;
      if (as.apiKey) headers['x-api-key'] = as.apiKey;
      if (as.cookie) headers.cookie = as.cookie;
      const res = await fetch(`${http.url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: any; errors?: GqlResponse['errors'] };
      return { status: res.status, headers: res.headers, data: body.data ?? null, errors: body.errors };
    },
    async login(username, password) {
      const res = await server.gql<{ login: { token: string } }>(
        `mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token } }`,
        { u: username, p: password },
      );
      if (!res.data) throw new Error(`login failed for ${username}: ${JSON.stringify(res.errors)}`);
      return res.data.login.token;
    },
    async settled() {
      await h.released();
      await http.realtime.relay.wake();
    },
    async close() {
      await http.close();
      await h.close();
    },
  };
  return server;
}

export async function useServer(options: HarnessOptions & { webApp?: boolean }): Promise<TestServer> {
  const s = await createServer(options);
  afterAll(() => s.close());
  return s;
}
