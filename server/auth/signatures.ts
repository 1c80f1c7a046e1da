// HTTP Signatures as the original's client API used them (draft-cavage-http-signatures, the Python
// `httpsig` package): `Authorization: Signature keyId="…",algorithm="hmac-sha256",headers="date",
// signature="<base64>"`, the signature an HMAC-SHA256 over one line per signed header, `name: value`,
// joined by "\n" (the pseudo-header `(request-target)` is `<method lowercase> <path and query>`).
// Pure: the door looks the key up and answers.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignatureParams {
  keyId: string;
  algorithm: string;
  /** Lower-case names, in the order signed; `date` when the header names none. */
  headers: string[];
  signature: string;
}

/** The parameters of an `Authorization: Signature …` header; null when it is not one. */
export function parseSignature(authorization: string | undefined): SignatureParams | null {
  if (!authorization) return null;
  const match = /^Signature\s+(.+)$/i.exec(authorization.trim());
  if (!match) return null;
  const params = new Map<string, string>();
  for (const part of match[1]!.matchAll(/([a-zA-Z]+)="([^"]*)"/g)) params.set(part[1]!, part[2]!);
  const keyId = params.get('keyId');
  const signature = params.get('signature');
  if (!keyId || !signature) return null;
  return {
    keyId,
    algorithm: (params.get('algorithm') ?? 'hmac-sha256').toLowerCase(),
    headers: (params.get('headers') ?? 'date').toLowerCase().split(/\s+/).filter(Boolean),
    signature,
  };
}

export interface SignedRequest {
  method: string;
  /** Path and query, as sent. */
  target: string;
  header(name: string): string | undefined;
}

/** The string a signature covers; null when a signed header is missing from the request. */
export function signingString(headers: string[], request: SignedRequest): string | null {
  const lines: string[] = [];
  for (const name of headers) {
    if (name === '(request-target)') {
      lines.push(`(request-target): ${request.method.toLowerCase()} ${request.target}`);
      continue;
    }
    const value = request.header(name);
    if (value === undefined) return null;
    lines.push(`${name}: ${value}`);
  }
  return lines.join('\n');
}

export const hmacSignature = (secret: string, text: string): string =>
  createHmac('sha256', secret).update(text).digest('base64');

/** Compares in constant time. */
export function signatureMatches(secret: string, text: string, signature: string): boolean {
  const expected = Buffer.from(hmacSignature(secret, text));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `Digest: SHA-256=<base64>` of a body (RFC 3230), as clients that sign `digest` send it. */
export const bodyDigest = (body: string | Buffer): string =>
  `SHA-256=${createHash('sha256').update(body).digest('base64')}`;

/** Whether a `Digest` header holds the body's SHA-256 (other algorithms listed beside it are ignored). */
export function digestMatches(header: string | undefined, body: string | Buffer): boolean {
  if (!header) return false;
  const mine = bodyDigest(body).slice('SHA-256='.length);
  return header.split(',').some((part) => {
    const [algorithm, ...value] = part.trim().split('=');
    return algorithm?.toLowerCase() === 'sha-256' && value.join('=') === mine;
  });
}
