// Finding 8 of the hardening issue over real HTTP: submitted data is checked against the step's form
// (typed field errors, nothing changed); strings and JSON have bounded sizes; a lone surrogate, JSON
// nested 5,000 deep and a subscription sent over HTTP are typed BAD_INPUT; no error echoes unbounded
// input. Each answer is checked for internals and each refusal for an unchanged database.
import { beforeAll, describe, expect, it } from 'vitest';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { dbState } from '../support/db-state.js';
import { ok } from '../support/expect.js';
import { useServer, type TestServer } from '../support/server.js';

const rateWorkflow = defineWorkflow({
  slug: 'rate',
  name: 'Rate',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        {
          kind: 'human',
          slug: 'rate',
          name: 'Rate the image',
          reviewPolicy: { policy: 'no_review' },
          ui: {
            form: {
              fields: [{ name: 'rating', label: 'Rating (1–5)', type: 'number', min: 1, max: 5, required: true }],
            },
          },
        },
      ],
    },
  ],
});

const PASSWORD = 'input password';
let s: TestServer;
let token: string;
let adminToken: string;

beforeAll(async () => {
  s = await useServer({ workflows: [rateWorkflow] });
  await s.h.worker('rater', [], { password: PASSWORD });
  await s.h.worker('input_admin', [], { isAdmin: true, password: PASSWORD });
  token = await s.login('rater', PASSWORD);
  adminToken = await s.login('input_admin', PASSWORD);
});

async function raw(body: string, bearer = token): Promise<{ status: number; text: string; body: any }> {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}

/** Refused as BAD_INPUT (400), no internals, nothing changed; returns the error. */
async function expectBadInput(run: () => Promise<{ status: number; text: string; body: any }>, reason?: string) {
  const before = await dbState(s.h);
  const res = await run();
  expect(res.status, res.text).toBe(400);
  const [error] = res.body.errors;
  expect(error.extensions.code).toBe('BAD_INPUT');
  if (reason) expect(error.extensions.reason).toBe(reason);
  expect(res.text).not.toMatch(/INTERNAL_SERVER_ERROR|stacktrace|\bat \S+ \(|node_modules/);
  expect(res.text.length, 'the answer does not echo the input').toBeLessThan(2000);
  expect(await dbState(s.h)).toEqual(before);
  return error;
}

const SUBMIT =
  'mutation($id: ID!, $data: JSONObject!) { submitTask(input: { taskId: $id, data: $data, action: SUBMIT }) { task { status } } }';

async function heldTask(): Promise<number> {
  const p = await s.h.project('rate');
  const taskId = await s.h.taskId(p.id, 'rate');
  ok(
    await s.gql('mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }', { id: taskId }, { token }),
  );
  return taskId;
}

describe('submitted data meets the step’s form', () => {
  it('a rating of 42 on a 1–5 scale is refused with the field’s error; the task stays; a rating of 4 completes it', async () => {
    const taskId = await heldTask();
    const error = await expectBadInput(
      () => raw(JSON.stringify({ query: SUBMIT, variables: { id: taskId, data: { rating: 42 } } })),
      'FIELD_ERRORS',
    );
    expect(error.message).toBe('Some fields need a fix: Rating (1–5) must be at most 5.');
    expect(error.extensions.fields).toEqual([{ field: 'rating', message: 'Rating (1–5) must be at most 5.' }]);
    const missing = await expectBadInput(
      () => raw(JSON.stringify({ query: SUBMIT, variables: { id: taskId, data: {} } })),
      'FIELD_ERRORS',
    );
    expect(missing.extensions.fields).toEqual([{ field: 'rating', message: 'Rating (1–5) is required.' }]);
    expect(ok(await s.gql(SUBMIT, { id: taskId, data: { rating: 4 } }, { token })).submitTask.task.status).toBe(
      'COMPLETE',
    );
  });
});

describe('sizes', () => {
  const CREATE = 'mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }';
  const big = 'x'.repeat(900_000);

  it('a 900 KB description, scratchpad URL or workflowSlug is BAD_INPUT, and never echoed back', async () => {
    for (const input of [
      { workflowSlug: 'rate', versionSlug: 'v1', description: big },
      { workflowSlug: 'rate', versionSlug: 'v1', description: 'ok', scratchpadUrl: `https://example.org/${big}` },
      { workflowSlug: big, versionSlug: 'v1', description: 'ok' },
    ]) {
      const error = await expectBadInput(
        () => raw(JSON.stringify({ query: CREATE, variables: { input } }), adminToken),
        'TOO_LARGE',
      );
      expect(error.message).toMatch(/must have at most \d+ characters\.$/);
    }
    await expectBadInput(() =>
      raw(
        JSON.stringify({
          query: CREATE,
          variables: {
            input: { workflowSlug: 'rate', versionSlug: 'v1', description: 'ok', scratchpadUrl: 'javascript:alert(1)' },
          },
        }),
        adminToken,
      ),
    );
  });

  it('task data over 256 KB of JSON is BAD_INPUT, saved data stays', async () => {
    const taskId = await heldTask();
    ok(
      await s.gql(
        'mutation($id: ID!) { saveTask(input: { taskId: $id, data: { rating: 2 } }) { assignment { id } } }',
        { id: taskId },
        { token },
      ),
    );
    const SAVE =
      'mutation($id: ID!, $data: JSONObject!) { saveTask(input: { taskId: $id, data: $data }) { assignment { id } } }';
    const error = await expectBadInput(
      () => raw(JSON.stringify({ query: SAVE, variables: { id: taskId, data: { text: 'y'.repeat(300_000) } } })),
      'TOO_LARGE',
    );
    expect(error.message).toMatch(/^data is \d+ bytes of JSON; at most 262144 are allowed\.$/);
  });
});

describe('text and JSON PostgreSQL cannot take, or that would cost a parser its stack', () => {
  it('a lone surrogate in task data is BAD_INPUT', async () => {
    const taskId = await heldTask();
    const SAVE = `mutation($id: ID!, $data: JSONObject!) { saveTask(input: { taskId: $id, data: $data }) { assignment { id } } }`;
    // Written by hand: JSON.stringify would not send a lone surrogate as such.
    const body = `{"query": ${JSON.stringify(SAVE)}, "variables": {"id": ${taskId}, "data": {"text": "broken \\ud800 here"}}}`;
    const error = await expectBadInput(() => raw(body));
    expect(error.message).toBe('Text must be valid Unicode: a lone surrogate (\\uD800–\\uDFFF) was found.');
    const key = `{"query": ${JSON.stringify(SAVE)}, "variables": {"id": ${taskId}, "data": {"\\udc00": 1}}}`;
    await expectBadInput(() => raw(key));
  });

  it('JSON nested 5,000 deep is BAD_INPUT', async () => {
    const taskId = await heldTask();
    const SAVE = `mutation($id: ID!, $data: JSONObject!) { saveTask(input: { taskId: $id, data: $data }) { assignment { id } } }`;
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const body = `{"query": ${JSON.stringify(SAVE)}, "variables": {"id": ${taskId}, "data": ${deep}}}`;
    const error = await expectBadInput(() => raw(body), 'TOO_LARGE');
    expect(error.message).toBe('JSON input must not be nested more than 32 levels deep.');
  });

  it('a subscription sent over HTTP POST is BAD_INPUT: subscriptions are served over WebSocket', async () => {
    const error = await expectBadInput(() =>
      raw(JSON.stringify({ query: 'subscription { dashboardChanges { taskId } }' })),
    );
    expect(error.message).toBe('Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.');
  });
});
