// Bad input over real HTTP: every malformed request gets a typed error (NOT_FOUND, BAD_INPUT, or
// GraphQL's own BAD_REQUEST / GRAPHQL_VALIDATION_FAILED / GRAPHQL_PARSE_FAILED), with the HTTP status
// the error table gives its code (a failed request: 400 bad input, 404 not found, 409 conflict),
// never INTERNAL_SERVER_ERROR, never a stack trace or a file path, and changes nothing (every
// domain row, the outbox and the job queue are compared before and after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbState, type DbState } from '../support/db-state.js';
import { createServer, type TestServer } from '../support/server.js';
import { claimsWorkflow, reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'correct horse battery staple';

let s: TestServer;
let adminToken: string;
let workerToken: string;
let adminCookie: string;
/** A task the worker holds (PROCESSING, with saved data), its project and its one iteration. */
let heldTaskId: string;
let projectId: string;
let iterationId: string;
let workerId: string;
let before: DbState;

beforeAll(async () => {
  s = await createServer({ workflows: [reviewWorkflow, claimsWorkflow] });
  await s.h.worker('admin', [], { isAdmin: true, password: PASSWORD });
  const w = await s.h.worker('worker', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
  workerId = String(w.workerId);
  adminToken = await s.login('admin', PASSWORD);
  workerToken = await s.login('worker', PASSWORD);
  adminCookie = `orchestra_session=${adminToken}`;

  const p = await s.h.project('review');
  projectId = String(p.id);
  const taskId = await s.h.taskId(p.id, 'write');
  heldTaskId = String(taskId);
  await s.h.lifecycle.claimTask(w, taskId);
  await s.h.lifecycle.saveTask(w, { taskId, data: { text: 'saved' } });
  iterationId = String((await s.h.task(p.id, 'write'))!.iterations[0]!.id);

  // Something more for the lists to page through: a second project and a machine task (queued job).
  await s.h.project('claims', 'write');
  await s.h.project('claims', 'machine');
  before = await dbState(s.h);
});
afterAll(() => s?.close());

interface Raw {
  status: number;
  text: string;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
}

/** A raw HTTP request to /graphql. */
async function raw(init: {
  method?: string;
  search?: string;
  body?: string;
  headers?: Record<string, string>;
}): Promise<Raw> {
  const res = await fetch(`${s.url}/graphql${init.search ?? ''}`, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
  });
  const text = await res.text();
  let body: Raw['body'] = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: asserted by the caller */
  }
  return { status: res.status, text, body };
}

