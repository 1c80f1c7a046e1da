// Where the project is, whichever runs: the TypeScript sources (server/…, through swc-node: tests,
// ORCHESTRA_FROM_SOURCE=1) or the compiled build (dist/server/…, bin/build.js: npm start, production).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** True when this process runs the compiled build in dist/. */
export const COMPILED = path.basename(path.dirname(SERVER)) === 'dist';
/** The project's folder (where .data/, client/ and workflows/ are). */
export const PROJECT_ROOT = path.resolve(SERVER, COMPILED ? '../..' : '..');
