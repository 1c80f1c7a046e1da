// The GraphQL door's one table of errors. Expected failures (OrchestraError) keep their code, their
// reason and the original's message; GraphQL's own parse and validation errors keep theirs; anything
// else is an internal error whose details stay in the server log, never in the response.
//
// HTTP status policy (README "Errors and HTTP statuses"): a response that produced something (data
// for at least one root field) is 200, whatever errors came with it. A response that produced
// nothing — the request was refused as a whole, or every root field failed — takes the status of
// its first error's code, from the table below. So a code always maps to one status.
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, isDatabaseUnavailable, OrchestraError, Reason, serviceUnavailable } from '../kernel/errors.js';
import { logRateLimited } from '../log.js';
import { tokenLimitOf } from './limits.js';

/** Every code of ours → the HTTP status of a response that failed with it. A code missing here does not compile. */
export const STATUS_OF: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TASK_ASSIGNMENT_ERROR: 409,
  WORKER_CERTIFICATION_ERROR: 409,
  ILLEGAL_TASK_SUBMISSION: 409,
  TASK_STATUS_ERROR: 409,
  TASK_DEPENDENCY_ERROR: 409,
  PROJECT_STATUS_ERROR: 409,
  INVALID_REVERT_ERROR: 409,
  MACHINE_EXECUTION_ERROR: 409,
  CERTIFICATION_ERROR: 409,
  SLOW_SUBSCRIBER: 409,
  // A workflow's policy refused or failed for this input: the request was understood, not processable.
  QUERY_TOO_COMPLEX: 400,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
  REVIEW_POLICY_ERROR: 422,
  ASSIGNMENT_POLICY_ERROR: 422,
  CREATION_POLICY_ERROR: 422,
  WORKFLOW_ERROR: 500,
};

/** GraphQL's and Apollo's own codes, with the reason we give them. */
const FOREIGN: Record<string, { status: number; code?: ErrorCode; reason: Reason | 'INVALID_QUERY' }> = {
  GRAPHQL_PARSE_FAILED: { status: 400, reason: 'INVALID_QUERY' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, reason: 'INVALID_QUERY' },
  // Variables that do not fit their types: bad input like any other.
  BAD_USER_INPUT: { status: 400, code: ErrorCode.BAD_INPUT, reason: Reason.BAD_INPUT },
  BAD_REQUEST: { status: 400, reason: 'INVALID_QUERY' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, reason: 'INVALID_QUERY' },
  PERSISTED_QUERY_NOT_FOUND: { status: 400, reason: 'INVALID_QUERY' },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 400, reason: 'INVALID_QUERY' },
};

const INTERNAL = { code: 'INTERNAL_SERVER_ERROR', status: 500 };

/** Extensions of one of our errors: its facts first, so they can never overwrite its code and reason. */
const extensionsOf = (error: OrchestraError) => ({ ...error.details, code: error.code, reason: error.reason });

/** An OrchestraError raised before execution (e.g. bad credentials): a GraphQLError that carries its status. */
export function toGraphQLError(error: OrchestraError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { ...extensionsOf(error), http: { status: STATUS_OF[error.code] } },
  });
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  let original = unwrapResolverError(error);
  // Refusals of our validation rules (limits) and guards arrive wrapped by Apollo: theirs is the cause.
  if (original instanceof GraphQLError && original.originalError instanceof OrchestraError)
    original = original.originalError;
  if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED') original = tokenLimitOf(formatted.message) ?? original;
  if (isDatabaseUnavailable(original)) {
    logRateLimited('graphql:db', '[graphql] the database cannot be reached: answering SERVICE_UNAVAILABLE');
    original = serviceUnavailable();
  }
  if (original instanceof OrchestraError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: extensionsOf(original),
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code !== INTERNAL.code) {
    // GraphQL parse, validation and variable errors, and errors of ours made as GraphQLErrors (limits,
    // guards): typed already; drop any stack trace.
    const { stacktrace: _drop, http: _http, ...extensions } = formatted.extensions ?? {};
    const foreign = FOREIGN[code];
    return {
      ...formatted,
      extensions: { ...extensions, code: foreign?.code ?? code, reason: extensions.reason ?? foreign?.reason ?? code },
    };
  }
  console.error('[graphql] internal error:', original);
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: INTERNAL.code, reason: 'INTERNAL' },
  };
}

/** The HTTP status of an error as formatted above. */
export function statusOfFormatted(error: GraphQLFormattedError): number {
  const code = error.extensions?.code;
  if (typeof code !== 'string') return INTERNAL.status;
  return (
    (STATUS_OF as Record<string, number>)[code] ??
    FOREIGN[code]?.status ??
    (code === INTERNAL.code ? INTERNAL.status : 400)
  );
}

/** Applies the status policy: a response that produced nothing takes its first error's status. */
export const httpStatusPolicy: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const { data, errors } = response.body.singleResult;
        if (!errors?.length) return;
        const failedRoots = new Set(errors.filter((e) => e.path?.length === 1).map((e) => e.path![0]));
        const producedNothing =
          data == null || Object.entries(data).every(([key, value]) => value === null && failedRoots.has(key));
        // A status set already (405 for a mutation over GET, 413, …) is the transport's own answer: kept.
        if (producedNothing && (response.http.status ?? 200) === 200)
          response.http.status = statusOfFormatted(errors[0]!);
      },
    };
  },
};