const post = (query: string, variables: Record<string, unknown> = {}, token: string | null = adminToken) =>
  raw({
    body: JSON.stringify({ query, variables }),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

/**
 * A typed refusal: the one error has the expected code (one of them), the expected HTTP status,
 * no internals leak (stack traces, file paths, SQL), and the database is as it was.
 */
async function expectTyped(
  res: Raw,
  codes: string | string[],
  status?: number,
  message?: string | RegExp,
): Promise<void> {
  const expected = Array.isArray(codes) ? codes : [codes];
  expect(res.body, res.text).not.toBeNull();
  const errors = res.body!.errors ?? [];
  expect(errors.length, res.text).toBeGreaterThan(0);
  for (const error of errors) {
    expect(expected, res.text).toContain(error.extensions?.code);
    expect(error.extensions ?? {}).not.toHaveProperty('stacktrace');
    expect(error.extensions ?? {}).not.toHaveProperty('exception');
  }
  if (message !== undefined) expect(errors[0]!.message).toMatch(message);
  expect(res.body!.data ?? null).toBeNull();
  if (status !== undefined) expect(res.status, res.text).toBe(status);
  expectNoLeak(res.text);
  expect(await dbState(s.h)).toEqual(before);
}

function expectNoLeak(text: string): void {
  expect(text).not.toContain('INTERNAL_SERVER_ERROR');
  expect(text).not.toContain('stacktrace');
  expect(text).not.toMatch(/\bat \S+ \(|\bat (file:|node:|\/)/); // stack frames
  expect(text).not.toMatch(/\/work\/|node_modules|\.ts:\d+/); // file paths
  expect(text).not.toMatch(/\b(select|insert|update) .* from\b|syntax for type|violates|relation "/i); // SQL
}

// ---- unknown and malformed ids ---------------------------------------------------------------

const BY_ID: { name: string; query: string; vars: (id: string) => Record<string, unknown>; token?: 'worker' }[] = [
  { name: 'task', query: 'query($id: ID!) { task(id: $id) { id } }', vars: (id) => ({ id }) },
  { name: 'task (worker)', query: 'query($id: ID!) { task(id: $id) { id } }', vars: (id) => ({ id }), token: 'worker' },
  { name: 'project', query: 'query($id: ID!) { project(id: $id) { id } }', vars: (id) => ({ id }) },
  { name: 'worker', query: 'query($id: ID!) { worker(id: $id) { id } }', vars: (id) => ({ id }) },
  {
    name: 'taskOverview',
    query: 'query($id: ID!) { taskOverview(taskId: $id) { data } }',
    vars: (id) => ({ id }),
    token: 'worker',
  },
  {
    name: 'claimTask',
    query: 'mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }',
    vars: (id) => ({ id }),
    token: 'worker',
  },
  {
    name: 'saveTask',
    query: 'mutation($id: ID!) { saveTask(input: { taskId: $id, data: {} }) { task { id } } }',
    vars: (id) => ({ id }),
    token: 'worker',
  },
  {
    name: 'submitTask',
    query: 'mutation($id: ID!) { submitTask(input: { taskId: $id, data: {}, action: SUBMIT }) { task { id } } }',
    vars: (id) => ({ id }),
    token: 'worker',
  },
  {
    name: 'assignTask (task)',
    query: 'mutation($id: ID!, $w: ID!) { assignTask(input: { taskId: $id, workerId: $w }) { task { id } } }',
    vars: (id) => ({ id, w: workerId }),
  },
  {
    name: 'assignTask (worker)',
    query: 'mutation($id: ID!, $t: ID!) { assignTask(input: { taskId: $t, workerId: $id }) { task { id } } }',
    vars: (id) => ({ id, t: heldTaskId }),
  },
  {
    name: 'reassignAssignment',
    query:
      'mutation($id: ID!, $w: ID!) { reassignAssignment(input: { assignmentId: $id, workerId: $w }) { task { id } } }',
    vars: (id) => ({ id, w: workerId }),
  },
  {
    name: 'completeAndSkipTask',
    query: 'mutation($id: ID!) { completeAndSkipTask(input: { taskId: $id }) { task { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'revertTask (task)',
    query:
      'mutation($id: ID!, $i: ID!) { revertTask(input: { taskId: $id, iterationId: $i, dryRun: false }) { committed } }',
    vars: (id) => ({ id, i: iterationId }),
  },
  {
    name: 'revertTask (iteration)',
    query:
      'mutation($id: ID!, $t: ID!) { revertTask(input: { taskId: $t, iterationId: $id, dryRun: false }) { committed } }',
    vars: (id) => ({ id, t: heldTaskId }),
  },
  {
    name: 'rerunMachineStep',
    query: 'mutation($id: ID!) { rerunMachineStep(input: { taskId: $id }) { task { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'pauseProject',
    query: 'mutation($id: ID!) { pauseProject(input: { projectId: $id }) { project { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'resumeProject',
    query: 'mutation($id: ID!) { resumeProject(input: { projectId: $id }) { project { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'endProject',
    query: 'mutation($id: ID!) { endProject(input: { projectId: $id }) { project { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'createSubsequentTasks',
    query: 'mutation($id: ID!) { createSubsequentTasks(input: { projectId: $id }) { project { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'grantCertification',
    query:
      'mutation($id: ID!) { grantCertification(input: { workerId: $id, workflowSlug: "review", certificationSlug: "writer", role: ENTRY_LEVEL }) { workerCertification { id } } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'revokeCertification',
    query:
      'mutation($id: ID!) { revokeCertification(input: { workerId: $id, workflowSlug: "review", certificationSlug: "writer", role: ENTRY_LEVEL }) { revoked } }',
    vars: (id) => ({ id }),
  },
  {
    name: 'revokeApiKey',
    query: 'mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }',
    vars: (id) => ({ id }),
  },
];

const MALFORMED_IDS: unknown[] = [
  'abc',
  '-1',
  '0',
  '1.5',
  '1e3',
  '0x10',
  ' 7',
  '7 ',
  '',
  '99999999999',
  '2147483648',
  '12345678901234567890',
  -1,
  0,
  1e20,
];

describe('ids', () => {
  it.each(BY_ID)('$name: an unknown id is NOT_FOUND', async (c) => {
    const res = await post(c.query, c.vars('999999'), c.token === 'worker' ? workerToken : adminToken);
    // In the original's words where it had them (spec §4.3, §4.4).
    await expectTyped(
      res,
      'NOT_FOUND',
      404,
      /^(No task for given id|Project not found for the given id\.|\w+ matching query does not exist\.)$/,
    );
  });

  it.each(BY_ID)('$name: a non-numeric, negative, zero or huge id is BAD_INPUT', async (c) => {
    for (const bad of MALFORMED_IDS) {
      const res = await post(c.query, c.vars(bad as string), c.token === 'worker' ? workerToken : adminToken);
      await expectTyped(res, 'BAD_INPUT', 400, /is not a valid id/);
    }
  });

  it('an id that is not an ID at all (a float, an object, a boolean) is refused by GraphQL (BAD_INPUT, 400)', async () => {
    for (const bad of [1.5, { id: 1 }, true, null]) {
      await expectTyped(await post('query($id: ID!) { task(id: $id) { id } }', { id: bad }), 'BAD_INPUT', 400);
    }
    await expectTyped(await post('{ task(id: 1.5) { id } }'), 'GRAPHQL_VALIDATION_FAILED', 400);
  });

  it('unknown workflows, versions and certifications are NOT_FOUND (404), as an unknown certification is', async () => {
    const create = 'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }';
    for (const [workflowSlug, versionSlug] of [
      ['nope', 'v1'],
      ['review', 'v9'],
    ]) {
      const res = await post(create, { input: { workflowSlug, versionSlug, description: 'x' } });
      await expectTyped(res, 'NOT_FOUND', 404, 'WorkflowVersion matching query does not exist.');
      expect(res.body!.errors![0]!.extensions).toMatchObject({
        reason: 'NOT_FOUND',
        slug: `${workflowSlug}/${versionSlug}`,
      });
    }
    const grant =
      'mutation($input: CertificationGrantInput!) { grantCertification(input: $input) { workerCertification { id } } }';
    await expectTyped(
      await post(grant, {
        input: { workerId, workflowSlug: 'review', certificationSlug: 'nope', role: 'ENTRY_LEVEL' },
      }),
      'NOT_FOUND',
      404,
    );
    await expectTyped(
      await post(grant, {
        input: { workerId, workflowSlug: 'nope', certificationSlug: 'writer', role: 'ENTRY_LEVEL' },
      }),
      'NOT_FOUND',
      404,
    );
    expect(await post('query { workflow(slug: "nope") { id } }')).toMatchObject({
      status: 200,
      body: { data: { workflow: null } },
    });
  });
});

// ---- enums, JSON objects, unknown fields, scalars -------------------------------------------

describe('input values', () => {
  const SUBMIT = 'mutation($input: SubmitTaskInput!) { submitTask(input: $input) { task { status } } }';
  const SAVE = 'mutation($input: SaveTaskInput!) { saveTask(input: $input) { assignment { data } } }';

  it('a wrong enum value for `action` or `role` is refused by GraphQL (HTTP 400)', async () => {
    for (const action of ['PUBLISH', 'submit', '', 3]) {
      await expectTyped(
        await post(SUBMIT, { input: { taskId: heldTaskId, data: { text: 'x' }, action } }, workerToken),
        'BAD_INPUT',
        400,
      );
    }
    await expectTyped(
      await post(
        `mutation { submitTask(input: { taskId: "${heldTaskId}", data: {}, action: PUBLISH }) { task { id } } }`,
        {},
        workerToken,
      ),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    );
    await expectTyped(
      await post(
        `mutation { submitTask(input: { taskId: "${heldTaskId}", data: {}, action: "SUBMIT" }) { task { id } } }`,
        {},
        workerToken,
      ),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    );

    await expectTyped(
      await post(
        'mutation($r: CertificationRole) { requestTask(input: { role: $r }) { task { id } } }',
        { r: 'BOSS' },
        workerToken,
      ),
      'BAD_INPUT',
      400,
    );
    await expectTyped(
      await post('mutation { requestTask(input: { role: BOSS }) { task { id } } }', {}, workerToken),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    );
    const grant =
      'mutation($input: CertificationGrantInput!) { grantCertification(input: $input) { workerCertification { id } } }';
    await expectTyped(
      await post(grant, { input: { workerId, workflowSlug: 'review', certificationSlug: 'writer', role: 'ADMIN' } }),
      'BAD_INPUT',
      400,
    );
    await expectTyped(
      await post(grant, {
        input: {
          workerId,
          workflowSlug: 'review',
          certificationSlug: 'writer',
          role: 'ENTRY_LEVEL',
          taskClass: 'FAKE',
        },
      }),
      'BAD_INPUT',
      400,
    );
    await expectTyped(await post('{ projects(status: DONE) { totalCount } }'), 'GRAPHQL_VALIDATION_FAILED', 400);
  });

  it('`data` that is not a JSON object is refused, and the worker’s saved data stays', async () => {
    for (const data of [[1, 2], 'text', 42, true, null, [{ text: 'x' }]]) {
      await expectTyped(await post(SAVE, { input: { taskId: heldTaskId, data } }, workerToken), 'BAD_INPUT', 400);
      await expectTyped(
        await post(SUBMIT, { input: { taskId: heldTaskId, data, action: 'SUBMIT' } }, workerToken),
        'BAD_INPUT',
        400,
      );
    }
    // Written in the query itself, the same values fail validation.
    for (const literal of ['"text"', '[1, 2]', '42', 'null']) {
      await expectTyped(
        await post(
          `mutation { saveTask(input: { taskId: "${heldTaskId}", data: ${literal} }) { task { id } } }`,
          {},
          workerToken,
        ),
        ['GRAPHQL_VALIDATION_FAILED', 'BAD_INPUT'],
        400,
      );
    }
    await expectTyped(
      await post('mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }', {
        input: { workflowSlug: 'review', versionSlug: 'v1', description: 'x', projectData: ['a'] },
      }),
      'BAD_INPUT',
      400,
    );
    expect((await s.h.task(Number(projectId), 'write'))!.assignments[0]!.data).toEqual({ text: 'saved' });
  });

  it('text PostgreSQL cannot store (a NUL character) is BAD_INPUT, in task data and in plain strings', async () => {
    await expectTyped(
      await post(SAVE, { input: { taskId: heldTaskId, data: { text: 'a\u0000b' } } }, workerToken),
      'BAD_INPUT',
    );
    await expectTyped(
      await post(SAVE, { input: { taskId: heldTaskId, data: { nested: [{ 'k\u0000': 1 }] } } }, workerToken),
      'BAD_INPUT',
    );
    await expectTyped(
      await post(SUBMIT, { input: { taskId: heldTaskId, data: { text: '\u0000' }, action: 'SUBMIT' } }, workerToken),
      'BAD_INPUT',
    );
    const create = 'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }';
    await expectTyped(
      await post(create, { input: { workflowSlug: 'review', versionSlug: 'v1', description: 'nul \u0000 here' } }),
      'BAD_INPUT',
    );
    await expectTyped(
      await post(create, {
        input: { workflowSlug: 'review', versionSlug: 'v1', description: 'x', projectData: { a: '\u0000' } },
      }),
      'BAD_INPUT',
    );
    await expectTyped(
      await post('mutation($n: String!) { createApiKey(input: { name: $n }) { secret } }', { n: 'key\u0000' }),
      'BAD_INPUT',
      400,
      'Text must not contain NUL (\\u0000) characters.',
    );
    // In the query text too, and where a string is only looked up.
    await expectTyped(await post('{ workflow(slug: "review\\u0000") { id } }'), 'BAD_INPUT', 400);
    // The same text again comes as the same parsed document (Apollo's document store): refused again.
    // (The create mutation's text above is a clean document, reused with each request's own variables.)
    await expectTyped(await post('{ workflow(slug: "review\\u0000") { id } }'), 'BAD_INPUT', 400);
    await expectTyped(
      await post('query($w: String) { projects(workflowSlug: $w) { totalCount } }', { w: 'review\u0000' }),
      'BAD_INPUT',
      400,
    );
    await expectTyped(
      await post(
        'mutation($u: String!) { login(input: { username: $u, password: "whatever" }) { token } }',
        { u: 'admin\u0000' },
        null,
      ),
      'BAD_INPUT',
      400,
    );
  });

  it('worker fields longer than their columns are BAD_INPUT, not a database error', async () => {
    const create = 'mutation($input: CreateWorkerInput!) { createWorker(input: $input) { worker { id } } }';
    const long = 'x'.repeat(300);
    for (const input of [
      { username: 'u'.repeat(151) },
      { username: 'bad name' },
      { username: 'long_first', firstName: long },
      { username: 'long_last', lastName: long },
      { username: 'long_email', email: `${long}@example.org` },
      { username: 'short_password', password: 'short' },
    ]) {
      await expectTyped(await post(create, { input }), 'BAD_INPUT');
    }
    await expectTyped(
      await post(create, { input: { username: 'worker' } }),
      'CONFLICT',
      409,
      'A worker named worker already exists.',
    );
    await expectTyped(
      await post('mutation($n: String!) { createApiKey(input: { name: $n }) { secret } }', { n: 'k'.repeat(201) }),
      'BAD_INPUT',
    );
    await expectTyped(
      await post('mutation($n: String!) { createApiKey(input: { name: $n }) { secret } }', { n: '   ' }),
      'BAD_INPUT',
    );
  });

  it('unknown fields, unknown arguments and unknown input fields fail validation', async () => {
    await expectTyped(
      await post(`{ task(id: "${heldTaskId}") { id secret } }`),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /Cannot query field "secret"/,
    );
    await expectTyped(await post('{ nope }'), 'GRAPHQL_VALIDATION_FAILED', 400);
    await expectTyped(await post('{ worker(id: "1") { passwordHash } }'), 'GRAPHQL_VALIDATION_FAILED', 400);
    await expectTyped(
      await post(`{ task(id: "${heldTaskId}", force: true) { id } }`),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    );
    await expectTyped(
      await post(
        `mutation { claimTask(input: { taskId: "${heldTaskId}", asWorker: "1" }) { task { id } } }`,
        {},
        workerToken,
      ),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    );
    await expectTyped(
      await post(
        'mutation($input: TaskInput!) { claimTask(input: $input) { task { id } } }',
        { input: { taskId: heldTaskId, asWorker: '1' } },
        workerToken,
      ),
      'BAD_INPUT',
      400,
    );
    await expectTyped(
      await post(
        'mutation($input: TaskInput!) { claimTask(input: $input) { task { id } } }',
        { input: {} },
        workerToken,
      ),
      'BAD_INPUT',
      400,
    );
    await expectTyped(
      await post(
        'mutation { createWorker(input: { username: "x", isAdmin: true, isSuperuser: true }) { worker { id } } }',
      ),
      'GRAPHQL_VALIDATION_FAILED',
      400,
    );
  });

  it('a query that does not parse is GRAPHQL_PARSE_FAILED (400); out-of-range Ints fail validation', async () => {
    await expectTyped(await post('{ task(id: '), 'GRAPHQL_PARSE_FAILED', 400);
    await expectTyped(
      await post('mutation { login(input: { username: "a" password: "b" }) { token } } }'),
      'GRAPHQL_PARSE_FAILED',
      400,
    );
    await expectTyped(await post('{ projects(first: 99999999999) { totalCount } }'), 'GRAPHQL_VALIDATION_FAILED', 400);
    const create = 'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }';
    await expectTyped(
      await post(create, { input: { workflowSlug: 'review', versionSlug: 'v1', description: 'x', priority: 2 ** 31 } }),
      'BAD_INPUT',
      400,
    );
    await expectTyped(
      await post(create, { input: { workflowSlug: 'review', versionSlug: 'v1', description: 'x', priority: 1.5 } }),
      'BAD_INPUT',
      400,
    );
  });
});

// ---- pagination ---------------------------------------------------------------------------------

describe('pagination', () => {
  const LISTS: { name: string; query: (args: string) => string; token: 'admin' | 'worker' }[] = [
    { name: 'workers', query: (a) => `{ workers(${a}) { totalCount } }`, token: 'admin' },
    { name: 'projects', query: (a) => `{ projects(${a}) { totalCount } }`, token: 'admin' },
    {
      name: 'dashboard.inProgress',
      query: (a) => `{ dashboard { inProgress(${a}) { totalCount } } }`,
      token: 'worker',
    },
    { name: 'dashboard.completed', query: (a) => `{ dashboard { completed(${a}) { totalCount } } }`, token: 'worker' },
  ];
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each(LISTS)('$name: first outside 1…200 is BAD_INPUT', async (l) => {
    const token = l.token === 'admin' ? adminToken : workerToken;
    for (const first of [0, -1, 201, 1000]) {
      await expectTyped(
        await post(l.query(`first: ${first}`), {}, token),
        'BAD_INPUT',
        400,
        'first must be between 1 and 200.',
      );
    }
    for (const first of [1, 200]) {
      const res = await post(l.query(`first: ${first}`), {}, token);
      expect(res.body?.errors, res.text).toBeUndefined();
    }
  });

  it.each(LISTS)('$name: a cursor the server did not make is BAD_INPUT', async (l) => {
    const token = l.token === 'admin' ? adminToken : workerToken;
    for (const after of [
      'not a cursor',
      '%%%',
      cursor({ id: 1 }),
      cursor('x'),
      cursor(7),
      cursor(null),
      cursor([]),
      cursor([null]),
      cursor([['nested']]),
      cursor(['x', 'y', 'z', 'w']),
    ]) {
      await expectTyped(
        await post(l.query('after: $after'.replace('$after', JSON.stringify(after))), {}, token),
        'BAD_INPUT',
        400,
        'Invalid cursor.',
      );
    }
  });

  it('a cursor from a page leads to the next page', async () => {
    const first = await post(
      '{ workers(first: 1) { totalCount nodes { username } pageInfo { hasNextPage endCursor } } }',
    );
    const page = (first.body!.data as any).workers;
    expect(page.totalCount).toBe(2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await post(
      'query($after: String) { workers(first: 1, after: $after) { nodes { username } pageInfo { hasNextPage } } }',
      { after: page.pageInfo.endCursor },
    );
    expect((next.body!.data as any).workers).toEqual({
      nodes: [{ username: 'worker' }],
      pageInfo: { hasNextPage: false },
    });
  });
});

// ---- HTTP ------------------------------------------------------------------------------------

describe('HTTP requests', () => {
  const json = { 'content-type': 'application/json' };

  it('a body that is not JSON is HTTP 400 BAD_REQUEST', async () => {
    for (const body of ['{ task(id: 1) { id } }', '{"query": ', 'null x', '\u0000']) {
      await expectTyped(
        await raw({ body, headers: { ...json, authorization: `Bearer ${adminToken}` } }),
        'BAD_REQUEST',
        400,
      );
    }
  });

  it('JSON that is not a GraphQL request is HTTP 400 BAD_REQUEST', async () => {
    for (const body of [
      '[1]',
      '"query"',
      '42',
      '{}',
      '{"query": 5}',
      '{"query": ""}',
      '{"query": "{ viewer { id } }", "variables": "x"}',
      '{"query": "{ viewer { id } }", "variables": [1]}',
      '{"query": "{ viewer { id } }", "operationName": 5}',
    ]) {
      await expectTyped(await raw({ body, headers: json }), 'BAD_REQUEST', 400);
    }
  });

  it('a body over 1 MB is HTTP 413, and the server keeps serving; just under 1 MB is fine', async () => {
    for (const size of [1_100_000, 8_000_000]) {
      const huge = JSON.stringify({
        query: 'mutation($input: SaveTaskInput!) { saveTask(input: $input) { task { id } } }',
        variables: { input: { taskId: heldTaskId, data: { text: 'x'.repeat(size) } } },
      });
      const res = await raw({ body: huge, headers: { ...json, authorization: `Bearer ${workerToken}` } });
      expect(res.status).toBe(413);
      expect(res.body?.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
      expectNoLeak(res.text);
      expect(await dbState(s.h)).toEqual(before);
    }
    const big = JSON.stringify({
      query: 'query($pad: String!) { viewer { username } workflow(slug: $pad) { id } }',
      variables: { pad: 'x'.repeat(990_000) },
    });
    expect(big.length).toBeLessThan(1_000_000);
    const ok = await raw({ body: big, headers: { ...json, authorization: `Bearer ${workerToken}` } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { viewer: { username: 'worker' }, workflow: null } });
  });

  it('a mutation over GET is refused by Apollo (405) and changes nothing', async () => {
    const query = encodeURIComponent('mutation { createApiKey(input: { name: "over GET" }) { secret } }');
    const res = await raw({
      method: 'GET',
      search: `?query=${query}`,
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${adminToken}` },
    });
    await expectTyped(res, 'BAD_REQUEST', 405, /GET requests only support query operations/);
  });

  it('a GET query sent as a simple request (no preflight header) is blocked as CSRF, even with a session cookie', async () => {
    const query = encodeURIComponent('{ apiKeys { name } viewer { username } }');
    const blocked = await raw({ method: 'GET', search: `?query=${query}`, headers: { cookie: adminCookie } });
    await expectTyped(blocked, 'BAD_REQUEST', 400, /Cross-Site Request Forgery/);
    // A POST a form could send (text/plain) is blocked the same way, and its mutation does not run.
    const form = await raw({
      body: JSON.stringify({ query: 'mutation { createApiKey(input: { name: "csrf" }) { secret } }' }),
      headers: { 'content-type': 'text/plain', cookie: adminCookie },
    });
    await expectTyped(form, 'BAD_REQUEST', 400, /Cross-Site Request Forgery/);
    // With the preflight header (which a cross-site page cannot send without CORS), the query runs.
    const allowed = await raw({
      method: 'GET',
      search: `?query=${query}`,
      headers: { cookie: adminCookie, 'apollo-require-preflight': 'true' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ data: { apiKeys: [], viewer: { username: 'admin' } } });
  });

  it('a GET without a query is a typed 400', async () => {
    await expectTyped(
      await raw({ method: 'GET', headers: { 'apollo-require-preflight': 'true' } }),
      'BAD_REQUEST',
      400,
    );
  });
});
