// graphql-ws clients for tests: subscribe over a real WebSocket and collect what arrives.
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

export interface Collected<T> {
  items: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves when at least n items arrived (rejects after the timeout). */
  waitFor(n: number, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

export function wsClient(
  httpUrl: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Client {
  return createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    },
    connectionParams: params,
    retryAttempts: 0,
    lazy: true,
  });
}

/** An error as a person reads it: a socket's close code and reason (a CloseEvent stringifies to `{}`). */
const describe = (error: unknown): string => {
  const e = error as { code?: number; reason?: string; message?: string };
  if (typeof e?.code === 'number') return `socket closed ${e.code}${e.reason ? ` ${e.reason}` : ''}`;
  return e?.message ?? JSON.stringify(error);
};

export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  const items: T[] = [];
  const errors: unknown[] = [];
  const waiters: (() => void)[] = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const result: Collected<T> = {
    items,
    errors,
    completed: false,
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${n} items, got ${items.length}: ${JSON.stringify(items)}`)),
          timeoutMs,
        );
        const check = () => {
          if (items.length >= n) {
            clearTimeout(timer);
            resolve(items.slice());
          } else if (errors.length || result.completed) {
            clearTimeout(timer);
            reject(new Error(`subscription ended after ${items.length} items: ${errors.map(describe).join('; ')}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    stop: () => unsubscribe(),
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        if (value.data) items.push(value.data as T);
        notify();
      },
      error: (e) => {
        errors.push(e);
        notify();
      },
      complete: () => {
        result.completed = true;
        notify();
      },
    },
  );
  return result;
}
