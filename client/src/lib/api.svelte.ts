// The app's one connection to Orchestra: urql over HTTP for queries and mutations, graphql-ws for
// subscriptions, both authenticated by the session cookie. Queries always go to the network (no
// document cache): the app refetches what an event says changed, so nothing shows stale data.
import { Client, CombinedError, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export type Connection = 'connecting' | 'live' | 'reconnecting';

/**
 * Whether subscriptions are flowing: shown in the header, so a worker knows the page is live — on
 * pages that follow something (`following` live views); a page with none has nothing to be live.
 */
export const connection = $state<{ status: Connection; following: number }>({ status: 'connecting', following: 0 });

let ws: WsClient | null = null;
let client: Client | null = null;

function socket(): WsClient {
  if (!ws) {
    const url = new URL('/graphql', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = createWsClient({
      url: url.toString(),
      lazy: true,
      // No retries inside graphql-ws: each live view resubscribes itself from the last event it saw
      // (see live.ts), so a dropped connection catches up by cursor instead of starting over.
      retryAttempts: 0,
      keepAlive: 15_000,
      on: {
        connecting: () => {
          if (connection.status !== 'live') connection.status = 'connecting';
        },
        connected: () => (connection.status = 'live'),
        closed: () => (connection.status = 'reconnecting'),
      },
    });
  }
  return ws;
}

/** The urql client (created on first use, in the browser only: the app renders client-side). */
export function api(): Client {
  client ??= new Client({
    url: '/graphql',
    // Apollo's CSRF prevention refuses simple GET requests; POST with JSON is what it accepts.
    preferGetMethod: false,
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = socket().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return client;
}

/** After sign-out: close the socket, so that nothing of the old session stays open. */
export function disconnect(): void {
  void ws?.dispose();
  ws = null;
  connection.status = 'connecting';
}

export interface FieldError {
  field: string;
  message: string;
}

/** The first GraphQL error's extensions (code, reason and facts such as `fields`). */
export function extensionsOf(error: CombinedError | undefined): Record<string, unknown> {
  return (error?.graphQLErrors[0]?.extensions as Record<string, unknown> | undefined) ?? {};
}

/** The sentence to show for a failed request: the server's own message, or what went wrong on the way. */
export function messageOf(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) return first.message;
  const status = (error.response as Response | undefined)?.status;
  if (status === 503) return 'Orchestra is unavailable for a moment (its database cannot be reached). Try again soon.';
  if (status === 429) return 'Too many requests: wait a moment and try again.';
  return 'Orchestra cannot be reached: check your connection and try again.';
}

/** The fields the server found a problem with (FIELD_ERRORS), by field name. */
export function fieldErrorsOf(error: CombinedError | undefined): Record<string, string> {
  const fields = extensionsOf(error).fields;
  const out: Record<string, string> = {};
  if (Array.isArray(fields)) for (const f of fields as FieldError[]) out[f.field] = f.message;
  return out;
}

/** The session is gone (signed out elsewhere, expired, revoked): the app sends the worker to sign in. */
export function sessionEnded(error: CombinedError): boolean {
  const code = extensionsOf(error).code;
  const close = (error.networkError as unknown as { code?: number } | undefined)?.code;
  return code === 'UNAUTHENTICATED' || close === 4403;
}
