// Who is calling: the credentials of an HTTP request resolved to an actor and a GraphQL-style context
// (actor, viewer, reader, services), and the cookies the answer sets. Every HTTP door starts here.
import type http from 'node:http';
import type { Orchestra } from '../app.js';
import { SESSION_COOKIE } from '../auth/auth.service.js';
import { createContext, servicesOf, type GqlContext, type ResponseCookies } from '../graphql/context.js';
import { toGraphQLError } from '../graphql/errors.js';
import { ErrorCode, isDatabaseUnavailable, OrchestraError, serviceUnavailable } from '../kernel/errors.js';
import { credentialsOf } from './credentials.js';

/** The client's address: the socket's peer, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientAddressOf(req: http.IncomingMessage, trustProxy: boolean): string | null {
  const forwarded =
    trustProxy && typeof req.headers['x-forwarded-for'] === 'string'
      ? req.headers['x-forwarded-for'].split(',')[0]!.trim()
      : '';
  return (forwarded || req.socket.remoteAddress) ?? null;
}

/** Resolves a request's caller; bad credentials become a typed UNAUTHENTICATED error. */
export async function contextFor(
  app: Orchestra,
  req: http.IncomingMessage,
  cookies: ResponseCookies,
): Promise<GqlContext> {
  const credentials = credentialsOf(req.headers);
  const ctx = createContext(servicesOf(app), {
    actor: null,
    viewer: () => null,
    credential: credentials.apiKey ?? credentials.sessionToken,
    cookies,
    clientAddress: clientAddressOf(req, app.config.trustProxy),
  });
  try {
    const who = await app.auth.resolve(credentials);
    ctx.actor = who?.actor ?? null;
    if (who) ctx.viewer = who.viewer;
  } catch (error) {
    // A stale or unknown session cookie: the app's caller is anonymous (login works) and the cookie goes.
    if (error instanceof OrchestraError && error.code === ErrorCode.UNAUTHENTICATED && credentials.fromCookie) {
      cookies.clear(SESSION_COOKIE);
      ctx.credential = null;
      return ctx;
    }
    if (error instanceof OrchestraError) throw toGraphQLError(error);
    if (isDatabaseUnavailable(error)) throw toGraphQLError(serviceUnavailable());
    throw error;
  }
  return ctx;
}

export function cookieJar(secure: boolean): ResponseCookies & { headers: string[] } {
  const headers: string[] = [];
  const attrs = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    headers,
    set: (name, value, { maxAgeSeconds }) =>
      headers.push(`${name}=${encodeURIComponent(value)}; ${attrs}; Max-Age=${Math.floor(maxAgeSeconds)}`),
    clear: (name) => headers.push(`${name}=; ${attrs}; Max-Age=0`),
  };
}
