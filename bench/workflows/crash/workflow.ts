// The crash test's workflow (bench/crash.ts): a human step, then a machine step that takes a while,
// so that server kills land in the middle of both.
import { defineWorkflow } from '../../../server/workflow/definition.js';

export default defineWorkflow({
  slug: 'crash',
  name: 'Crash test',
  versions: [
    {
      slug: 'v1',
      name: 'Work, then process',
      steps: [
        { kind: 'human', slug: 'work', name: 'Work', reviewPolicy: { policy: 'no_review' } },
        {
          kind: 'machine',
          slug: 'process',
          name: 'Process',
          creationDependsOn: ['work'],
          maxAttempts: 10,
          run: async (_data, prerequisites, context) => {
            await new Promise((resolve, reject) => {
              const timer = setTimeout(resolve, 400);
              context.signal.addEventListener('abort', () => (clearTimeout(timer), reject(context.signal.reason)));
            });
            return { processed: prerequisites.work ?? null, attempt: context.attempt };
          },
        },
      ],
    },
  ],
});
