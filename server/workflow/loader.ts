// Loads workflow definitions from code: every sub-folder of the workflows directory holds a
// `workflow.ts` whose default export (or named export `workflow`) is the definition.
// Folders starting with "." or "_" are skipped (helpers, fixtures). Like validation, loading
// reports every problem at once instead of stopping at the first broken folder.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { COMPILED, PROJECT_ROOT } from '../kernel/paths.js';

import { WorkflowRegistry, WorkflowValidationError } from './registry.js';
import type { Problem } from './validate.js';

export async function loadWorkflowDefinitions(dir: string): Promise<unknown[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new WorkflowValidationError([
      { path: dir, message: `cannot read workflow directory: ${(error as Error).message}` },
    ]);
  }
  const folders = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !entry.name.startsWith('_'))
    .map((entry) => entry.name)
    .sort();

  const definitions: unknown[] = [];
  const problems: Problem[] = [];
  for (const folder of folders) {
    const file = path.join(dir, folder, 'workflow.ts');
    if (!existsSync(file)) {
      problems.push({ path: folder, message: 'no workflow.ts' });
      continue;
    }
    let module: Record<string, unknown>;
    try {
      module = await importWorkflow(file);
    } catch (error) {
      problems.push({ path: folder, message: `workflow.ts failed to load: ${(error as Error).message}` });
      continue;
    }
    const definition = module.default ?? module.workflow;
    if (definition === undefined) {
      problems.push({
        path: folder,
        message: 'workflow.ts has neither a default export nor an export named "workflow"',
      });
    } else {
      definitions.push(definition);
    }
  }
  if (problems.length > 0) throw new WorkflowValidationError(problems);
  return definitions;
}

export async function loadRegistry(dir: string): Promise<WorkflowRegistry> {
  return new WorkflowRegistry(await loadWorkflowDefinitions(dir));
}

let typeScriptLoader = false;

/**
 * A workflow.ts as a module. From the sources, swc-node (already loaded) compiles it. The compiled build
 * (dist/) holds the project's own workflows, compiled with the server: their copies are used, so they
 * share the server's modules. Workflows from elsewhere (ORCHESTRA_WORKFLOWS_DIR) get swc-node's loader
 * registered on first need.
 */
async function importWorkflow(file: string): Promise<Record<string, unknown>> {
  if (COMPILED) {
    const relative = path.relative(PROJECT_ROOT, file);
    const compiled = path.join(PROJECT_ROOT, 'dist', relative.replace(/\.ts$/, '.js'));
    if (!relative.startsWith('..') && existsSync(compiled)) return import(pathToFileURL(compiled).href);
    if (!typeScriptLoader) {
      register('@swc-node/register/esm', import.meta.url);
      typeScriptLoader = true;
    }
  }
  return import(pathToFileURL(file).href);
}
