// The original's signed client API, called exactly as its Python client (`orchestra_api.py` with
// `httpsig`'s HTTPSignatureAuth) calls it: `Date`, `X-Api-Key: <key id>`, `X-Api-Version`, and
// `Authorization: Signature keyId="…",algorithm="hmac-sha256",headers="date",signature="…"` — and the
// original's answers, also to every way a signature can fail.
import { createHash, createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../server/kernel/actor.js';
import { useServer, type TestServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

let s: TestServer;
let key: { keyId: string; signingSecret: string; id: number };

beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
  const made = await s.h.orchestra.auth.createApiKey(SYSTEM, 'legacy cms');
  key = { keyId: made.keyId, signingSecret: made.signingSecret, id: made.apiKey.id };
});

interface Signing {
  keyId?: string;
  secret?: string;
  /** Headers to sign, in order (httpsig's default: date). */
  headers?: string[];
  date?: string;
  /** Leave out these request headers. */
  omit?: ('x-api-key' | 'authorization')[];
  /** Send this body instead of the signed one (a body altered on the way). */
  sentBody?: string;
}

/** A request signed as the Python client signs it (httpsig HeaderSigner, hmac-sha256). */
async function call(method: 'GET' | 'POST', path: string, body?: unknown, signing: Signing = {}) {
  const date = signing.date ?? new Date().toUTCString();
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = {
    date,
    'x-api-key': signing.keyId ?? key.keyId,
    'x-api-version': '~6.5',
    'content-type': 'application/json',
  };
  const signed = signing.headers ?? ['date'];
  if (signed.includes('digest')) headers.digest = `SHA-256=${createHash('sha256').update(text).digest('base64')}`;
  const lines = signed.map((h) =>
    h === '(request-target)' ? `(request-target): ${method.toLowerCase()} ${path}` : `${h}: ${headers[h]}`,
  );
  const signature = createHmac('sha256', signing.secret ?? key.signingSecret)
    .update(lines.join('\n'))
    .digest('base64');
  headers.authorization = `Signature keyId="${signing.keyId ?? key.keyId}",algorithm="hmac-sha256",headers="${signed.join(' ')}",signature="${signature}"`;
  for (const h of signing.omit ?? []) delete headers[h];
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers,
    body: method === 'POST' ? (signing.sentBody ?? text) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const CREATE = {
  workflow_slug: 'review',
  workflow_version_slug: 'v1',
  description: 'From the old CMS',
  priority: 5,
  task_class: 'real',
  project_data: { url: 'https://example.org/story' },
};

describe('the signed client API', () => {
  it('workflow_types: every workflow with its versions, with and without the trailing slash', async () => {
    for (const path of ['/orchestra/api/project/workflow_types', '/orchestra/api/project/workflow_types/']) {
      const res = await call('GET', path);
      expect(res.status).toBe(200);
      expect(res.body.workflows.review).toEqual({
        name: 'Review walk',
        versions: {
          v1: { name: 'Two reviewer levels', description: '' },
          noreview: { name: 'No review', description: '' },
          sampled: { name: 'Sampled review', description: '' },
        },
      });
    }
  });

  it('create_project creates the project as the key, and project_information returns it as the original did', async () => {
    const created = await call('POST', '/orchestra/api/project/create_project/', CREATE);
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ project_id: expect.any(Number) });
    const id = created.body.project_id as number;
    const { rows } = await s.h.db.pool.query(
      `select actor from domain_event where project_id = $1 and type = 'project.created'`,
      [id],
    );
    expect(rows).toEqual([{ actor: `integrator:${key.id}` }]);

    const info = await call('POST', '/orchestra/api/project/project_information', { project_ids: [id, 999999] });
    expect(info.status).toBe(200);
    expect(Object.keys(info.body)).toEqual([String(id)]); // the unknown id is left out
    const { project, tasks, steps } = info.body[String(id)];
    expect(project).toEqual({
      id,
      workflow_slug: 'review',
      workflow_version_slug: 'v1',
      short_description: 'From the old CMS',
      start_datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      priority: 5,
      project_data: { url: 'https://example.org/story' },
      scratchpad_url: null,
      task_class: 1,
      status: 0,
      slack_group_id: null,
    });
    expect(steps).toEqual([{ id: expect.any(Number), slug: 'write', description: '', is_human: true, name: 'Write' }]);
    expect(tasks.write).toMatchObject({
      step_slug: 'write',
      project: id,
      status: 'Awaiting Processing',
      latest_data: null,
      assignments: [],
    });

    // Worked on: the assignment with its worker and iterations, statuses as display strings.
    const w = await s.h.worker('compat_writer', [['review', 'writer', 'ENTRY_LEVEL']]);
    await s.h.lifecycle.claimTask(w, tasks.write.id);
    await s.h.lifecycle.saveTask(w, { taskId: tasks.write.id, data: { text: 'draft' } });
    const later = (await call('POST', '/orchestra/api/project/project_information/', { project_ids: [id] })).body;
    const task = later[String(id)].tasks.write;
    expect(task.status).toBe('Processing');
    expect(task.latest_data).toEqual({ text: 'draft' });
    expect(task.assignments).toEqual([
      {
        id: expect.any(Number),
        start_datetime: expect.any(String),
        worker: {
          id: w.workerId,
          username: 'compat_writer',
          first_name: '',
          last_name: '',
          slack_username: null,
          slack_user_id: null,
        },
        task: task.id,
        status: 'Processing',
        in_progress_task_data: { text: 'draft' },
        iterations: [
          {
            id: expect.any(Number),
            start_datetime: expect.any(String),
            end_datetime: null,
            status: 'Processing',
            assignment: task.assignments[0].id,
            submitted_data: {},
          },
        ],
        recorded_work_time: null,
      },
    ]);
  });

  it("answers bad requests with the original's envelopes, changing nothing", async () => {
    const before = await s.h.db.pool.query('select count(*)::int as n from project');
    const { task_class: _, ...missing } = CREATE;
    expect(await call('POST', '/orchestra/api/project/create_project', missing)).toEqual({
      status: 400,
      body: { error: 400, message: 'One of the parameters is missing' },
    });
    expect(await call('POST', '/orchestra/api/project/create_project', { ...CREATE, workflow_slug: 'nope' })).toEqual({
      status: 404,
      body: { error: 404, message: 'WorkflowVersion matching query does not exist.' },
    });
    expect(await call('POST', '/orchestra/api/project/create_project', { ...CREATE, priority: 'high' })).toEqual({
      status: 400,
      body: { error: 400, message: 'priority must be an integer.' },
    });
    expect(await call('POST', '/orchestra/api/project/project_information', {})).toEqual({
      status: 400,
      body: { error: 400, message: 'project_ids is required' },
    });
    expect(await call('GET', '/orchestra/api/project/create_project')).toEqual({
      status: 405,
      body: { detail: 'Method "GET" not allowed.' },
    });
    // An undecodable body is `{}`, as the original read it.
    expect(await call('POST', '/orchestra/api/project/create_project', CREATE, { sentBody: '{not json' })).toEqual({
      status: 400,
      body: { error: 400, message: 'One of the parameters is missing' },
    });
    expect((await s.h.db.pool.query('select count(*)::int as n from project')).rows).toEqual(before.rows);
  });

  it('signs (request-target) and digest too, when a client does', async () => {
    const res = await call('POST', '/orchestra/api/project/create_project', CREATE, {
      headers: ['(request-target)', 'date', 'digest'],
    });
    expect(res.status).toBe(200);
  });
});

