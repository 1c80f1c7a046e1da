// The newsroom of the seed documentation: an editor finds a story, a reporter drafts it (reviewed by
// a senior reporter), a photographer shoots it in parallel (reviewed by a senior photographer), the
// photos are adjusted by a machine, and a copy editor writes headline and captions.
import { defineWorkflow } from '../../server/workflow/definition.js';
import { ARTICLE, createDocuments, greyscalePhotos, RAW, type ProcessedPhoto } from './photos.js';

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
          description: 'Make the article document and the photo folders of the project.',
          run: (projectData, _prerequisites, { files }) =>
            createDocuments(files, String(projectData.title ?? projectData.topic ?? 'A new story')),
        },
        {
          kind: 'human',
          slug: 'editor',
          name: 'Editor',
          description: 'Find a good story and send a reporter off to investigate.',
          creationDependsOn: ['document_creation'],
          requiredCertifications: ['editor'],
          reviewPolicy: noReview,
          ui: {
            form: {
              fields: [
                {
                  name: 'storyIdea',
                  label: 'Story idea',
                  type: 'textarea',
                  required: true,
                  help: 'What should the reporter find out, and the photographer show?',
                },
              ],
            },
          },
        },
        {
          kind: 'human',
          slug: 'reporting',
          name: 'Reporting',
          description: 'Research and draft the article text.',
          creationDependsOn: ['editor'],
          requiredCertifications: ['reporter'],
          reviewPolicy: reviewedOnce,
          ui: {
            component: 'ArticleEditor',
            form: {
              fields: [{ name: 'article', label: 'Article', type: 'textarea', required: true, maxLength: 50_000 }],
            },
          },
        },
        {
          kind: 'human',
          slug: 'photography',
          name: 'Photography',
          description: `Capture photos for the story and add them to "${RAW}".`,
          creationDependsOn: ['editor'],
          requiredCertifications: ['photographer'],
          reviewPolicy: reviewedOnce,
          ui: {
            component: 'PhotoUpload',
            uploads: { folder: RAW, accept: ['image/jpeg', 'image/png'], maxBytes: 10 * 1024 * 1024 },
          },
        },
        {
          kind: 'machine',
          slug: 'photo_adjustment',
          name: 'Photo adjustment',
          description: 'Make greyscale copies of the raw photos for print.',
          creationDependsOn: ['photography'],
          run: async (_projectData, _prerequisites, { files }) => ({ photos: await greyscalePhotos(files) }),
        },
        {
          kind: 'human',
          slug: 'copy_editing',
          name: 'Copy editing',
          description: 'Give the article a headline and every photo a caption.',
          creationDependsOn: ['reporting', 'photo_adjustment'],
          requiredCertifications: ['copy_editor'],
          reviewPolicy: noReview,
          ui: {
            component: 'CopyEdit',
            form: { fields: [{ name: 'headline', label: 'Headline', type: 'text', required: true, maxLength: 200 }] },
          },
        },
      ],
    },
  ],
  // The original's journalism fixture: six accounts (demo passwords only) and a story to run.
  sampleData: {
    accounts: [
      {
        username: 'journalism-editor',
        password: 'editor',
        firstName: 'Eda',
        lastName: 'Editor',
        certifications: [['editor', 'ENTRY_LEVEL']],
      },
      {
        username: 'journalism-reporter-1',
        password: 'reporter',
        firstName: 'Rae',
        lastName: 'Reporter',
        certifications: [['reporter', 'ENTRY_LEVEL']],
      },
      {
        username: 'journalism-reporter-2',
        password: 'reporter',
        firstName: 'Rob',
        lastName: 'Senior Reporter',
        certifications: [['reporter', 'REVIEWER']],
      },
      {
        username: 'journalism-photographer-1',
        password: 'photographer',
        firstName: 'Pia',
        lastName: 'Photographer',
        certifications: [['photographer', 'ENTRY_LEVEL']],
      },
      {
        username: 'journalism-photographer-2',
        password: 'photographer',
        firstName: 'Pat',
        lastName: 'Senior Photographer',
        certifications: [['photographer', 'REVIEWER']],
      },
      {
        username: 'journalism-copy-editor',
        password: 'copy-editor',
        firstName: 'Cory',
        lastName: 'Copy Editor',
        certifications: [['copy_editor', 'ENTRY_LEVEL']],
      },
    ],
    projects: () => [
      {
        description: 'Local elections: who is running?',
        priority: 5,
        projectData: { title: 'Local elections: who is running?' },
      },
    ],
  },
  // The seed's final JSON: the article document, the headline, and each processed photo with its caption.
  output: async ({ steps, files, fileUrl }) => {
    const article = String(steps.reporting?.article ?? '');
    const headline = String(steps.copy_editing?.headline ?? '');
    await files.write(ARTICLE, `# ${headline}\n\n${article}\n`);
    const photos = (steps.photo_adjustment?.photos ?? []) as ProcessedPhoto[];
    const captions = (steps.copy_editing?.captions ?? {}) as Record<string, string>;
    return {
      articleDocument: fileUrl(ARTICLE),
      headline,
      photos: photos.map((p) => ({ caption: captions[p.processed] ?? '', src: fileUrl(p.processed) })),
    };
  },
});
