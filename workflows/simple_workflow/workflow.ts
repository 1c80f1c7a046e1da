// The seed's simple demo: a machine step picks an image for a page, a human rates how awesome it is.
import { defineWorkflow } from '../../server/workflow/definition.js';

export default defineWorkflow({
  slug: 'simple_workflow',
  name: 'Simple Workflow',
  description: 'Rate how awesome an image from a web page is.',
  versions: [
    {
      slug: 'v1',
      name: 'Simple workflow v1',
      steps: [
        {
          kind: 'machine',
          slug: 'crawl',
          name: 'Pick an image',
          description: 'Chooses one of the project’s image URLs.',
          run: (projectData) => {
            const images = Array.isArray(projectData.images) ? projectData.images.map(String) : [];
            if (images.length === 0) throw new Error('projectData.images must list at least one image URL.');
            return { image: images[Math.floor(Math.random() * images.length)]!, page: String(projectData.url ?? '') };
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
              fields: [{ name: 'rating', label: 'Rating (1–5)', type: 'number', min: 1, max: 5, required: true }],
            },
          },
        },
      ],
    },
  ],
});
