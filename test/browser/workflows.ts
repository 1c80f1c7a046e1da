// The workflow the browser tests work through: a machine writes a brief, a writer drafts the article
// from it (a generated form), and every draft is reviewed once.
import { defineWorkflow } from '../../server/workflow/definition.js';

export const articles = defineWorkflow({
  slug: 'articles',
  name: 'Articles',
  description: 'Short articles, drafted and reviewed.',
  certifications: [{ slug: 'writer', name: 'Writer', description: 'Drafts articles.' }],
  versions: [
    {
      slug: 'v1',
      name: 'Articles v1',
      steps: [
        {
          kind: 'machine',
          slug: 'brief',
          name: 'Brief',
          run: (projectData) => ({ topic: String(projectData.topic ?? 'anything'), length: 'about 300 words' }),
        },
        {
          kind: 'human',
          slug: 'draft',
          name: 'Draft the article',
          description: 'Write the article the brief asks for.',
          creationDependsOn: ['brief'],
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
          ui: {
            form: {
              fields: [
                { name: 'headline', label: 'Headline', type: 'text', required: true },
                { name: 'body', label: 'Article', type: 'textarea', required: true },
                { name: 'words', label: 'Word count', type: 'number', min: 1, max: 2000, step: 1 },
              ],
            },
          },
        },
      ],
    },
  ],
});
