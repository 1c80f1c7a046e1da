// Lint: typescript-eslint with type information, and the import fences that keep the layers
// pointing one way (docs/architecture.md "Layers"):
//   kernel      imports nothing of ours
//   workflow/   the kernel only (workflow definitions are plain code; the server loads them without the app)
//   the engine  (every module that is not a door) imports no resolver, GraphQL or HTTP module
//   resolvers   import no SQL module: they call services and read use cases
//   workflows/  a workflow definition imports the definition API only
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const fence = (patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });

/** Modules that talk SQL or hold the ORM: the engine's own, never a door's. */
const SQL_MODULES = {
  group: [
    '**/db/*',
    '**/lifecycle/load.js',
    '**/lifecycle/pool.js',
    '**/lifecycle/transaction.js',
    '**/lifecycle/progress.js',
    '**/lifecycle/assign.js',
    '**/events/outbox.js',
    '**/events/stream.js',
    '**/events/consumers.js',
    '@mikro-orm/*',
    'pg',
    'dataloader',
  ],
  allowTypeImports: true,
  message: 'Resolvers translate: call a service or a read use case instead of reading or writing the database here.',
};

const DOORS = {
  group: ['**/*.resolver.js', '**/graphql/*', '**/http/*', '**/cli.js', '**/main.js', '**/app.js'],
  message: 'The engine imports no door (resolvers, GraphQL, HTTP, CLI, the composition root): the doors import it.',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'client/**', 'coverage/**', 'build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // The engine (kernel/ and workflow/ get stricter fences below: a later block's options win): everything of the server but its doors and the composition root.
    files: ['server/**/*.ts'],
    ignores: [
      'server/**/*.resolver.ts',
      'server/graphql/**',
      'server/http/**',
      'server/cli.ts',
      'server/main.ts',
      'server/app.ts',
      'server/**/*.test.ts',
    ],
    rules: fence([DOORS]),
  },
  {
    files: ['server/kernel/**/*.ts'],
    rules: fence([{ group: ['../*', '../**'], message: 'The kernel imports nothing of ours.' }]),
  },
  {
    files: ['server/workflow/**/*.ts'],
    ignores: ['server/workflow/**/*.test.ts'],
    rules: fence([{ regex: '^\\.\\./(?!kernel/)', message: 'workflow/ imports the kernel only.' }]),
  },
  {
    files: ['server/**/*.resolver.ts', 'server/graphql/**/*.ts'],
    rules: fence([SQL_MODULES]),
  },
  {
    files: ['workflows/*/workflow.ts'],
    rules: fence([
      {
        regex: '(^|/)server/(?!workflow/definition\\.js$)|(^|/)client/|^svelte(/|$)|\\.svelte$',
        message:
          'A workflow definition imports the definition API only (server/workflow/definition.js): the server loads it without the app.',
      },
    ]),
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } } },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
);
