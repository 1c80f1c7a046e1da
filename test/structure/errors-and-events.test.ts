// Typed errors per door and the events use cases write: every refusal carries a stable reason beside
// the original's category code, details never overwrite either, one HTTP status policy holds over
// GraphQL whether a request fails before or during execution; events record who caused them, and a
// returned task's event points at the reviewer's feedback.
import type { GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatError, httpStatusPolicy, STATUS_OF } from '../../server/graphql/errors.js';
import { ErrorCode, OrchestraError, Reason, Refusal } from '../../server/kernel/errors.js';
import { ok } from '../support/expect.js';
import { useServer, type TestServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'errors and events';

describe('OrchestraError', () => {
  it('keeps its code, reason and message whatever its details say', () => {
    const e = new OrchestraError(ErrorCode.NOT_FOUND, 'No task for given id', Reason.NOT_FOUND, {
      code: 'OK',
      reason: 'NONE',
      message: 'fine',
      id: 7,
    });
    expect(e).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'NOT_FOUND',
      message: 'No task for given id',
      details: { id: 7 },
    });
    const formatted = formatError({ message: 'x' }, e);
    expect(formatted.extensions).toEqual({ id: 7, code: 'NOT_FOUND', reason: 'NOT_FOUND' });
  });

  it('every refusal of the table has a category with an HTTP status and a reason', () => {
    for (const [name, r] of Object.entries(Refusal)) {
      expect(Object.values(ErrorCode), name).toContain(r.code);
      expect(Object.values(Reason), name).toContain(r.reason);
      expect(STATUS_OF[r.code], name).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('the HTTP status policy', () => {
  const respond = async (
    data: Record<string, unknown> | null | undefined,
    errors: { path?: string[]; extensions: { code: string } }[],
    status?: number,
  ) => {
    const response = { body: { kind: 'single', singleResult: { data, errors } }, http: { status, headers: new Map() } };
    const hooks = await httpStatusPolicy.requestDidStart!({} as never);
    await hooks!.willSendResponse!({ response } as unknown as GraphQLRequestContextWillSendResponse<never>);
    return response.http.status ?? 200;
  };

  it('a response that produced nothing takes its first error’s status; one that produced something is 200', async () => {
    expect(await respond(null, [{ path: ['claimTask'], extensions: { code: 'TASK_ASSIGNMENT_ERROR' } }])).toBe(409);
    expect(await respond(undefined, [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }])).toBe(400);
    expect(await respond({ workflow: null }, [{ path: ['workflow'], extensions: { code: 'UNAUTHENTICATED' } }])).toBe(
      401,
    );
    expect(
      await respond({ viewer: { id: '1' }, workflow: null }, [
        { path: ['workflow'], extensions: { code: 'FORBIDDEN' } },
      ]),
    ).toBe(200);
    expect(
      await respond({ task: { status: 'X', prerequisites: null } }, [
        { path: ['task', 'prerequisites'], extensions: { code: 'FORBIDDEN' } },
      ]),
    ).toBe(200);
    // A status the transport set already (405 for a mutation over GET) stands.
    expect(await respond(undefined, [{ extensions: { code: 'BAD_REQUEST' } }], 405)).toBe(405);
    expect(await respond(null, [{ path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }])).toBe(500);
  });
});

let s: TestServer;
beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
});

describe('one code, one status, before and during execution', () => {
  it('UNAUTHENTICATED is 401 for a bad credential and for an anonymous call alike', async () => {
    const anonymous = await s.gql(`{ dashboard { reviewerStatus } }`);
    const badToken = await s.gql(`{ dashboard { reviewerStatus } }`, {}, { token: 'os_not-a-session' });
    for (const res of [anonymous, badToken]) {
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect(anonymous.errors![0]!.extensions!.reason).toBe('NOT_LOGGED_IN');
    expect(badToken.errors![0]!.extensions!.reason).toBe('SESSION_EXPIRED');
  });

  it('BAD_INPUT is 400 whether the guard refuses before execution (NUL) or a resolver does (a bad id)', async () => {
    await s.h.worker('checker', [], { password: PASSWORD });
    const token = await s.login('checker', PASSWORD);
    const nul = await s.gql(`query($id: ID!) { task(id: $id) { id } }`, { id: '1\u0000' }, { token });
    const badId = await s.gql(`query($id: ID!) { task(id: $id) { id } }`, { id: 'abc' }, { token });
    for (const res of [nul, badId]) {
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
    }
    expect(badId.errors![0]!.extensions!.reason).toBe('INVALID_ID');
  });

  it('every refusal carries its reason: an integrator branches on it, not on the message', async () => {
    const w = await s.h.worker('reasoned', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
    const token = await s.login(w.username, PASSWORD);
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    ok(
      await s.gql(
        `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`,
        { id: taskId },
        { token },
      ),
    );
    const again = await s.gql(
      `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`,
      { id: taskId },
      { token },
    );
    expect(again.status).toBe(409);
    expect(again.errors![0]).toMatchObject({
      message: 'Status incompatible with new assignment',
      extensions: { code: 'TASK_ASSIGNMENT_ERROR', reason: 'WRONG_STATE' },
    });
    const reject = await s.gql(
      `mutation($id: ID!) { submitTask(input: { taskId: $id, data: {}, action: REJECT }) { task { id } } }`,
      { id: taskId },
      { token },
    );
    expect(reject.errors![0]!.extensions).toMatchObject({ code: 'ILLEGAL_TASK_SUBMISSION', reason: 'WRONG_STATE' });
    const graphqlOwn = await s.gql(`{ nope }`, {}, { token });
    expect(graphqlOwn.errors![0]!.extensions).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      reason: 'INVALID_QUERY',
    });
  });
});

describe('events', () => {
  it('record who caused them, and a returned task’s event points at the reviewer’s iteration with its feedback', async () => {
    const writer = await s.h.worker('feedback_writer', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
    const reviewer = await s.h.worker('feedback_reviewer', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
    const writerToken = await s.login(writer.username, PASSWORD);
    const reviewerToken = await s.login(reviewer.username, PASSWORD);
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    const SUBMIT = `mutation($id: ID!, $action: SubmitAction!, $feedback: String) {
      submitTask(input: { taskId: $id, data: { text: "draft" }, action: $action, feedback: $feedback }) { task { status } } }`;
    ok(
      await s.gql(
        `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`,
        { id: taskId },
        { token: writerToken },
      ),
    );
    ok(await s.gql(SUBMIT, { id: taskId, action: 'SUBMIT' }, { token: writerToken }));
    ok(
      await s.gql(
        `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`,
        { id: taskId },
        { token: reviewerToken },
      ),
    );
    const returned = ok(
      await s.gql(
        SUBMIT,
        { id: taskId, action: 'REJECT', feedback: '  The intro needs a source.  ' },
        { token: reviewerToken },
      ),
    );
    expect(returned.submitTask.task.status).toBe('POST_REVIEW_PROCESSING');

    const { rows } = await s.h.db.pool.query<{ type: string; actor: string; payload: Record<string, unknown> }>(
      `select type, actor, payload from domain_event where task_id = $1 order by tx_id, id`,
      [taskId],
    );
    const event = rows.find((r) => r.type === 'task.returned')!;
    expect(event.actor).toBe(`worker:${reviewer.workerId}`);
    expect(event.payload).toMatchObject({
      workerId: reviewer.workerId,
      toWorkerId: writer.workerId,
      level: 1,
      toLevel: 0,
      hasFeedback: true,
    });
    expect(rows.filter((r) => r.type === 'task.assigned').map((r) => r.actor)).toEqual([
      `worker:${writer.workerId}`,
      `worker:${reviewer.workerId}`,
    ]);

    // The reference leads to the feedback, which the worker who got the task back can read.
    const history = ok(
      await s.gql(
        `query($id: ID!) { task(id: $id) { assignments { level iterations { id status feedback } } } }`,
        { id: taskId },
        { token: writerToken },
      ),
    );
    const reviewerIterations = history.task.assignments.find((a: { level: number }) => a.level === 1).iterations;
    const feedbackIteration = reviewerIterations.find(
      (i: { id: string }) => Number(i.id) === event.payload.iterationId,
    );
    expect(feedbackIteration).toEqual({
      id: String(event.payload.iterationId),
      status: 'PROVIDED_REVIEW',
      feedback: 'The intro needs a source.',
    });
    // An event of Orchestra itself says so.
    const created = await s.h.db.pool.query<{ actor: string }>(
      `select actor from domain_event where project_id = $1 and type = 'project.created'`,
      [p.id],
    );
    expect(created.rows[0]!.actor).toBe('system');
  });

  it('refuse feedback longer than 20,000 characters with BAD_INPUT and change nothing', async () => {
    const w = await s.h.worker('long_feedback', [['review', 'writer', 'ENTRY_LEVEL']], { password: PASSWORD });
    const token = await s.login(w.username, PASSWORD);
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    ok(
      await s.gql(
        `mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`,
        { id: taskId },
        { token },
      ),
    );
    const res = await s.gql(
      `mutation($id: ID!, $f: String) { submitTask(input: { taskId: $id, data: {}, action: SUBMIT, feedback: $f }) { task { status } } }`,
      { id: taskId, f: 'x'.repeat(20_001) },
      { token },
    );
    expect(res.status).toBe(400);
    expect(res.errors?.[0]).toMatchObject({
      message: 'feedback must have at most 20000 characters.',
      extensions: { code: 'BAD_INPUT' },
    });
    expect((await s.h.task(p.id, 'write'))!.status).toBe('PROCESSING');
  });
});
