// The machine-step benchmark's workflow (bench/machine.ts): a human step, then a machine step whose
// function only notes when it started (this machine's wall clock, sub-millisecond), so the bench can
// tell how long a submission's commit took to reach it.
import { defineWorkflow } from '../../../server/workflow/definition.js';

export default defineWorkflow({
  slug: 'stamp',
  name: 'Machine step latency',
  versions: [
    {
      slug: 'v1',
      name: 'Work, then stamp',
      steps: [
        { kind: 'human', slug: 'work', name: 'Work', reviewPolicy: { policy: 'no_review' } },
        {
          kind: 'machine',
          slug: 'stamp',
          name: 'Stamp',
          creationDependsOn: ['work'],
          run: async () => ({ startedAt: performance.timeOrigin + performance.now() }),
        },
      ],
    },
  ],
});
