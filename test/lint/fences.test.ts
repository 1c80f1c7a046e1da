// The import fences of eslint.config.js (docs/architecture.md "Layers") fail on the violations they
// exist for, and let the allowed imports through. Each case is linted as a file at that path.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';

// Type information is not needed for import rules; without it each file lints in milliseconds.
const eslint = new ESLint({
  cwd: PROJECT_ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === '@typescript-eslint/no-restricted-imports',
});

async function fenceMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${PROJECT_ROOT}/${file}` });
  return result!.messages.map((m) => m.message);
}

const CASES: { file: string; code: string; refused: RegExp | null }[] = [
  {
    file: 'server/kernel/probe.ts',
    code: `import { transact } from '../lifecycle/transaction.js';`,
    refused: /kernel imports nothing of ours/,
  },
  { file: 'server/kernel/probe.ts', code: `import { refuse } from './errors.js';`, refused: null },
  {
    file: 'server/workflow/probe.ts',
    code: `import { Task } from '../tasks/task.entity.js';`,
    refused: /workflow\/ imports the kernel only/,
  },
  { file: 'server/workflow/probe.ts', code: `import { EVENT_TYPES } from '../kernel/events.js';`, refused: null },
  {
    file: 'server/lifecycle/probe.ts',
    code: `import { parseId } from '../graphql/connection.js';`,
    refused: /engine imports no door/,
  },
  {
    file: 'server/lifecycle/probe.ts',
    code: `import { TaskResolver } from '../tasks/task.resolver.js';`,
    refused: /engine imports no door/,
  },
  {
    file: 'server/tasks/probe.queries.ts',
    code: `import { startHttpServer } from '../http/server.js';`,
    refused: /engine imports no door/,
  },
  {
    file: 'server/tasks/probe.resolver.ts',
    code: `import { lockTask } from '../lifecycle/load.js';`,
    refused: /Resolvers translate/,
  },
  {
    file: 'server/tasks/probe.resolver.ts',
    code: `import { EntityManager } from '@mikro-orm/postgresql';`,
    refused: /Resolvers translate/,
  },
  {
    file: 'server/graphql/probe.ts',
    code: `import { openDatabase } from '../db/database.js';`,
    refused: /Resolvers translate/,
  },
  {
    file: 'server/tasks/probe.resolver.ts',
    code: `import type { EntityManager } from '@mikro-orm/postgresql';`,
    refused: null,
  },
  {
    file: 'server/tasks/probe.resolver.ts',
    code: `import { SubmitAction } from '../lifecycle/rules.js';`,
    refused: null,
  },
  {
    file: 'workflows/probe/workflow.ts',
    code: `import { startOrchestra } from '../../server/app.js';`,
    refused: /definition API only/,
  },
  {
    file: 'workflows/probe/workflow.ts',
    code: `import Editor from './ui/Editor.svelte';`,
    refused: /definition API only/,
  },
  {
    file: 'workflows/probe/workflow.ts',
    code: `import { defineWorkflow } from '../../server/workflow/definition.js';`,
    refused: null,
  },
];

describe('import fences', () => {
  it.each(CASES)('$file: $code', async ({ file, code, refused }) => {
    const messages = await fenceMessages(file, code);
    if (refused) expect(messages.join('\n')).toMatch(refused);
    else expect(messages).toEqual([]);
  });
});
