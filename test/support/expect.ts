// Shared assertions: a use case refused (typed error, nothing changed), and GraphQL answers read as
// a user of the API reads them (the data, or the one error with its code).
import { expect } from 'vitest';
import { OrchestraError } from '../../server/kernel/errors.js';
import { dbState } from './db-state.js';
import type { Harness } from './harness.js';
import type { GqlResponse } from './server.js';

/** Runs an attempt that must fail; a synchronous throw counts as a failure too (use cases always reject). */
export async function failure(attempt: () => Promise<unknown>): Promise<unknown> {
  return Promise.resolve()
    .then(attempt)
    .then(
      () => null,
      (e: unknown) => e,
    );
}

/**
 * The attempt fails with a typed error matching `expected` (code, message, reason, details), and every
 * domain row, the outbox and the job queue are as they were.
 */
export async function expectRefused(
  h: Harness,
  attempt: () => Promise<unknown>,
  expected: { code: string; message?: string | RegExp; reason?: string; details?: Record<string, unknown> },
): Promise<OrchestraError> {
  const before = await dbState(h);
  const error = await failure(attempt);
  expect(error, 'the attempt should have failed').toBeInstanceOf(OrchestraError);
  const { message, ...rest } = expected;
  expect(error).toMatchObject(rest);
  if (message !== undefined)
    expect((error as OrchestraError).message).toMatch(
      message instanceof RegExp ? message : new RegExp(`^${escape(message)}$`),
    );
  expect(await dbState(h), 'a refused attempt must change nothing').toEqual(before);
  return error as OrchestraError;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rows in the outbox. */
export async function eventCount(h: Harness, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: string }>(
    `select count(*) as n from domain_event where ${where}`,
    params,
  );
  return Number(rows[0]!.n);
}

/** The data of a successful operation (HTTP 200, no errors). */
export function ok<T = Record<string, any>>(res: GqlResponse<T>): T {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  expect(res.status).toBe(200);
  return res.data!;
}

/** The one error of a failed operation (and that nothing came back with it). */
export function errorOf(res: GqlResponse): { code: string | undefined; message: string } {
  expect(res.errors, 'expected an error').toHaveLength(1);
  return { code: res.errors![0]!.extensions?.code, message: res.errors![0]!.message };
}

/** A refused operation: one error with the code (and message), no stack trace, no data. */
export function expectGqlRefused(res: GqlResponse, code: string, message?: string | RegExp): void {
  expect(res.errors, JSON.stringify(res.errors)).toHaveLength(1);
  const [error] = res.errors!;
  expect(error!.extensions?.code).toBe(code);
  expect(error!.extensions).not.toHaveProperty('stacktrace');
  if (message !== undefined) expect(error!.message).toMatch(message);
  expect(res.data).toBeNull();
}
