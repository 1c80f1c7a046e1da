// A machine step caught by a crash, for tests with real worker processes
// (ORCHESTRA_WORKFLOWS_DIR=test/workflows/crashy): its first attempt announces itself in the file named
// by CRASH_LOG and then runs for 8 seconds — long enough to be killed; later attempts finish at once.
import fs from 'node:fs';
import { defineWorkflow } from '../../../../server/workflow/definition.js';

export default defineWorkflow({
  slug: 'crashy',
  name: 'Crashy',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        {
          kind: 'machine',
          slug: 'slow',
          name: 'Slow',
          maxAttempts: 5,
          run: async (_data, _prerequisites, context) => {
            if (process.env.CRASH_LOG)
              fs.appendFileSync(
                process.env.CRASH_LOG,
                `${JSON.stringify({ task: context.taskId, attempt: context.attempt, pid: process.pid })}\n`,
              );
            if (context.attempt === 1) {
              await new Promise((resolve, reject) => {
                const timer = setTimeout(resolve, 8000);
                context.signal.addEventListener('abort', () => (clearTimeout(timer), reject(context.signal.reason)));
              });
            }
            return { finishedOnAttempt: context.attempt };
          },
        },
      ],
    },
  ],
});
