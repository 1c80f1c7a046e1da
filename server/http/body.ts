// Reading a request's body with a limit, for every HTTP door: past the limit it stops reading and
// fails with status 413 (each door answers that in its own envelope).
import type http from 'node:http';

export const MAX_BODY_BYTES = 1_000_000;

export class BodyTooLarge extends Error {
  readonly status = 413;
  constructor() {
    super('Request body too large.');
  }
}

export async function readBody(req: http.IncomingMessage, max = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
