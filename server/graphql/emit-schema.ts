// `npm run schema`: writes schema.graphql (committed; a test fails when it is stale).
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import { schemaSDL } from './schema.js';

const file = path.join(PROJECT_ROOT, 'schema.graphql');
fs.writeFileSync(file, await schemaSDL());
process.stdout.write(`Wrote ${path.relative(process.cwd(), file)}\n`);
