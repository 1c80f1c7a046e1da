// `orchestra demo simple` against a running server, as a newcomer runs it: the key from `orchestra keys
// create`, every call printed beside its answer, the machine step fetching Orchestra's own sample page
// for real, the rating (--auto) and the final data; `orchestra projects output` for finished and
// unfinished projects; and the sentences for a missing key or a server that is not there.
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { SYSTEM } from '../../server/kernel/actor.js';
import { ProjectStatus } from '../../server/kernel/status.js';
import journalism from '../../workflows/journalism/workflow.js';
import simpleWorkflow from '../../workflows/simple_workflow/workflow.js';
import { runCommand } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { useServer } from '../support/server.js';

// The server loads what the CLI's commands load (workflows/): both sync the same catalog.
const s = await useServer({ workflows: [simpleWorkflow, journalism], jobs: true });

/** The CLI against this file's database (a command beside the running server). */
const orchestra = (args: string[], env: Record<string, string> = {}) =>
  runCommand(args, {
    ...process.env,
    DATABASE_URL: s.h.db.url,
    ORCHESTRA_JOBS_IN_PROCESS: 'false',
    NODE_ENV: 'test',
    ...env,
  });

describe('orchestra demo simple', { timeout: 120_000 }, () => {
  let key = '';

  beforeAll(async () => {
    await s.h.worker('demo', [], { password: 'demo' });
    const created = await orchestra(['keys', 'create', 'demo']);
    expect(created.code, created.stderr).toBe(0);
    key = /GraphQL API:\s+(ok_\S+)/.exec(created.stdout)![1]!;
    expect(created.stdout).toContain('shown only now');
  });

  it('walks through the simple workflow over the API and prints the final data (--auto)', async () => {
    const run = await orchestra(['demo', 'simple', '--auto', '--server', s.url, '--seed', '7'], {
      ORCHESTRA_API_KEY: key,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const heading of [
      '1. Which workflows are there?',
      '2. Create a project of simple_workflow v1',
      '3. The machine step "crawl" fetches the page',
      '4. Rate it as the worker demo (--auto)',
      '5. The project is COMPLETED.',
    ]) {
      expect(run.stdout).toContain(heading);
    }
    // Every call is shown with its answer.
    expect(run.stdout).toContain(`→ POST ${s.url}/graphql  (X-Api-Key: …)`);
    expect(run.stdout).toMatch(/mutation Create\(\$input: CreateProjectInput!\)/);
    expect(run.stdout).toMatch(/← 200 \{/);
    const done = /Project (\d+) is done: (.*)$/m.exec(run.stdout)!;
    const output = JSON.parse(done[2]!);
    const sample = `${s.url}/workflows/simple_workflow`;
    expect(output.rate).toEqual({ rating: 5 });
    expect([`${sample}/img/sunrise.svg`, `${sample}/img/mountains.svg`, `${sample}/img/forest.svg`]).toContain(
      output.crawl.image,
    );
    expect(output.crawl).toMatchObject({ page: `${sample}/sample.html`, imagesFound: 3 });
    expect(await s.h.projectStatus(Number(done[1]))).toBe(ProjectStatus.COMPLETED);

    // The same output from the command line.
    const printed = await orchestra(['projects', 'output', done[1]!]);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(output);
  });

  it('says which steps are open when a project has no output yet', async () => {
    const project = await s.h.project('simple_workflow', 'v1', {
      projectData: { url: `${s.url}/workflows/simple_workflow/sample.html` },
    });
    await expect
      .poll(async () => (await s.h.task(project.id, 'rate'))?.status, { timeout: 20_000 })
      .toBe('AWAITING_PROCESSING');
    const run = await orchestra(['projects', 'output', String(project.id)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `Project ${project.id} is ACTIVE: it has no output yet.\n  rate: AWAITING_PROCESSING, waiting for a worker\n`,
    );
  });

  it('asks for a key, and says so plainly when no server answers', async () => {
    const noKey = await orchestra(['demo', 'simple', '--server', s.url], { ORCHESTRA_API_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('a demo needs an API key: create one with `orchestra keys create demo`');
    const port = await freePort();
    const nobody = await orchestra(['demo', 'simple', '--server', `http://127.0.0.1:${port}`, '--key', key]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain(`error: Orchestra does not answer at http://127.0.0.1:${port}`);
    expect(nobody.stderr).toContain('Start it with `npm start`');
  });
});

describe('orchestra demo journalism and sample data', { timeout: 120_000 }, () => {
  let key = '';
  beforeAll(async () => {
    key = (await s.h.orchestra.auth.createApiKey(SYSTEM, 'journalism demo')).secret;
  });

  it('loads the workflow’s sample data: its six accounts and a project', async () => {
    const run = await orchestra(['workflows', 'sample-data', 'journalism']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^Accounts created: journalism-editor, journalism-reporter-1, journalism-reporter-2, journalism-photographer-1, journalism-photographer-2, journalism-copy-editor\nProjects created: \d+\n$/,
    );
    const again = await orchestra(['workflows', 'sample-data', 'journalism']);
    expect(again.stdout).toMatch(/^Accounts: all there already\./);
    const unknown = await orchestra(['workflows', 'sample-data', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown workflow "nope". Known: ');
  });

  it('--new creates a project and prints it; --finish says what is open, then prints the output', async () => {
    const created = await orchestra([
      'demo',
      'journalism',
      '--new',
      '--server',
      s.url,
      '--key',
      key,
      '--title',
      'Harbour',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const id = Number(/^Project (\d+)$/m.exec(created.stdout)![1]);
    expect(created.stdout).toContain('"slug": "document_creation"');
    expect(created.stdout).toContain('sign in to');

    const early = await orchestra([
      'demo',
      'journalism',
      '--finish',
      '-p',
      String(id),
      '--server',
      s.url,
      '--key',
      key,
    ]);
    expect(early.code).toBe(1);
    expect(early.stdout).toBe(
      `Project ${id} is ACTIVE: it has no output yet.\n  editor: AWAITING_PROCESSING, waiting for a worker\n`,
    );

    // The rest by an admin's hand: a photo in Raw Photos, every human step completed on the workers' behalf.
    const photo = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    await s.h.orchestra.files.project(id).write('Raw Photos/p.png', photo);
    for (const step of ['editor', 'reporting', 'photography', 'copy_editing']) {
      await expect
        .poll(async () => (await s.h.task(id, step))?.status, { timeout: 20_000 })
        .toBe('AWAITING_PROCESSING');
      await s.h.lifecycle.completeAndSkipTask(SYSTEM, await s.h.taskId(id, step));
    }
    await expect.poll(() => s.h.projectStatus(id), { timeout: 20_000 }).toBe(ProjectStatus.COMPLETED);
    const done = await orchestra(['demo', 'journalism', '--finish', '-p', String(id), '--server', s.url, '--key', key]);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({
      articleDocument: `${s.url}/files/projects/${id}/Article.md`,
      headline: '',
      photos: [{ caption: '', src: `${s.url}/files/projects/${id}/Processed%20Photos/p.png` }],
    });
  });

  it('is misused without --new or --finish -p', async () => {
    const neither = await orchestra(['demo', 'journalism', '--key', key]);
    expect([neither.code, neither.stderr.trim()]).toEqual([2, 'error: say --new, or --finish -p <project id>.']);
    const noProject = await orchestra(['demo', 'journalism', '--finish', '--key', key]);
    expect([noProject.code, noProject.stderr.trim()]).toEqual([2, 'error: --finish needs the project: -p <id>.']);
  });
});
