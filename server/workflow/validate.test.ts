import { describe, expect, it } from 'vitest';

import { validateWorkflows } from './validate.js';

// Definitions are deliberately loosely typed: the tests break them in ways TypeScript would refuse.
type Def = Record<string, any>;

/** A valid workflow using every kind of field and policy; each call returns a fresh copy. */
function journalism(): Def {
  return {
    slug: 'journalism',
    name: 'Journalism',
    description: 'Plan, write, illustrate and edit an article.',
    certifications: [
      { slug: 'reporter', name: 'Reporter' },
      { slug: 'editor', name: 'Editor', requiredCertifications: ['reporter'] },
      { slug: 'photographer', name: 'Photographer' },
      { slug: 'copy_editor', name: 'Copy editor', requiredCertifications: ['reporter', 'editor'] },
    ],
    versions: [
      {
        slug: 'v1',
        name: 'Version 1',
        steps: [
          {
            slug: 'article_planning',
            name: 'Article planning',
            kind: 'human',
            requiredCertifications: ['editor'],
            reviewPolicy: { policy: 'no_review' },
            assignmentPolicy: { entryLevel: { policy: 'specified_worker', username: 'alice' } },
          },
          {
            slug: 'reporting',
            name: 'Reporting',
            kind: 'human',
            creationDependsOn: ['article_planning'],
            requiredCertifications: ['reporter'],
            reviewPolicy: { policy: 'sampled_review', rate: 0.5, maxReviews: 2 },
            assignmentPolicy: { entryLevel: { policy: 'anyone_certified' }, reviewer: () => ['bob'] },
            ui: { component: 'Reporting' },
          },
          {
            slug: 'photography',
            name: 'Photography',
            kind: 'human',
            creationDependsOn: ['article_planning'],
            submissionDependsOn: ['reporting'],
            requiredCertifications: ['photographer'],
          },
          {
            slug: 'photo_adjustment',
            name: 'Photo adjustment',
            kind: 'machine',
            creationDependsOn: ['photography'],
            run: () => ({ adjusted: true }),
            maxAttempts: 3,
          },
          {
            slug: 'copy_editing',
            name: 'Copy editing',
            kind: 'human',
            creationDependsOn: ['reporting', 'photo_adjustment'],
            requiredCertifications: ['copy_editor'],
            assignmentPolicy: { entryLevel: { policy: 'previously_completed_steps', relatedSteps: ['reporting'] } },
            creationPolicy: () => true,
            completionEndsProject: true,
          },
        ],
      },
      {
        slug: 'v2',
        name: 'Version 2',
        steps: [{ slug: 'reporting', name: 'Reporting', kind: 'human', creationPolicy: { policy: 'always_create' } }],
      },
    ],
  };
}

const V1 = 'journalism.versions.v1';
const step = (def: Def, slug: string): Def => def.versions[0].steps.find((s: Def) => s.slug === slug);
const cert = (def: Def, slug: string): Def => def.certifications.find((c: Def) => c.slug === slug);

