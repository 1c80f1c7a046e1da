// Where a request's credentials are: `X-Api-Key`, `Authorization: Bearer`, or the session cookie.
import type http from 'node:http';
import { SESSION_COOKIE } from '../auth/auth.service.js';

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) cookies[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return cookies;
}

/** Session token or API key from a request: `X-Api-Key`, `Authorization: Bearer`, or the session cookie. */
export function credentialsOf(headers: http.IncomingHttpHeaders): {
  sessionToken: string | null;
  apiKey: string | null;
} {
  const apiKey = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'] : null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1] ?? null;
  return { apiKey, sessionToken: bearer ?? parseCookies(headers.cookie)[SESSION_COOKIE] ?? null };
}
