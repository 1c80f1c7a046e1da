// The benchmark's workflow: one version of parallel human steps anyone may take, never reviewed, so
// every task of a project exists from the start and each one is one claim and one submit.
import { defineWorkflow } from '../server/workflow/definition.js';

export const BENCH_STEPS = 10;

export const benchWorkflow = defineWorkflow({
  slug: 'bench',
  name: 'Subscription benchmark',
  versions: [
    {
      slug: 'v1',
      name: `${BENCH_STEPS} parallel steps`,
      steps: Array.from({ length: BENCH_STEPS }, (_, i) => ({
        kind: 'human' as const,
        slug: `s${i + 1}`,
        name: `Step ${i + 1}`,
        reviewPolicy: { policy: 'no_review' as const },
      })),
    },
  ],
});
