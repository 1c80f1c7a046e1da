#!/usr/bin/env node
// Runs the TypeScript CLI through swc-node, which keeps the decorator metadata MikroORM needs.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('@swc-node/register/esm', pathToFileURL('./'));
await import('../server/cli.ts');
