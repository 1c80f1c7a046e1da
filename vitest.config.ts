import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 has no `exports` map: without this, two copies load and schemas break ("another realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts', 'workflows/**/*.test.ts', 'client/src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/count-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files share one PostgreSQL server but each file gets its own database (see test/support/db.ts).
    fileParallelism: true,
    maxWorkers: 2,
  },
});
