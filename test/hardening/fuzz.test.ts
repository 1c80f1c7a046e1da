// Fuzz: 10,000 operations and variables generated from the schema (fast-check) against the real
// server, as every kind of caller. Right or wrong — ids that exist and ids that do not, strings with
// NUL and lone surrogates, huge numbers, unknown fields, wrong types — each answer must be typed: no
// 5xx, no INTERNAL_SERVER_ERROR, the server still up; and a refused request changes nothing.
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { orchestraSchema } from '../../server/graphql/schema.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { createServer, type Credentials, type TestServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const RUNS = 10_000;
const PASSWORD = 'fuzz password';
const TYPED = new Set([
  'TASK_ASSIGNMENT_ERROR',
  'WORKER_CERTIFICATION_ERROR',
  'ILLEGAL_TASK_SUBMISSION',
  'TASK_STATUS_ERROR',
  'TASK_DEPENDENCY_ERROR',
  'REVIEW_POLICY_ERROR',
  'ASSIGNMENT_POLICY_ERROR',
  'CREATION_POLICY_ERROR',
  'MACHINE_EXECUTION_ERROR',
  'INVALID_REVERT_ERROR',
  'PROJECT_STATUS_ERROR',
  'CERTIFICATION_ERROR',
  'NOT_FOUND',
  'BAD_INPUT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CONFLICT',
  'QUERY_TOO_COMPLEX',
  'TOO_MANY_REQUESTS',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
]);

let s: TestServer;
let schema: GraphQLSchema;
const callers: Credentials[] = [{}];
/** Ids that exist (and some that do not), so that generated requests reach the use cases. */
let knownIds: string[] = [];

beforeAll(async () => {
  s = await createServer({ workflows: [reviewWorkflow], config: { maxInProgressTasks: 1_000_000 } });
  schema = await orchestraSchema();
  const w = await s.h.worker('fuzz_worker', [['review', 'writer', 'REVIEWER']], { password: PASSWORD });
  await s.h.worker('fuzz_admin', [], { isAdmin: true, password: PASSWORD });
  callers.push({ token: await s.login('fuzz_worker', PASSWORD) }, { token: await s.login('fuzz_admin', PASSWORD) });
  callers.push({ apiKey: (await s.h.orchestra.auth.createApiKey(s.h.admin, 'fuzz')).secret });
  for (let i = 0; i < 3; i++) {
    const p = await s.h.project('review');
    const taskId = await s.h.taskId(p.id, 'write');
    await s.h.lifecycle.claimTask(w, taskId);
    if (i === 0) await s.h.lifecycle.submitTask(w, { taskId, data: { text: 'x' }, action: SubmitAction.SUBMIT });
  }
  const { rows } = await s.h.db.pool.query<{ id: string }>(
    `select id::text from task union select id::text from project union select id::text from worker union select id::text from iteration`,
  );
  knownIds = [...new Set(rows.map((r) => r.id)), '999999', '0', '-1', 'abc', '1.5', ''];
}, 120_000);

/** A cheap fingerprint of every domain row, the outbox and the job queue. */
async function fingerprint(): Promise<string> {
  const { rows } = await s.h.db.pool.query<{ f: string }>(`select concat_ws('|',
      (select md5(coalesce(string_agg(t::text, ',' order by id), '')) from project t),
      (select md5(coalesce(string_agg(t::text, ',' order by id), '')) from task t),
      (select md5(coalesce(string_agg(t::text, ',' order by id), '')) from task_assignment t),
      (select md5(coalesce(string_agg(t::text, ',' order by id), '')) from iteration t),
      (select md5(coalesce(string_agg(t::text, ',' order by id), '')) from worker t),
      (select md5(coalesce(string_agg(t::text, ',' order by id), '')) from worker_certification t),
      (select md5(coalesce(string_agg((t.id, t.name, t.revoked_at)::text, ',' order by id), '')) from api_key t),
      (select count(*) from domain_event),
      (select count(*) from graphile_worker._private_jobs)) as f`);
  return rows[0]!.f;
}

// ---- generators --------------------------------------------------------------------------------

const nasty = fc.constantFrom(
  '',
  ' ',
  'a\u0000b',
  'x\ud800y',
  '\udfff',
  '%',
  '\\',
  '"',
  "'; drop table task; --",
  'ü🎉',
  'review',
  'v1',
  'write',
  'x'.repeat(5000),
);
const text = fc.oneof(fc.string({ maxLength: 30 }), nasty);
const anyJson = fc.jsonValue({ maxDepth: 3 });

function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), anyJson);
  const nullable = getNullableType(type) as GraphQLInputType;
  let right: fc.Arbitrary<unknown>;
  if (isListType(nullable))
    right = fc.array(valueFor(nullable.ofType as GraphQLInputType, depth + 1), { maxLength: 3 });
  else if (isEnumType(nullable)) right = fc.constantFrom(...nullable.getValues().map((v) => v.name));
  else if (isInputObjectType(nullable)) {
    const fields = Object.values(nullable.getFields());
    right =
      depth > 2
        ? fc.constant({})
        : fc.record(Object.fromEntries(fields.map((f) => [f.name, valueFor(f.type, depth + 1)])), {
            requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
          });
  } else if (isScalarType(nullable)) {
    switch (nullable.name) {
      case 'ID':
        right = fc.constantFrom(...knownIds);
        break;
      case 'Int':
        right = fc.oneof(fc.integer({ min: -5, max: 250 }), fc.constantFrom(2 ** 31, -(2 ** 31) - 1));
        break;
      case 'Boolean':
        right = fc.boolean();
        break;
      case 'JSONObject':
        right = fc.oneof(fc.object({ maxDepth: 2 }), fc.constant({ text: 'a\u0000' }), fc.constant({ rating: 42 }));
        break;
      default:
        right = text;
    }
  } else right = wrong;
  return fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

