// Every page renders in the browser and needs a session, but those of getting in (sign in, sign up,
// activation, forgotten password): without one, the worker is sent to sign in and brought back afterwards. (A stale session cookie is cleared by the server, so it
// reads as "not signed in", never as a dead end.)
import { error, redirect } from '@sveltejs/kit';
import { api, messageOf } from '$lib/api.svelte';
import { ViewerQuery } from '$lib/operations';
import { signInPath } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

export const ssr = false;
/** Pages for people who are not signed in (yet). */
const PUBLIC_PATHS = new Set(['/signin', '/signup', '/activate', '/forgot', '/reset']);
export const prerender = false;

export const load: LayoutLoad = async ({ url, depends }) => {
  depends('app:viewer');
  const result = await api().query(ViewerQuery, {}).toPromise();
  if (result.error) error(503, messageOf(result.error));
  const viewer = result.data?.viewer ?? null;
  if (!viewer && !PUBLIC_PATHS.has(url.pathname)) redirect(307, signInPath(url));
  return { viewer };
};
