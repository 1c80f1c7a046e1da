import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';

import { loadRegistry, loadWorkflowDefinitions } from './loader.js';
import { WorkflowValidationError } from './registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const definitionPath = path.join(here, 'definition.ts');
// Inside the project (not the OS temp dir) so that workflow.ts files are transformed like project code.
const root = path.resolve(here, '../../test', `.tmp-workflows-${randomBytes(4).toString('hex')}`);

function folder(name: string, workflowTs?: string): void {
  mkdirSync(path.join(root, name), { recursive: true });
  if (workflowTs !== undefined) writeFileSync(path.join(root, name, 'workflow.ts'), workflowTs);
}

folder(
  'simple',
  `import { defineWorkflow } from ${JSON.stringify(definitionPath)};
export default defineWorkflow({
  slug: 'simple',
  name: 'Simple',
  versions: [{ slug: 'v1', name: 'V1', steps: [{ slug: 'write', name: 'Write', kind: 'human' }] }],
});
`,
);
folder('_helpers'); // skipped: starts with "_"
folder('.cache'); // skipped: starts with "."

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadWorkflowDefinitions', () => {
  it('loads the default export of every workflow folder', async () => {
    const registry = await loadRegistry(root);
    expect(registry.workflows().map((w) => w.slug)).toEqual(['simple']);
    expect(registry.version('simple', 'v1')!.steps.map((s) => s.slug)).toEqual(['write']);
  });

  it('reports every broken folder at once', async () => {
    folder('empty');
    folder('no_export', `export const something = 1;\n`);
    const error = await loadWorkflowDefinitions(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).problems).toEqual([
      { path: 'empty', message: 'no workflow.ts' },
      { path: 'no_export', message: 'workflow.ts has neither a default export nor an export named "workflow"' },
    ]);
  });

  it('reports a missing directory', async () => {
    await expect(loadWorkflowDefinitions(path.join(root, 'missing'))).rejects.toBeInstanceOf(WorkflowValidationError);
  });
});
