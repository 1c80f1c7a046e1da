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
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 2 },
        },
      ],
    },
    {
      slug: 'noreview',
      name: 'No review',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
    {
      slug: 'sampled',
      name: 'Sampled review',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 0.5, maxReviews: 3 },
        },
      ],
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

/**
 * Claims and the next-task pull: a step needing one certification (reviewed once), a step needing
 * two, a step anyone may take (reviewed once), two parallel steps anyone may take, and a machine step.
 */
export const claimsWorkflow = defineWorkflow({
  slug: 'claims',
  name: 'Claims',
  certifications: [
    { slug: 'writer', name: 'Writer' },
    { slug: 'editor', name: 'Editor' },
  ],
  versions: [
    {
      slug: 'write',
      name: 'One certification, reviewed once',
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
    {
      slug: 'both',
      name: 'Two certifications',
      steps: [
        {
          kind: 'human',
          slug: 'edit',
          name: 'Edit',
          requiredCertifications: ['writer', 'editor'],
          reviewPolicy: { policy: 'no_review' },
        },
      ],
    },
    {
      slug: 'open',
      name: 'No certification, reviewed once',
      steps: [
        {
          kind: 'human',
          slug: 'open',
          name: 'Open',
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
        },
      ],
    },
    {
      slug: 'pair',
      name: 'Two parallel steps, no certification',
      steps: [
        { kind: 'human', slug: 'first', name: 'First', reviewPolicy: { policy: 'no_review' } },
        { kind: 'human', slug: 'second', name: 'Second', reviewPolicy: { policy: 'no_review' } },
      ],
    },
    {
      slug: 'machine',
      name: 'One machine step',
      steps: [{ kind: 'machine', slug: 'fetch', name: 'Fetch', run: () => ({ fetched: true }) }],
    },
  ],
});

/** Five parallel human steps needing one certification, never reviewed: a pool of tasks for concurrent claims. */
export const poolWorkflow = defineWorkflow({
  slug: 'pool',
  name: 'Pool',
  certifications: [{ slug: 'member', name: 'Member' }],
  versions: [
    {
      slug: 'v1',
      name: 'Five parallel steps',
      steps: ['s1', 's2', 's3', 's4', 's5'].map((slug) => ({
        kind: 'human' as const,
        slug,
        name: slug.toUpperCase(),
        requiredCertifications: ['member'],
        reviewPolicy: { policy: 'no_review' as const },
      })),
    },
  ],
});
