#!/usr/bin/env node
// `orchestra` (npx orchestra …, npm start): runs the compiled build in dist/ (bin/build.js), building it
// first when it is missing or older than its sources, and saying so. With ORCHESTRA_FROM_SOURCE=1 it
// runs the TypeScript sources through swc-node instead (as the tests do), compiling on every start.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.SWC_NODE_PROJECT ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
process.setSourceMapsEnabled(true); // stack traces name the .ts files and lines
let cli;
if (process.env.ORCHESTRA_FROM_SOURCE === '1') {
  register('@swc-node/register/esm', import.meta.url);
  cli = '../server/cli.ts';
} else {
  const { ensureServerBuild } = await import('./build.js');
  await ensureServerBuild((m) => process.stderr.write(`${m}\n`));
  cli = '../dist/server/cli.js';
}
const { main } = await import(cli);
await main();
