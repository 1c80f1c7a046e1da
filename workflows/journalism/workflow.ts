// The newsroom of the seed documentation: an editor finds a story, a reporter drafts it (reviewed by
// a senior reporter), a photographer shoots it in parallel (reviewed by a senior photographer), the
// photos are adjusted by a machine, and a copy editor writes headline and captions.
import { defineWorkflow } from '../../server/workflow/definition.js';

const reviewedOnce = { policy: 'sampled_review', rate: 1, maxReviews: 1 } as const;
const noReview = { policy: 'no_review' } as const;

export default defineWorkflow({
  slug: 'journalism',
  name: 'Journalism Workflow',
  description: 'Create polished newspaper articles from scratch.',
  certifications: [
    { slug: 'editor', name: 'Editor', description: 'Finds stories and assigns them.' },
    { slug: 'reporter', name: 'Reporter', description: 'Researches and drafts articles.' },
    { slug: 'photographer', name: 'Photographer', description: 'Captures photos for stories.' },
    { slug: 'copy_editor', name: 'Copy Editor', description: 'Writes headlines and captions.' },
  ],
  versions: [
    {
      slug: 'v1',
      name: 'Journalism v1',
      description: 'Editor → reporter and photographer in parallel → photo adjustment → copy editor.',
      steps: [
        {
          kind: 'machine',
          slug: 'document_creation',
          name: 'Document creation',
          description: 'Set up the article document and the photo folders.',
          run: (projectData) => {
            const base = `orchestra://projects/${projectData.project_id}`;
            return {
              articleDocument: `${base}/article`,
              rawPhotoFolder: `${base}/photos/raw`,
              processedPhotoFolder: `${base}/photos/processed`,
            };
          },
        },
        {
          kind: 'human',
          slug: 'editor',
          name: 'Editor',
          description: 'Find a good story and send a reporter off to investigate.',
          creationDependsOn: ['document_creation'],
          requiredCertifications: ['editor'],
          reviewPolicy: noReview,
          ui: { form: { fields: [{ name: 'storyIdea', label: 'Story idea', type: 'textarea', required: true }] } },
        },
        {
          kind: 'human',
          slug: 'reporting',
          name: 'Reporting',
          description: 'Research and draft the article text.',
          creationDependsOn: ['editor'],
          requiredCertifications: ['reporter'],
          reviewPolicy: reviewedOnce,
          ui: { form: { fields: [{ name: 'articleText', label: 'Article', type: 'textarea', required: true }] } },
        },
        {
          kind: 'human',
          slug: 'photography',
          name: 'Photography',
          description: 'Capture photos for the story.',
          creationDependsOn: ['editor'],
          requiredCertifications: ['photographer'],
          reviewPolicy: reviewedOnce,
          ui: {
            form: { fields: [{ name: 'photos', label: 'Photo URLs, one per line', type: 'textarea', required: true }] },
          },
        },
        {
          kind: 'machine',
          slug: 'photo_adjustment',
          name: 'Photo adjustment',
          description: 'Automatically crop and rescale images.',
          creationDependsOn: ['photography'],
          run: (_projectData, prerequisites) => {
            const raw = String(prerequisites.photography?.photos ?? '');
            const photos = raw
              .split('\n')
              .map((p) => p.trim())
              .filter(Boolean);
            return { adjustedPhotos: photos.map((url) => ({ original: url, greyscale: true })) };
          },
        },
        {
          kind: 'human',
          slug: 'copy_editing',
          name: 'Copy editing',
          description: 'Add a headline and photo captions.',
          creationDependsOn: ['reporting', 'photo_adjustment'],
          requiredCertifications: ['copy_editor'],
          reviewPolicy: noReview,
          ui: {
            form: {
              fields: [
                { name: 'headline', label: 'Headline', type: 'text', required: true },
                { name: 'captions', label: 'Photo captions, one per line', type: 'textarea' },
              ],
            },
          },
        },
      ],
    },
  ],
});
