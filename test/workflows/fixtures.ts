// Workflows used by the lifecycle tests (small, each showing one feature).
import { defineWorkflow } from '../../server/workflow/definition.js';

/** One human step with up to two reviewer levels, always reviewed. */
export const reviewWorkflow = defineWorkflow({
  slug: 'review',
  name: 'Review walk',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'Two reviewer levels',
      steps: [
        { kind: 'human', slug: 'write', name: 'Write', requiredCertifications: ['writer'], reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 2 } },
      ],
    },
    {
      slug: 'noreview',
      name: 'No review',
      steps: [{ kind: 'human', slug: 'write', name: 'Write', requiredCertifications: ['writer'], reviewPolicy: { policy: 'no_review' } }],
    },
    {
      slug: 'sampled',
      name: 'Sampled review',
      steps: [{ kind: 'human', slug: 'write', name: 'Write', requiredCertifications: ['writer'], reviewPolicy: { policy: 'sampled_review', rate: 0.5, maxReviews: 3 } }],
    },
  ],
});

/** The diamond of spec §2.7: A, B → C(A), D(B) → E(C, D) → F → G, H. No review, no certifications. */
export const diamondWorkflow = defineWorkflow({
  slug: 'diamond',
  name: 'Diamond',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        { kind: 'human', slug: 'a', name: 'A', reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'b', name: 'B', reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'c', name: 'C', creationDependsOn: ['a'], reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'd', name: 'D', creationDependsOn: ['b'], reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'e', name: 'E', creationDependsOn: ['c', 'd'], reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'f', name: 'F', creationDependsOn: ['e'], reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'g', name: 'G', creationDependsOn: ['f'], reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'h', name: 'H', creationDependsOn: ['f'], reviewPolicy: { policy: 'no_review' } },
      ],
    },
  ],
});
