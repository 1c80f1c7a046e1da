// schema.graphql is what the server serves: this fails when someone changes the API without
// regenerating it (`npm run schema`).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { schemaSDL } from '../../server/graphql/schema.js';

describe('schema.graphql', () => {
  it('matches the schema the server builds (run `npm run schema` after changing the API)', async () => {
    const committed = fs.readFileSync(path.join(PROJECT_ROOT, 'schema.graphql'), 'utf8');
    expect(await schemaSDL()).toBe(committed);
  });
});
