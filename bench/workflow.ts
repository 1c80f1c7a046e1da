// The benchmarks' workflows. `bench`: one version of parallel human steps anyone may take, never
// reviewed, so every task of a project exists from the start and each one is one claim and one submit.
// `lcbench`: one human step that needs the certification `writer` and is reviewed once (a task's way:
// claim, submit, review claim, accept — the cycle bench/cycle.ts compares with raw SQL).
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

export const reviewedWorkflow = defineWorkflow({
  slug: 'lcbench',
  name: 'Lifecycle benchmark',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'One reviewed step',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
        },
      ],
    },
  ],
});
