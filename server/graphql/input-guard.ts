// Input PostgreSQL cannot store, or that would cost a parser its stack, refused up front as bad input
// wherever it appears in a request — the variables (keys too, e.g. of task data) and the query's string
// literals — over HTTP and WebSocket alike: NUL characters (U+0000), lone UTF-16 surrogates (jsonb
// refuses both), and JSON nested deeper than any form of ours needs. And subscriptions sent over HTTP,
// which are served over WebSocket.
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import { badInput, Reason, type OrchestraError } from '../kernel/errors.js';

export const MAX_JSON_DEPTH = 32;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): OrchestraError | null {
  if (NUL.test(text)) return badInput('Text must not contain NUL (\\u0000) characters.');
  if (LONE_SURROGATE.test(text))
    return badInput('Text must be valid Unicode: a lone surrogate (\\uD800–\\uDFFF) was found.');
  return null;
}

/** The first problem of a JSON value, looked at without recursion (a hostile value may be nested 100,000 deep). */
export function jsonProblem(value: unknown): OrchestraError | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return problem;
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_JSON_DEPTH) {
        return badInput(
          `JSON input must not be nested more than ${MAX_JSON_DEPTH} levels deep.`,
          { max: MAX_JSON_DEPTH },
          Reason.TOO_LARGE,
        );
      }
      if (Array.isArray(v)) for (const item of v) stack.push({ value: item, depth: depth + 1 });
      else
        for (const [key, item] of Object.entries(v)) {
          const problem = textProblem(key);
          if (problem) return problem;
          stack.push({ value: item, depth: depth + 1 });
        }
    }
  }
  return null;
}

/**
 * Documents found clean. Apollo reuses one parsed document for every request with the same text, and
 * its strings do not change, so it is walked once (a walk per request was about 1 % of the GraphQL
 * server's profile); a document with a problem is walked again each time, for an error of its own.
 */
const cleanDocuments = new WeakSet<DocumentNode>();

function documentProblem(document: DocumentNode): OrchestraError | null {
  if (cleanDocuments.has(document)) return null;
  let found: OrchestraError | null = null;
  visit(document, {
    [Kind.STRING]: (node) => {
      found ??= textProblem(node.value);
    },
  });
  if (!found) cleanDocuments.add(document);
  return found;
}

/** What a request must not carry, whichever door it came through; null when it is fine. */
export function requestProblem(document: DocumentNode, variables: unknown): OrchestraError | null {
  return jsonProblem(variables ?? {}) ?? documentProblem(document);
}

const asGraphQLError = (e: OrchestraError) =>
  new GraphQLError(e.message, {
    originalError: e,
    extensions: { ...e.details, code: e.code, reason: e.reason, http: { status: 400 } },
  });

export const inputGuard: ApolloServerPlugin<any> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, operation }) {
        if (operation?.operation === 'subscription') {
          throw asGraphQLError(
            badInput('Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.'),
          );
        }
        const problem = requestProblem(document, request.variables);
        if (problem) throw asGraphQLError(problem);
      },
    };
  },
};
