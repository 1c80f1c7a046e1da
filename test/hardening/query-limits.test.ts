// Finding 1 of the hardening issue: one small query must not kill the server. The attacks seen on main
// — a cycle through the schema a dozen levels deep, an integrator's depth-51 project/tasks chain,
// 1,000 aliases of `projects`, 20,000 aliases of `dashboard` — are refused before they run, fast, with
// a typed error naming the limit, while the server keeps answering /healthz. Legal queries still pass.
import { getIntrospectionQuery } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../support/expect.js';
import { createServer, useServer, type GqlResponse, type TestServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const PASSWORD = 'limits password';
let s: TestServer;
let workerToken: string;
let apiKey: string;

beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
  await s.h.worker('limited', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
  workerToken = await s.login('limited', PASSWORD);
  apiKey = (await s.h.orchestra.auth.createApiKey(s.h.admin, 'limits')).secret;
  await s.h.project('review');
});

const nest = (open: string, close: string, times: number, inner: string) =>
  `${open.repeat(times)}${inner}${close.repeat(times)}`;

/** The operation was refused with QUERY_TOO_COMPLEX, one of its errors naming the given limit, without data. */
function expectLimit(res: GqlResponse, reason: string): void {
  expect(res.status, JSON.stringify(res.errors)).toBe(400);
  expect(res.data).toBeNull();
  expect(
    // GraphQL's own rules may refuse it too (graphql-js limits introspection depth itself).
    res.errors?.every((e) => ['QUERY_TOO_COMPLEX', 'GRAPHQL_VALIDATION_FAILED'].includes(String(e.extensions?.code))),
    JSON.stringify(res.errors),
  ).toBe(true);
  expect(
    res.errors?.find((e) => e.extensions?.reason === reason)?.extensions,
    JSON.stringify(res.errors),
  ).toMatchObject({
    reason,
    limit: expect.any(Number),
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

describe('the attacks seen on main', () => {
  it('the 12-level cycle through workflow versions and steps: the back-link is gone, GraphQL refuses it at once', async () => {
    const cycle = `{ workflows { ${nest('versions { steps { version { ', '} } } ', 4, 'slug')} } }`;
    expect(cycle.length).toBeLessThan(600);
    const { result, ms } = await timed(() => s.gql(cycle, {}, { token: workerToken }));
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.errors?.[0]?.message).toMatch(/Cannot query field "version" on type "Step"/);
    expect(ms).toBeLessThan(2000);
  });

  it('an integrator’s depth-51 project { tasks { project { tasks … } } } is refused by the depth limit', async () => {
    const deep = `{ project(id: 1) { ${nest('tasks { project { ', '} } ', 25, 'id')} } }`;
    const { result, ms } = await timed(() => s.gql(deep, {}, { apiKey }));
    expectLimit(result, 'DEPTH_LIMIT');
    expect(result.errors!.find((e) => e.extensions?.reason === 'DEPTH_LIMIT')!.extensions).toMatchObject({
      limit: 15,
      found: 52,
    });
    expect(ms).toBeLessThan(2000);
  });

  it('1,000 aliases of projects are refused (by the token limit, before parsing ends); 100 by the alias limit and cost', async () => {
    const many = `{ ${Array.from({ length: 1000 }, (_, i) => `p${i}: projects { totalCount }`).join(' ')} }`;
    const { result, ms } = await timed(() => s.gql(many, {}, { apiKey }));
    expectLimit(result, 'TOKEN_LIMIT');
    expect(result.errors![0]!.message).toBe('The operation has more than 5000 tokens.');
    expect(ms).toBeLessThan(2000);
    const hundred = await s.gql(
      `{ ${Array.from({ length: 100 }, (_, i) => `p${i}: projects(first: 200) { nodes { tasks { id } } }`).join(' ')} }`,
      {},
      { apiKey },
    );
    expectLimit(hundred, 'ALIAS_LIMIT');
    expectLimit(hundred, 'COST_LIMIT');
  });

  it('20,000 aliases of dashboard are refused by the token limit before they are even parsed whole', async () => {
    const many = `{ ${Array.from({ length: 20_000 }, (_, i) => `d${i}: dashboard { reviewerStatus }`).join(' ')} }`;
    expect(many.length).toBeLessThan(1_000_000);
    const { result, ms } = await timed(() => s.gql(many, {}, { token: workerToken }));
    expectLimit(result, 'TOKEN_LIMIT');
    expect(ms).toBeLessThan(2000);
  });

  it('keeps answering /healthz while the attacks are sent, and is still whole afterwards', async () => {
    const attacks = [
      `{ project(id: 1) { ${nest('tasks { project { ', '} } ', 25, 'id')} } }`,
      `{ ${Array.from({ length: 1000 }, (_, i) => `p${i}: projects { totalCount }`).join(' ')} }`,
      `{ ${Array.from({ length: 20_000 }, (_, i) => `d${i}: dashboard { reviewerStatus }`).join(' ')} }`,
    ];
    const heapBefore = process.memoryUsage().heapUsed;
    const sending = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s.gql(attacks[i % 3]!, {}, i % 3 === 2 ? { token: workerToken } : { apiKey }),
      ),
    );
    const health: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { result, ms } = await timed(() => fetch(`${s.url}/healthz`));
      expect(result.status).toBe(200);
      health.push(ms);
    }
    const answers = await sending;
    expect(answers.every((r) => r.status === 400 && r.errors?.[0]?.extensions?.code === 'QUERY_TOO_COMPLEX')).toBe(
      true,
    );
    expect(Math.max(...health)).toBeLessThan(2000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(300 * 1024 * 1024);
    expect(ok(await s.gql(`{ viewer { username } }`, {}, { token: workerToken })).viewer.username).toBe('limited');
  });
});

