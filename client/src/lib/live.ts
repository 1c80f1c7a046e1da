// A live view's subscription that survives dropped connections: it remembers the cursor of the last
// event it handled and, when the socket drops, subscribes again after that cursor with a growing
// delay, so the server replays exactly what was missed. An error the server gives (no access any
// more) ends it; a lost session goes to sign-in.
import type { AnyVariables, CombinedError, DocumentInput } from '@urql/core';
import { onEnd, pipe, subscribe } from 'wonka';
import { api, connection, sessionEnded } from './api.svelte';

export interface FollowOptions<Data> {
  /** Called with each event. */
  next(data: Data): void;
  /** The server refused the subscription (e.g. the viewer lost access). */
  refused?(error: CombinedError): void;
  /** The session ended: sign in again. */
  signedOut?(): void;
}

export function follow<Data, Variables extends AnyVariables>(
  document: DocumentInput<Data, Variables>,
  variables: () => Variables,
  options: FollowOptions<Data>,
): () => void {
  let stopped = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: { unsubscribe(): void } | null = null;

  const retry = () => {
    current = null;
    if (stopped) return;
    const delay = Math.min(15_000, 500 * 2 ** failures++) * (0.75 + Math.random() / 2);
    timer = setTimeout(start, delay);
  };

  function start() {
    if (stopped) return;
    let failed = false;
    current = pipe(
      api().subscription(document, variables()),
      onEnd(() => {
        if (!failed) retry(); // the server ended the stream (e.g. it is shutting down): come back
      }),
      subscribe((result) => {
        if (result.error) {
          failed = true;
          current?.unsubscribe();
          if (sessionEnded(result.error)) return options.signedOut?.();
          if (result.error.networkError) return retry();
          stopped = true;
          return options.refused?.(result.error);
        }
        failures = 0;
        if (result.data) options.next(result.data);
      }),
    );
  }

  start();
  connection.following++;
  let counted = true;
  return () => {
    if (counted) connection.following--;
    counted = false;
    stopped = true;
    clearTimeout(timer);
    current?.unsubscribe();
  };
}
