// The worker app's GraphQL documents (client/src/lib/operations.ts, every one of them) are valid
// against the committed schema: a schema change that breaks the app fails here, as well as in
// `npm run client:check`, where svelte-check types each result from schema.graphql.
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, Kind, validate, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import * as operations from '../../client/src/lib/operations.js';

const schema = buildSchema(fs.readFileSync(path.join(PROJECT_ROOT, 'schema.graphql'), 'utf8'));
// Operations only: a fragment is checked inside the operations that spread it.
const documents = (Object.entries(operations) as [string, DocumentNode][]).filter(([, d]) =>
  d.definitions.some((def) => def.kind === Kind.OPERATION_DEFINITION),
);

describe('the worker app’s operations', () => {
  it('are all here', () => {
    expect(documents.length).toBeGreaterThan(10);
  });

  it.each(documents)('%s is valid against schema.graphql', (_name, document) => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });

  it('would fail on a field the schema no longer has', () => {
    const broken = buildSchema(
      fs
        .readFileSync(path.join(PROJECT_ROOT, 'schema.graphql'), 'utf8')
        .replace('  shortDescription: String!\n', '  shortDescriptionRenamed: String!\n'),
    );
    const failures = documents.filter(([, d]) => validate(broken, d).length > 0).map(([n]) => n);
    expect(failures).toEqual(expect.arrayContaining(['DashboardQuery', 'TaskPageQuery']));
  });
});
