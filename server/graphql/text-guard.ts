// PostgreSQL cannot store a NUL character (U+0000) in text or jsonb: such input would fail deep in
// a use case as a database error. Refuse it up front, as bad input, wherever it appears in a
// request: in the variables (keys too, e.g. of task data) or in the query's string literals.
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';

const NUL = '\u0000';

export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) return value.some(containsNul);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).some(([k, v]) => k.includes(NUL) || containsNul(v));
  return false;
}

function documentContainsNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (node.value.includes(NUL)) found = true;
    },
  });
  return found;
}

export const nulTextGuard: ApolloServerPlugin<any> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        if (containsNul(request.variables) || documentContainsNul(document)) {
          throw new GraphQLError('Text must not contain NUL (\\u0000) characters.', {
            extensions: { code: 'BAD_INPUT', http: { status: 400 } },
          });
        }
      },
    };
  },
};
