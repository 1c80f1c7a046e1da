#!/usr/bin/env node
// Runs the TypeScript CLI through swc-node, which keeps the decorator metadata MikroORM needs.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('@swc-node/register/esm', pathToFileURL('./'));
// cli.ts runs itself only when it is the entry script: here it is imported, so start it.
const { main } = await import('../server/cli.ts');
await main();
