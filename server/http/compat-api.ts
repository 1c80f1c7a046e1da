// The original's signed client API, for its existing clients (spec §4.1–4.2):
//   POST /orchestra/api/project/create_project        { workflow_slug, workflow_version_slug, description,
//                                                       priority, task_class, project_data } → { project_id }
//   POST /orchestra/api/project/project_information   { project_ids: [int] } → { "<id>": { project, tasks, steps } }
//   GET  /orchestra/api/project/workflow_types         → { workflows: { <slug>: { name, versions } } }
// (each with or without a trailing slash). Requests are signed with HTTP Signatures (signatures.ts)
// by an integrator key's key id and signing secret; beyond the original, the signed `Date` must be
// within a window of the server's clock (against replays), and a signed `digest` must match the body.
// This door only translates: it calls the same use cases and read queries as GraphQL.
import type http from 'node:http';
import type { Orchestra } from '../app.js';
import type { Actor } from '../kernel/actor.js';
import { ErrorCode, isDatabaseUnavailable, OrchestraError } from '../kernel/errors.js';
import {
  AssignmentStatusDisplay,
  IterationStatusDisplay,
  TaskClass,
  TaskStatusDisplay,
  type AssignmentStatus,
  type IterationStatus,
  type TaskStatus,
} from '../kernel/status.js';
import type { JsonObject } from '../kernel/json.js';
import { BodyTooLarge, readBody } from './body.js';
import { digestMatches, parseSignature, signatureMatches, signingString } from '../auth/signatures.js';

export const COMPAT_PREFIX = '/orchestra/api/project/';

/** Every code of ours → the status of the original's `{ error, message }` envelope. A missing code does not compile. */
const STATUS_OF: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 400,
  TASK_ASSIGNMENT_ERROR: 400,
  WORKER_CERTIFICATION_ERROR: 400,
  ILLEGAL_TASK_SUBMISSION: 400,
  TASK_STATUS_ERROR: 400,
  TASK_DEPENDENCY_ERROR: 400,
  PROJECT_STATUS_ERROR: 400,
  INVALID_REVERT_ERROR: 400,
  MACHINE_EXECUTION_ERROR: 400,
  CERTIFICATION_ERROR: 400,
  SLOW_SUBSCRIBER: 400,
  QUERY_TOO_COMPLEX: 400,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
  REVIEW_POLICY_ERROR: 400,
  ASSIGNMENT_POLICY_ERROR: 400,
  CREATION_POLICY_ERROR: 400,
  WORKFLOW_ERROR: 400,
};

/** The original's answers to requests that fail authentication (403 `{ detail }`). */
export const SIGNATURE_REFUSALS = {
  noKey: 'Authentication credentials were not provided.',
  noSignature: 'No signature provided',
  unknownKey: 'Unable to find API key',
  badSignature: 'Bad signature',
} as const;

class CompatAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
const detail = (status: number, text: string) => new CompatAnswer(status, { detail: text });
const failure = (status: number, message: string) => new CompatAnswer(status, { error: status, message });

function send(res: http.ServerResponse, answer: CompatAnswer): void {
  res.writeHead(answer.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer.body));
}

/** The integrator a request is signed by, or the original's refusal. */
async function authenticate(app: Orchestra, req: http.IncomingMessage, body: Buffer): Promise<Actor> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const keyId = header('x-api-key');
  if (!keyId) throw detail(403, SIGNATURE_REFUSALS.noKey);
  const signature = parseSignature(header('authorization'));
  if (!signature) throw detail(403, SIGNATURE_REFUSALS.noSignature);
  const key = await app.auth.signingKey(keyId);
  if (!key) throw detail(403, SIGNATURE_REFUSALS.unknownKey);
  const text = signingString(signature.headers, { method: req.method ?? 'GET', target: req.url ?? '/', header });
  if (
    signature.keyId !== keyId ||
    signature.algorithm !== 'hmac-sha256' ||
    text === null ||
    !signatureMatches(key.signingSecret, text, signature.signature)
  ) {
    throw detail(403, SIGNATURE_REFUSALS.badSignature);
  }
  // Ours: a signed request is good for a while only (the original's client always sends a fresh Date).
  const windowMs = app.config.compatApi.dateWindowMs;
  const date = Date.parse(header('date') ?? '');
  const skew = Math.abs(app.engine.now().getTime() - date);
  if (!signature.headers.includes('date') || Number.isNaN(date) || skew > windowMs) {
    throw detail(
      403,
      `${SIGNATURE_REFUSALS.badSignature}: the signed Date header must be within ${Math.round(windowMs / 1000)} seconds of the server's clock.`,
    );
  }
  if (signature.headers.includes('digest') && !digestMatches(header('digest'), body)) {
    throw detail(403, `${SIGNATURE_REFUSALS.badSignature}: the body does not match its Digest header.`);
  }
  return { kind: 'integrator', keyId: key.id };
}

/** The body as the original read it: JSON, and `{}` when it is not. */
function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