describe('validateWorkflows', () => {
  it('accepts a valid definition', () => {
    expect(validateWorkflows([journalism()])).toEqual([]);
  });

  it('accepts a minimal definition (no certifications, only required fields)', () => {
    const minimal = {
      slug: 'a',
      name: 'A',
      versions: [{ slug: 'v1', name: 'V1', steps: [{ slug: 's', name: 'S', kind: 'human' }] }],
    };
    expect(validateWorkflows([minimal])).toEqual([]);
  });

  // [what is wrong, how to break the valid definition, expected path, expected message]
  const cases: [string, (def: Def) => unknown, string, RegExp][] = [
    // workflow
    ['workflow slug missing', (d) => delete d.slug, 'workflows[0].slug', /slug is required/],
    [
      'workflow slug invalid',
      (d) => (d.slug = 'Journalism!'),
      'workflows[0].slug',
      /invalid workflow slug "Journalism!"/,
    ],
    ['workflow slug too long', (d) => (d.slug = 'a'.repeat(201)), 'workflows[0].slug', /invalid workflow slug/],
    ['workflow name missing', (d) => delete d.name, 'journalism.name', /name must be a non-empty string/],
    ['workflow name not a string', (d) => (d.name = 42), 'journalism.name', /name must be a non-empty string, got 42/],
    ['versions missing', (d) => delete d.versions, 'journalism.versions', /versions must be a non-empty array/],
    ['versions empty', (d) => (d.versions = []), 'journalism.versions', /versions must be a non-empty array, got \[\]/],
    // certifications
    [
      'certifications not an array',
      (d) => {
        d.certifications = {};
        // Without certifications, the steps' references would be reported too.
        for (const s of d.versions[0].steps) delete s.requiredCertifications;
      },
      'journalism.certifications',
      /certifications must be an array, got \{\}/,
    ],
    [
      'certification slug invalid',
      (d) => d.certifications.push({ slug: 'Editor', name: 'Editor' }),
      'journalism.certifications[4].slug',
      /invalid certification slug "Editor"/,
    ],
    [
      'duplicate certification slug',
      (d) => d.certifications.push({ slug: 'editor', name: 'Editor again' }),
      'journalism.certifications[4].slug',
      /duplicate certification slug "editor"/,
    ],
    [
      'unknown required certification',
      (d) => (cert(d, 'copy_editor').requiredCertifications = ['reporter', 'editr']),
      'journalism.certifications.copy_editor.requiredCertifications[1]',
      /unknown certification "editr"/,
    ],
    [
      'certification prerequisite cycle',
      (d) => (cert(d, 'reporter').requiredCertifications = ['editor']),
      'journalism.certifications.reporter.requiredCertifications',
      /certification prerequisite cycle: reporter -> editor -> reporter/,
    ],
    [
      'certification requiring itself',
      (d) => (cert(d, 'photographer').requiredCertifications = ['photographer']),
      'journalism.certifications.photographer.requiredCertifications',
      /certification prerequisite cycle: photographer -> photographer/,
    ],
    // versions
    [
      'version slug invalid',
      (d) => (d.versions[1].slug = 'v 2'),
      'journalism.versions[1].slug',
      /invalid version slug "v 2"/,
    ],
    [
      'duplicate version slug',
      (d) => (d.versions[1].slug = 'v1'),
      'journalism.versions[1].slug',
      /duplicate version slug "v1"/,
    ],
    [
      'version name missing',
      (d) => delete d.versions[1].name,
      'journalism.versions.v2.name',
      /version name must be a non-empty string/,
    ],
    [
      'steps missing',
      (d) => delete d.versions[1].steps,
      'journalism.versions.v2.steps',
      /steps must be a non-empty array/,
    ],
    [
      'steps empty',
      (d) => (d.versions[1].steps = []),
      'journalism.versions.v2.steps',
      /steps must be a non-empty array/,
    ],
    // steps
    [
      'step not an object',
      (d) => d.versions[1].steps.push(null),
      'journalism.versions.v2.steps[1]',
      /step must be an object, got null/,
    ],
    [
      'duplicate step slug',
      (d) => d.versions[1].steps.push({ slug: 'reporting', name: 'Again', kind: 'human' }),
      'journalism.versions.v2.steps[1].slug',
      /duplicate step slug "reporting"/,
    ],
    [
      'step kind invalid',
      (d) => (step(d, 'reporting').kind = 'robot'),
      `${V1}.steps.reporting.kind`,
      /kind must be "human" or "machine", got "robot"/,
    ],
    [
      'step kind missing',
      (d) => delete step(d, 'reporting').kind,
      `${V1}.steps.reporting.kind`,
      /kind must be "human" or "machine"/,
    ],
    [
      'unknown creation dependency',
      (d) => (step(d, 'reporting').creationDependsOn = ['article_planing']),
      `${V1}.steps.reporting.creationDependsOn[0]`,
      /unknown step "article_planing"/,
    ],
    [
      'unknown submission dependency',
      (d) => (step(d, 'photography').submissionDependsOn = ['repoting']),
      `${V1}.steps.photography.submissionDependsOn[0]`,
      /unknown step "repoting"/,
    ],
    [
      'dependency on a step of another version',
      (d) => (d.versions[1].steps[0].creationDependsOn = ['article_planning']),
      'journalism.versions.v2.steps.reporting.creationDependsOn[0]',
      /unknown step "article_planning"/,
    ],
    [
      'step depending on itself',
      (d) => (step(d, 'reporting').creationDependsOn = ['article_planning', 'reporting']),
      `${V1}.steps.reporting.creationDependsOn[1]`,
      /step "reporting" cannot depend on itself/,
    ],
    [
      'creation dependency cycle',
      (d) => (step(d, 'photography').creationDependsOn = ['copy_editing']),
      `${V1}.steps.photography.creationDependsOn`,
      /creation dependency cycle: photography -> copy_editing -> photo_adjustment -> photography/,
    ],
    [
      'submission dependency cycle',
      (d) => (step(d, 'reporting').submissionDependsOn = ['photography']),
      `${V1}.steps.reporting.submissionDependsOn`,
      /submission dependency cycle: reporting -> photography -> reporting/,
    ],
    [
      'unknown required certification on a step',
      (d) => (step(d, 'reporting').requiredCertifications = ['reportr']),
      `${V1}.steps.reporting.requiredCertifications[0]`,
      /unknown certification "reportr"/,
    ],
    [
      'machine step without run',
      (d) => delete step(d, 'photo_adjustment').run,
      `${V1}.steps.photo_adjustment.run`,
      /machine step has no run function/,
    ],
    [
      'machine step with required certifications',
      (d) => (step(d, 'photo_adjustment').requiredCertifications = ['photographer']),
      `${V1}.steps.photo_adjustment.requiredCertifications`,
      /machine step cannot have requiredCertifications/,
    ],
    [
      'machine step with a review policy',
      (d) => (step(d, 'photo_adjustment').reviewPolicy = { policy: 'no_review' }),
      `${V1}.steps.photo_adjustment.reviewPolicy`,
      /machine step cannot have reviewPolicy/,
    ],
    [
      'machine step with an assignment policy',
      (d) => (step(d, 'photo_adjustment').assignmentPolicy = {}),
      `${V1}.steps.photo_adjustment.assignmentPolicy`,
      /machine step cannot have assignmentPolicy/,
    ],
    [
      'maxAttempts zero',
      (d) => (step(d, 'photo_adjustment').maxAttempts = 0),
      `${V1}.steps.photo_adjustment.maxAttempts`,
      /positive integer, got 0/,
    ],
    [
      'maxAttempts fractional',
      (d) => (step(d, 'photo_adjustment').maxAttempts = 1.5),
      `${V1}.steps.photo_adjustment.maxAttempts`,
      /positive integer, got 1.5/,
    ],
    // review policies
    [
      'unknown review policy',
      (d) => (step(d, 'reporting').reviewPolicy = { policy: 'always' }),
      `${V1}.steps.reporting.reviewPolicy`,
      /unknown review policy "always"/,
    ],
    [
      'review policy not an object',
      (d) => (step(d, 'reporting').reviewPolicy = 'no_review'),
      `${V1}.steps.reporting.reviewPolicy`,
      /review policy must be an object/,
    ],
    [
      'sampled review rate out of range',
      (d) => (step(d, 'reporting').reviewPolicy.rate = 1.5),
      `${V1}.steps.reporting.reviewPolicy`,
      /rate must be a number between 0 and 1, got 1.5/,
    ],
    [
      'sampled review without maxReviews',
      (d) => delete step(d, 'reporting').reviewPolicy.maxReviews,
      `${V1}.steps.reporting.reviewPolicy`,
      /maxReviews must be a non-negative integer/,
    ],
    [
      'sampled review with negative maxReviews',
      (d) => (step(d, 'reporting').reviewPolicy.maxReviews = -1),
      `${V1}.steps.reporting.reviewPolicy`,
      /maxReviews must be a non-negative integer, got -1/,
    ],
    // assignment policies
    [
      'assignment policy not an object',
      (d) => (step(d, 'reporting').assignmentPolicy = 'anyone'),
      `${V1}.steps.reporting.assignmentPolicy`,
      /must be an object/,
    ],
    [
      'unknown assignment level',
      (d) => (step(d, 'reporting').assignmentPolicy.entry_level = { policy: 'anyone_certified' }),
      `${V1}.steps.reporting.assignmentPolicy`,
      /unknown assignment level "entry_level"/,
    ],
    [
      'unknown assignment policy',
      (d) => (step(d, 'reporting').assignmentPolicy.entryLevel = { policy: 'staffbot' }),
      `${V1}.steps.reporting.assignmentPolicy.entryLevel`,
      /unknown assignment policy "staffbot"/,
    ],
    [
      'assignment policy neither function nor object',
      (d) => (step(d, 'reporting').assignmentPolicy.reviewer = 'bob'),
      `${V1}.steps.reporting.assignmentPolicy.reviewer`,
      /must be a function or \{policy: \.\.\.\}, got "bob"/,
    ],
    [
      'specified_worker without username',
      (d) => (step(d, 'article_planning').assignmentPolicy.entryLevel = { policy: 'specified_worker', username: '' }),
      `${V1}.steps.article_planning.assignmentPolicy.entryLevel`,
      /specified_worker needs a non-empty username/,
    ],
    [
      'previously_completed_steps without related steps',
      (d) => (step(d, 'copy_editing').assignmentPolicy.entryLevel.relatedSteps = []),
      `${V1}.steps.copy_editing.assignmentPolicy.entryLevel`,
      /needs a non-empty relatedSteps array/,
    ],
    [
      'previously_completed_steps naming an unknown step',
      (d) => (step(d, 'copy_editing').assignmentPolicy.entryLevel.relatedSteps = ['reporting', 'repoting']),
      `${V1}.steps.copy_editing.assignmentPolicy.entryLevel`,
      /relatedSteps names unknown step "repoting"/,
    ],
    [
      'previously_completed_steps naming a machine step',
      (d) => (step(d, 'copy_editing').assignmentPolicy.entryLevel.relatedSteps = ['photo_adjustment']),
      `${V1}.steps.copy_editing.assignmentPolicy.entryLevel`,
      /relatedSteps names machine step "photo_adjustment"/,
    ],
    // creation policy, completionEndsProject
    [
      'unknown creation policy',
      (d) => (step(d, 'copy_editing').creationPolicy = { policy: 'never_create' }),
      `${V1}.steps.copy_editing.creationPolicy`,
      /creation policy must be a function or \{policy: "always_create"\}, got \{"policy":"never_create"\}/,
    ],
    [
      'completionEndsProject not a boolean',
      (d) => (step(d, 'copy_editing').completionEndsProject = 'yes'),
      `${V1}.steps.copy_editing.completionEndsProject`,
      /completionEndsProject must be a boolean, got "yes"/,
    ],
  ];

  it.each(cases)('rejects %s', (_what, breakIt, path, message) => {
    const def = journalism();
    breakIt(def);
    const problems = validateWorkflows([def]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(path);
    expect(problems[0]!.message).toMatch(message);
  });

  it('rejects a workflow that is not an object', () => {
    expect(validateWorkflows(['journalism'])).toEqual([
      { path: 'workflows[0]', message: 'workflow must be an object, got "journalism"' },
    ]);
  });

  it('reports a duplicate workflow slug on the second definition', () => {
    expect(validateWorkflows([journalism(), { ...journalism(), name: 'Other' }])).toEqual([
      { path: 'workflows[1].slug', message: 'duplicate workflow slug "journalism"' },
    ]);
  });

  it('reports every problem of every workflow at once', () => {
    const first = journalism();
    step(first, 'reporting').creationDependsOn = ['repoting'];
    delete step(first, 'photo_adjustment').run;
    cert(first, 'copy_editor').requiredCertifications = ['editr'];

    const second = journalism();
    second.slug = 'news';
    second.versions[1].steps = [];
    step(second, 'reporting').reviewPolicy = { policy: 'sampled_review', rate: -1, maxReviews: 1 };

    const third = { name: 'No slug', versions: 'none' };
    const duplicate = journalism();

    const problems = validateWorkflows([first, second, third, duplicate]);
    const expected = [
      {
        path: 'journalism.certifications.copy_editor.requiredCertifications[0]',
        message: 'unknown certification "editr"',
      },
      { path: `${V1}.steps.reporting.creationDependsOn[0]`, message: 'unknown step "repoting"' },
      { path: `${V1}.steps.photo_adjustment.run`, message: 'machine step has no run function' },
      {
        path: 'news.versions.v1.steps.reporting.reviewPolicy',
        message: 'sampled_review rate must be a number between 0 and 1, got -1',
      },
      { path: 'news.versions.v2.steps', message: 'steps must be a non-empty array, got []' },
      { path: 'workflows[2].slug', message: 'workflow slug is required' },
      { path: 'workflows[3].slug', message: 'duplicate workflow slug "journalism"' },
      { path: 'workflows[2].versions', message: 'versions must be a non-empty array, got "none"' },
    ];
    expect(problems).toHaveLength(expected.length);
    expect(problems).toEqual(expect.arrayContaining(expected));
  });

  it('addresses items with a duplicate slug by index so their problems stay apart', () => {
    const def = journalism();
    def.versions[1].steps.push({ slug: 'reporting', name: '', kind: 'machine' });
    expect(validateWorkflows([def])).toEqual([
      { path: 'journalism.versions.v2.steps[1].slug', message: 'duplicate step slug "reporting"' },
      { path: 'journalism.versions.v2.steps[1].name', message: 'step name must be a non-empty string, got ""' },
      { path: 'journalism.versions.v2.steps[1].run', message: 'machine step has no run function' },
    ]);
  });

  it('does not throw on arbitrary junk', () => {
    const cyclic: Def = { slug: 'x' };
    cyclic.self = cyclic;
    const junk = [
      null,
      5,
      [],
      cyclic,
      { slug: 'y', name: 'Y', certifications: [1, { slug: 'c' }], versions: [{ steps: [{}] }] },
    ];
    expect(() => validateWorkflows(junk)).not.toThrow();
    expect(validateWorkflows(junk).length).toBeGreaterThan(5);
  });
});
