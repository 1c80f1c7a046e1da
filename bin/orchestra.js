#!/usr/bin/env node
// `orchestra` (npx orchestra …): runs the TypeScript CLI through swc-node, which keeps the decorator
// metadata MikroORM and type-graphql need. swc-node reads the project's tsconfig: point it there, so
// the command works from any directory.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.SWC_NODE_PROJECT ??= fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register('@swc-node/register/esm', import.meta.url);
const { main } = await import('../server/cli.ts');
await main();