async function createProject(app: Orchestra, actor: Actor, body: Record<string, unknown>): Promise<unknown> {
  const keys = ['workflow_slug', 'workflow_version_slug', 'description', 'priority', 'task_class', 'project_data'];
  if (keys.some((k) => !(k in body))) throw failure(400, 'One of the parameters is missing');
  const project = await app.lifecycle.createProject(actor, {
    workflowSlug: body.workflow_slug as string,
    versionSlug: body.workflow_version_slug as string,
    description: body.description as string,
    priority: body.priority as number,
    // As the original: anything but "real" is a training project.
    taskClass: body.task_class === 'real' ? TaskClass.REAL : TaskClass.TRAINING,
    projectData: body.project_data as JsonObject,
  });
  return { project_id: project.id };
}

async function projectInformation(app: Orchestra, actor: Actor, body: Record<string, unknown>): Promise<unknown> {
  const ids = body.project_ids;
  if (!Array.isArray(ids)) throw failure(400, 'project_ids is required');
  if (ids.length > 100) throw failure(400, 'project_ids may name at most 100 projects');
  const reader = app.reads.reader();
  const out: Record<string, unknown> = {};
  for (const raw of ids) {
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id <= 0) continue;
    const info = await app.reads.projects.information(actor, reader, id);
    if (!info) continue; // unknown ids are left out, as the original did
    const tasks: Record<string, unknown> = {};
    for (const t of info.tasks) {
      tasks[t.stepSlug] = {
        id: t.task.id,
        step_slug: t.stepSlug,
        project: info.project.id,
        status: TaskStatusDisplay[t.task.status as TaskStatus],
        latest_data: t.latestData,
        assignments: t.assignments.map((a) => ({
          id: a.assignment.id,
          start_datetime: iso(a.assignment.startDatetime),
          worker: {
            id: a.worker?.id ?? null,
            username: a.worker?.username ?? null,
            first_name: a.worker?.firstName ?? null,
            last_name: a.worker?.lastName ?? null,
            slack_username: a.worker ? a.worker.slackUsername || null : null,
            slack_user_id: null,
          },
          task: t.task.id,
          status: AssignmentStatusDisplay[a.assignment.status as AssignmentStatus],
          in_progress_task_data: a.assignment.data,
          iterations: a.iterations.map((i) => ({
            id: i.id,
            start_datetime: iso(i.startDatetime),
            end_datetime: iso(i.endDatetime),
            status: IterationStatusDisplay[i.status as IterationStatus],
            assignment: a.assignment.id,
            submitted_data: i.submittedData,
          })),
          recorded_work_time: null,
        })),
        start_datetime: iso(t.task.startDatetime),
      };
    }
    out[String(info.project.id)] = {
      project: {
        id: info.project.id,
        workflow_slug: info.workflowSlug,
        workflow_version_slug: info.versionSlug,
        short_description: info.project.shortDescription,
        start_datetime: iso(info.project.startDatetime),
        priority: info.project.priority,
        project_data: info.project.projectData,
        scratchpad_url: info.project.scratchpadUrl,
        task_class: info.project.taskClass,
        status: info.project.status,
        slack_group_id: null,
      },
      tasks,
      steps: info.steps.map((s) => ({
        id: s.id,
        slug: s.slug,
        description: s.description,
        is_human: s.isHuman,
        name: s.name,
      })),
    };
  }
  return out;
}

async function workflowTypes(app: Orchestra, actor: Actor): Promise<unknown> {
  const reader = app.reads.reader();
  const workflows: Record<string, unknown> = {};
  for (const w of await app.reads.catalog.workflows(actor, reader)) {
    const versions: Record<string, unknown> = {};
    for (const v of await app.reads.catalog.versions(reader, w))
      versions[v.slug] = { name: v.name, description: v.description };
    workflows[w.slug] = { name: w.name, versions };
  }
  return { workflows };
}

const ROUTES: Record<
  string,
  { method: 'GET' | 'POST'; run: (app: Orchestra, actor: Actor, body: Record<string, unknown>) => Promise<unknown> }
> = {
  create_project: { method: 'POST', run: createProject },
  project_information: { method: 'POST', run: projectInformation },
  workflow_types: { method: 'GET', run: (app, actor) => workflowTypes(app, actor) },
};

export const isCompatPath = (pathname: string) => pathname.startsWith(COMPAT_PREFIX);

export async function compatApi(app: Orchestra, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const route = ROUTES[url.pathname.slice(COMPAT_PREFIX.length).replace(/\/$/, '')];
  try {
    if (!route) throw failure(404, 'Not found');
    const body = await readBody(req).catch((error: unknown) => {
      throw error instanceof BodyTooLarge ? failure(413, error.message) : error;
    });
    const actor = await authenticate(app, req, body);
    if (req.method !== route.method) throw detail(405, `Method "${req.method}" not allowed.`);
    send(res, new CompatAnswer(200, await route.run(app, actor, jsonBody(body))));
  } catch (error) {
    if (error instanceof CompatAnswer) return send(res, error);
    if (error instanceof OrchestraError) return send(res, failure(STATUS_OF[error.code], error.message));
    if (isDatabaseUnavailable(error)) return send(res, failure(503, 'Orchestra is unavailable for a moment.'));
    console.error('[compat api] internal error:', error);
    send(res, failure(500, 'An error occurred'));
  }
}