describe('the other limits', () => {
  it('cost: lists are weighed by their page size; a legal page passes, a page of everything below does not', async () => {
    const legal = `{ projects(first: 20) { nodes { id tasks { id assignments { level } } } } }`;
    expect(ok(await s.gql(legal, {}, { apiKey })).projects.nodes.length).toBeGreaterThan(0);
    const heavy = `{ projects(first: 200) { nodes { tasks { assignments { iterations { id } worker { id } } } } } }`;
    const res = await s.gql(heavy, {}, { apiKey });
    expectLimit(res, 'COST_LIMIT');
    expect(res.errors![0]!.extensions!.found).toBeGreaterThan(50_000);
    // A page size given by a variable counts as the largest page.
    const byVariable = await s.gql(
      `query($n: Int) { projects(first: $n) { nodes { tasks { assignments { iterations { id } } } } } }`,
      { n: 1 },
      { apiKey },
    );
    expectLimit(byVariable, 'COST_LIMIT');
  });

  it('directives: more than 20 are refused', async () => {
    const res = await s.gql(
      `{ viewer { ${Array.from({ length: 25 }, () => 'username @include(if: true)').join(' ')} } }`,
      {},
      { token: workerToken },
    );
    expectLimit(res, 'DIRECTIVE_LIMIT');
  });

  it('introspection: the standard query passes; nesting fields through types past three lists is refused', async () => {
    const standard = await s.gql(getIntrospectionQuery(), {}, { token: workerToken });
    expect(standard.errors).toBeUndefined();
    expect(standard.data!.__schema.types.length).toBeGreaterThan(20);
    const blowup = `{ __type(name: "Task") { ${nest('fields { type { ', '} } ', 4, 'name')} } }`;
    expectLimit(await s.gql(blowup, {}, { token: workerToken }), 'INTROSPECTION_LIMIT');
  });

  it('fragments count where they are spread, and cannot hide depth', async () => {
    const query = `
      fragment T on Task { project { tasks { project { tasks { project { tasks { project { tasks { id } } } } } } } } }
      fragment U on Task { project { tasks { ...T } } }
      { project(id: 1) { tasks { project { tasks { project { tasks { ...U } } } } } } }`;
    expectLimit(await s.gql(query, {}, { apiKey }), 'DEPTH_LIMIT');
  });

  it('the time budget: an operation running past it fails with TIME_BUDGET, and the server goes on', async () => {
    // A budget of 1 ms: fields resolved after the first round trip to the database are past it.
    const tight = await createServer({
      workflows: [reviewWorkflow],
      config: { queryLimits: { ...s.h.orchestra.config.queryLimits, timeBudgetMs: 1 } },
    });
    try {
      await tight.h.worker('slow', [], { isAdmin: true, password: PASSWORD });
      // Logged in through the service: over GraphQL, even the login would run past 1 ms.
      const { token } = await tight.h.orchestra.auth.login('slow', PASSWORD);
      const query = `{ workflows { slug versions { slug steps { slug } } } }`;
      let res = await tight.gql(query, {}, { token });
      for (let tries = 0; tries < 5 && !res.errors; tries++) res = await tight.gql(query, {}, { token }); // a run may finish inside 1 ms
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', reason: 'TIME_BUDGET', limit: 1 });
      expect(res.errors![0]!.message).toBe('The operation ran longer than 1 ms.');
      expect(res.status).toBe(400);
    } finally {
      await tight.close();
    }
  });
});
