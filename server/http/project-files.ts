// Projects' files over HTTP, for the app and integrators (same credentials as /graphql):
//   GET    /files/projects/<projectId>/<path>   a file, to whoever may see the project
//   PUT    /files/tasks/<taskId>/<name>         upload into the task's step folder (raw body), by its worker
//   DELETE /files/tasks/<taskId>/<path>         remove one, by the same
// Errors are JSON `{ error: { message, code, reason } }` with the status of the code (as over GraphQL).
// Files are served so that none runs in Orchestra's origin: a sandboxing CSP and no type sniffing.
import type http from 'node:http';
import type { Orchestra } from '../app.js';
import { STATUS_OF } from '../graphql/errors.js';
import { badInput, OrchestraError, Reason } from '../kernel/errors.js';
import { MAX_UPLOAD_BYTES } from '../workflow/uploads.js';
import { contextFor, cookieJar } from './caller.js';

const PROJECT_FILE = /^\/files\/projects\/(\d{1,12})\/(.+)$/;
const TASK_FILE = /^\/files\/tasks\/(\d{1,12})\/(.+)$/;

export const isProjectFilePath = (pathname: string) => pathname.startsWith('/files/');

function send(res: http.ServerResponse, status: number, body: unknown, headers: string[] = []) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...(headers.length ? { 'set-cookie': headers } : {}),
  });
  res.end(JSON.stringify(body));
}

async function readUpload(req: http.IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_UPLOAD_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_UPLOAD_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const tooLarge = () =>
  badInput(
    `The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`,
    { max: MAX_UPLOAD_BYTES },
    Reason.TOO_LARGE,
  );

const decodePath = (raw: string) => raw.split('/').map(decodeURIComponent).join('/');

/** Handles a /files/… request; errors of ours become their JSON answer. */
export async function projectFiles(app: Orchestra, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const jar = cookieJar(app.config.production);
  try {
    const ctx = await contextFor(app, req, jar);
    const reader = app.reads.reader();
    const asProject = PROJECT_FILE.exec(url.pathname);
    const asTask = TASK_FILE.exec(url.pathname);
    if (asProject && (req.method === 'GET' || req.method === 'HEAD')) {
      const { data, file } = await app.projectFiles.read(
        ctx.actor,
        reader,
        Number(asProject[1]),
        decodePath(asProject[2]!),
      );
      res.writeHead(200, {
        'content-type': file.contentType,
        'content-length': String(data.length),
        'content-security-policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, max-age=60',
        ...(jar.headers.length ? { 'set-cookie': jar.headers } : {}),
      });
      return void res.end(req.method === 'HEAD' ? undefined : data);
    }
    if (asTask && req.method === 'PUT') {
      const data = await readUpload(req);
      const file = await app.projectFiles.upload(ctx.actor, reader, Number(asTask[1]), decodePath(asTask[2]!), data);
      return send(res, 201, { file }, jar.headers);
    }
    if (asTask && req.method === 'DELETE') {
      await app.projectFiles.remove(ctx.actor, reader, Number(asTask[1]), decodePath(asTask[2]!));
      return send(res, 200, { removed: true }, jar.headers);
    }
    return send(res, 404, { error: { message: 'Not found', code: 'NOT_FOUND', reason: 'NOT_FOUND' } });
  } catch (error) {
    // contextFor throws bad credentials as a GraphQLError that carries our error.
    const ours = error instanceof OrchestraError ? error : (error as { originalError?: unknown }).originalError;
    if (ours instanceof OrchestraError) {
      return send(
        res,
        ours.reason === Reason.TOO_LARGE ? 413 : STATUS_OF[ours.code],
        { error: { message: ours.message, code: ours.code, reason: ours.reason, ...ours.details } },
        jar.headers,
      );
    }
    if (error instanceof URIError) {
      return send(res, 400, {
        error: { message: 'The file path is not well encoded.', code: 'BAD_INPUT', reason: 'BAD_INPUT' },
      });
    }
    throw error;
  }
}
