// Idempotency keys over GraphQL: the same createProject sent twice at once with one key creates one
// project and both callers get it; a repeat later gets the kept answer; the key with another request
// is refused; keys are the caller's own, work for every mutation, and expire.
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../server/kernel/actor.js';
import { useServer, type TestServer } from '../support/server.js';
import { sleep } from '../support/wait.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

let s: TestServer;
let apiKey: string;

beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
  apiKey = (await s.h.orchestra.auth.createApiKey(SYSTEM, 'retrying cms')).secret;
});

const CREATE = `mutation($d: String!) { createProject(input: { workflowSlug: "review", versionSlug: "v1", description: $d }) { project { id shortDescription } } }`;

async function post(
  query: string,
  variables: Record<string, unknown>,
  key: string | null,
  as: Record<string, string> = { 'x-api-key': apiKey },
) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...as, ...(key === null ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed') === 'true',
    body: (await res.json()) as any,
  };
}

const projectsNamed = async (d: string) =>
  (await s.h.db.pool.query(`select count(*)::int as n from project where short_description = $1`, [d])).rows[0].n;

describe('idempotency keys', () => {
  it('two identical createProject requests at once with one key: one project, both callers get it', async () => {
    const [a, b] = await Promise.all([
      post(CREATE, { d: 'Exactly once' }, 'import-4711'),
      post(CREATE, { d: 'Exactly once' }, 'import-4711'),
    ]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body).toEqual(b.body);
    expect(a.body.data.createProject.project.shortDescription).toBe('Exactly once');
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(await projectsNamed('Exactly once')).toBe(1);

    const later = await post(CREATE, { d: 'Exactly once' }, 'import-4711');
    expect(later).toEqual({ status: 200, replayed: true, body: a.body });
    expect(await projectsNamed('Exactly once')).toBe(1);
  });

  it('the same key with another request is refused and changes nothing', async () => {
    await post(CREATE, { d: 'First use' }, 'import-4712');
    const other = await post(CREATE, { d: 'Something else' }, 'import-4712');
    expect(other.status).toBe(409);
    expect(other.body.errors[0]).toEqual({
      message: 'This Idempotency-Key was used for a different request: use a new key for a new request.',
      extensions: { code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' },
    });
    expect(await projectsNamed('Something else')).toBe(0);
  });

  it("is each caller's own: another key's caller with the same key runs its own request", async () => {
    const otherKey = (await s.h.orchestra.auth.createApiKey(SYSTEM, 'another cms')).secret;
    await post(CREATE, { d: 'Mine' }, 'shared-name');
    const theirs = await post(CREATE, { d: 'Theirs' }, 'shared-name', { 'x-api-key': otherKey });
    expect(theirs.status).toBe(200);
    expect(theirs.replayed).toBe(false);
    expect(await projectsNamed('Theirs')).toBe(1);
  });

  it('works for lifecycle mutations: a repeated claim answers as the first did', async () => {
    const w = await s.h.worker('idem_writer', [['review', 'writer', 'ENTRY_LEVEL']], { password: 'a long password' });
    const token = await s.login(w.username, 'a long password');
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    const CLAIM = `mutation($t: ID!) { claimTask(input: { taskId: $t }) { task { id status } } }`;
    const as = { authorization: `Bearer ${token}` };
    const first = await post(CLAIM, { t: String(taskId) }, 'claim-1', as);
    const again = await post(CLAIM, { t: String(taskId) }, 'claim-1', as);
    expect(first.body.data.claimTask.task.status).toBe('PROCESSING');
    expect(again).toEqual({ ...first, replayed: true });
    // Without the key, the repeat is a second claim, refused.
    const unkeyed = await post(CLAIM, { t: String(taskId) }, null, as);
    expect(unkeyed.body.errors[0].extensions.code).toBe('TASK_ASSIGNMENT_ERROR');
  });

  it('keys expire: after the time, the key names a new request', async () => {
    s.h.orchestra.config.idempotencyTtlMs = 1000;
    try {
      await post(CREATE, { d: 'Expiring' }, 'short-lived');
      await sleep(1100);
      const after = await post(CREATE, { d: 'Expiring' }, 'short-lived');
      expect(after.replayed).toBe(false);
      expect(await projectsNamed('Expiring')).toBe(2);
    } finally {
      s.h.orchestra.config.idempotencyTtlMs = 24 * 3600_000;
    }
  });

  it('refuses a malformed key, and a key without credentials', async () => {
    const long = await post(CREATE, { d: 'x' }, 'k'.repeat(201));
    expect(long.status).toBe(400);
    expect(long.body.errors[0].extensions.code).toBe('BAD_INPUT');
    const anonymous = await post('{ registration { open } }', {}, 'anon-1', {});
    expect(anonymous.status).toBe(400);
    expect(await projectsNamed('x')).toBe(0);
  });
});