/** A selection of some fields of an object type, a few levels deep, now and then a field that does not exist. */
function selection(type: GraphQLObjectType, depth: number): fc.Arbitrary<string> {
  const fields = Object.values(type.getFields()).filter((f) => f.args.every((a) => !isNonNullType(a.type)));
  const one = fc.constantFrom(...fields).chain((f) => {
    const named = getNamedType(f.type);
    if (isObjectType(named))
      return depth >= 3
        ? fc.constant('__typename')
        : selection(named, depth + 1).map((inner) => `${f.name} { ${inner} }`);
    return fc.constant(f.name);
  });
  return fc
    .array(fc.oneof({ weight: 9, arbitrary: one }, { weight: 1, arbitrary: fc.constant('notAField') }), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts) => parts.join(' '));
}

const operation = fc
  .constantFrom<'query' | 'mutation' | 'subscription'>('query', 'query', 'mutation', 'mutation', 'subscription')
  .chain((kind) => {
    const root = (
      kind === 'query'
        ? schema.getQueryType()
        : kind === 'mutation'
          ? schema.getMutationType()
          : schema.getSubscriptionType()
    )!;
    // Not generated: ending the fuzzer's own sessions and keys would leave every later request anonymous
    // (the authorization matrix covers them).
    const fields = Object.values(root.getFields()).filter((f) => !['logout', 'revokeApiKey'].includes(f.name));
    return fc.constantFrom(...fields).chain((field) => {
      const args = field.args as readonly GraphQLArgument[];
      const named = getNamedType(field.type);
      return fc.record({
        kind: fc.constant(kind),
        field: fc.constant(field.name),
        args: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record(Object.fromEntries(args.map((a) => [a.name, valueFor(a.type)])), {
              requiredKeys: args.filter((a) => isNonNullType(a.type)).map((a) => a.name),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record(Object.fromEntries(args.map((a) => [a.name, valueFor(a.type)])), { requiredKeys: [] }),
          },
        ),
        selection: isObjectType(named) ? selection(named, 1) : fc.constant(''),
        caller: fc.nat({ max: callers.length - 1 }),
        inline: fc.boolean(),
      });
    });
  });

function documentOf(op: typeof operation extends fc.Arbitrary<infer T> ? T : never): {
  query: string;
  variables: Record<string, unknown>;
} {
  const root = (
    op.kind === 'query'
      ? schema.getQueryType()
      : op.kind === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType()
  )!;
  const field = root.getFields()[op.field]!;
  const defs: string[] = [];
  const uses: string[] = [];
  for (const [name, value] of Object.entries(op.args)) {
    const arg = field.args.find((a) => a.name === name)!;
    if (op.inline && typeof value === 'string') {
      uses.push(`${name}: ${JSON.stringify(value)}`); // a literal (valid or not for the type)
    } else {
      defs.push(`$${name}: ${String(arg.type)}`);
      uses.push(`${name}: $${name}`);
    }
  }
  const query = `${op.kind} Fuzz${defs.length ? `(${defs.join(', ')})` : ''} { ${op.field}${uses.length ? `(${uses.join(', ')})` : ''}${op.selection ? ` { ${op.selection} }` : ''} }`;
  const variables = Object.fromEntries(
    Object.entries(op.args).filter(([, v]) => !(op.inline && typeof v === 'string')),
  );
  return { query, variables };
}

describe('fuzz', () => {
  it(`answers ${RUNS} generated requests with typed errors only; refused ones change nothing`, async () => {
    let refused = 0;
    let succeeded = 0;
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(operation, async (op) => {
        const { query, variables } = documentOf(op);
        const before = await fingerprint();
        const res = await s.gql(query, variables, callers[op.caller]);
        expect(res.status, query).toBeLessThan(500);
        for (const e of res.errors ?? []) {
          const code = String(e.extensions?.code);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          expect(TYPED.has(code), `${query} ${JSON.stringify(variables).slice(0, 300)} → ${JSON.stringify(e)}`).toBe(
            true,
          );
          expect(JSON.stringify(e)).not.toMatch(/stacktrace|\bat \S+ \(|node_modules/);
        }
        const nothing = !res.data || Object.values(res.data).every((v) => v === null);
        if (res.errors?.length && nothing) {
          refused++;
          expect(await fingerprint(), `refused but changed: ${query}`).toBe(before);
        } else succeeded++;
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261201), endOnFailure: true },
    );
    console.info(
      `[fuzz] ${RUNS} requests: ${succeeded} answered, ${refused} refused; codes: ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    expect(succeeded).toBeGreaterThan(RUNS / 20); // the generator reaches the use cases, not only the validator
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  }, 600_000);
});
