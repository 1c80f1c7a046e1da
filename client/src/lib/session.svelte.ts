// Who is signed in, and the one-line notices that survive a navigation ("Submitted: …").
import { goto } from '$app/navigation';
import { api, disconnect } from './api.svelte';
import { LogoutMutation } from './operations';

export const notice = $state<{ text: string | null }>({ text: null });

/** Shows a notice on the next page (and reads it once there). */
export function flash(text: string): void {
  notice.text = text;
}

/** The path to come back to after signing in. */
export function signInPath(here: URL): string {
  const back = here.pathname + here.search;
  return back === '/' || back.startsWith('/signin') ? '/signin' : `/signin?next=${encodeURIComponent(back)}`;
}

/** Where `next` may send the worker after signing in: a path of this app only, never another site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export async function signOut(): Promise<void> {
  await api().mutation(LogoutMutation, {}).toPromise();
  disconnect();
  await goto('/signin', { invalidateAll: true });
}

/** The session ended while a page was open (expired, revoked, signed out in another tab). */
export async function sessionLost(): Promise<void> {
  disconnect();
  flash('Your session ended: sign in again to go on.');
  await goto(signInPath(new URL(location.href)), { invalidateAll: true });
}
