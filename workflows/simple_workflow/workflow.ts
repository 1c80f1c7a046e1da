// The seed's simple demo: a machine step fetches a web page and picks one of its images; a human rates
// how awesome it is, from 1 to 5. Orchestra serves a sample page (public/sample.html) for offline demos.
import { defineWorkflow } from '../../server/workflow/definition.js';
import { pickImage, seeded } from './crawl.js';

export default defineWorkflow({
  slug: 'simple_workflow',
  name: 'Simple Workflow',
  description: 'Rate how awesome an image from a web page is.',
  versions: [
    {
      slug: 'v1',
      name: 'Simple workflow v1',
      description: 'A machine picks an image from a page; a person rates it.',
      steps: [
        {
          kind: 'machine',
          slug: 'crawl',
          name: 'Pick an image',
          description: 'Fetches the page at projectData.url and picks one of its images at random.',
          // projectData.seed (a number) makes the pick repeatable.
          run: async (projectData, _prerequisites, context) => {
            const seed = projectData.seed;
            const random = typeof seed === 'number' ? seeded(seed) : Math.random;
            const pick = await pickImage(projectData.url, { signal: context.signal, random });
            context.log(`picked ${pick.image} of ${pick.imagesFound} images on ${pick.page}`);
            return { ...pick };
          },
        },
        {
          kind: 'human',
          slug: 'rate',
          name: 'Rate the image',
          description: 'How awesome is this image, from 1 to 5?',
          creationDependsOn: ['crawl'],
          reviewPolicy: { policy: 'no_review' },
          // The component (ui/RateImage.svelte) shows the image; the form is what the server checks.
          ui: {
            component: 'RateImage',
            form: {
              fields: [
                { name: 'rating', label: 'Rating (1–5)', type: 'number', min: 1, max: 5, step: 1, required: true },
              ],
            },
          },
        },
      ],
    },
  ],
  // A worker to rate with, and a project of the sample page Orchestra serves (the demo works offline).
  sampleData: {
    accounts: [{ username: 'demo', password: 'demo', firstName: 'Demo', lastName: 'Worker' }],
    projects: (publicUrl) => [
      {
        description: 'Rate an image from the sample page',
        priority: 1,
        projectData: { url: `${publicUrl}/workflows/simple_workflow/sample.html` },
      },
    ],
  },
});
