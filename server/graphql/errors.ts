// The one place where errors become GraphQL errors. Expected failures (OrchestraError) keep their
// code and the original's message; GraphQL's own validation errors keep theirs; anything else is an
// internal error whose details stay in the server log, never in the response.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, OrchestraError } from '../lifecycle/errors.js';

/** HTTP status for errors raised before execution (e.g. bad credentials in the context). */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401 };

export function toGraphQLError(error: OrchestraError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, ...(error.details ?? {}), ...(HTTP_STATUS[error.code] ? { http: { status: HTTP_STATUS[error.code] } } : {}) },
  });
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof OrchestraError) {
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { code: original.code, ...(original.details ?? {}) } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    // GraphQL validation, parse and bad-input errors: typed already; drop any stack trace.
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  console.error('[graphql] internal error:', original);
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
