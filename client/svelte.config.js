// The worker app: SvelteKit 2 with Svelte 5, built by adapter-node into client/build, whose handler
// the Orchestra server mounts behind its own routes (server/http/app.ts). Pages render in the browser
// (ssr is off): they read everything through the GraphQL API, live through graphql-ws.
import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build', precompress: true }),
    typescript: {
      // svelte-check checks the workflows' step UIs with the app (paths are relative to .svelte-kit/).
      config: (config) => {
        config.include.push('../../workflows/*/ui/**/*.svelte', '../../workflows/*/ui/**/*.ts');
      },
    },
    alias: {
      // Step UIs of workflows (workflows/<slug>/ui/*.svelte) are part of the app.
      $workflows: '../workflows',
    },
  },
};
