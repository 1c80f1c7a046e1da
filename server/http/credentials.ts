// Where a request's credentials are: `X-Api-Key`, `Authorization: Bearer`, or the session cookie.
import type http from 'node:http';
import { SESSION_COOKIE } from '../auth/auth.service.js';

/**
 * The request's cookies. Tolerant: a cookie that is not well encoded (`discount=100%`, set by some other
 * application of the host) is kept as it was sent or skipped, never a failure of the request.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const raw = part.slice(i + 1).trim();
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    if (!(name in cookies)) cookies[name] = value; // the first of a name wins, as browsers send the most specific first
  }
  return cookies;
}

export interface RequestCredentials {
  sessionToken: string | null;
  apiKey: string | null;
  /** The session token came from the app's cookie (a stale one makes the request anonymous, not refused). */
  fromCookie: boolean;
}

/** Session token or API key from a request: `X-Api-Key`, `Authorization: Bearer`, or the session cookie. */
export function credentialsOf(headers: http.IncomingHttpHeaders): RequestCredentials {
  const apiKey = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1] ?? null;
  const cookie = bearer ? null : (parseCookies(headers.cookie)[SESSION_COOKIE] ?? null);
  return { apiKey, sessionToken: bearer ?? cookie, fromCookie: !apiKey && !bearer && cookie !== null };
}