describe('signature failures', () => {
  const path = '/orchestra/api/project/create_project';
  const refused = (detail: string | RegExp) => ({
    status: 403,
    body: { detail: typeof detail === 'string' ? detail : expect.stringMatching(detail) },
  });

  it("refuse with the original's answers and create nothing", async () => {
    const before = await s.h.db.pool.query('select count(*)::int as n from project');
    expect(await call('POST', path, CREATE, { omit: ['x-api-key'] })).toEqual(
      refused('Authentication credentials were not provided.'),
    );
    expect(await call('POST', path, CREATE, { omit: ['authorization'] })).toEqual(refused('No signature provided'));
    expect(await call('POST', path, CREATE, { keyId: 'oki_unknown' })).toEqual(refused('Unable to find API key'));
    expect(await call('POST', path, CREATE, { secret: 'not the secret' })).toEqual(refused('Bad signature'));
    // Ours, beyond the original: a stale Date (a replayed request), and a body altered under a signed digest.
    expect(await call('POST', path, CREATE, { date: new Date(Date.now() - 10 * 60_000).toUTCString() })).toEqual(
      refused(/^Bad signature: the signed Date header must be within 300 seconds/),
    );
    expect(
      await call('POST', path, CREATE, {
        headers: ['date', 'digest'],
        sentBody: JSON.stringify({ ...CREATE, priority: 1000 }),
      }),
    ).toEqual(refused('Bad signature: the body does not match its Digest header.'));
    // A signature over headers that leave the Date out would make it replayable forever.
    expect(await call('POST', path, CREATE, { headers: ['(request-target)'] })).toEqual(
      refused(/^Bad signature: the signed Date header/),
    );
    // A revoked key is gone.
    const doomed = await s.h.orchestra.auth.createApiKey(SYSTEM, 'doomed');
    await s.h.orchestra.auth.revokeApiKey(SYSTEM, doomed.apiKey.id);
    expect(await call('POST', path, CREATE, { keyId: doomed.keyId, secret: doomed.signingSecret })).toEqual(
      refused('Unable to find API key'),
    );
    expect((await s.h.db.pool.query('select count(*)::int as n from project')).rows).toEqual(before.rows);
  });
});
