import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run client:dev`: the app with hot reload on :5173, the API of an `npm start` running on :4000
// (or $ORCHESTRA_API) behind it, subscriptions too.
const api = process.env.ORCHESTRA_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    host: '127.0.0.1',
    // Step UIs live in ../workflows: the dev server may serve them.
    fs: { allow: ['..'] },
    proxy: { '/graphql': { target: api, ws: true, changeOrigin: false } },
  },
  build: { target: 'es2022' },
});
