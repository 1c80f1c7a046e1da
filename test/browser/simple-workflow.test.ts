/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The simple workflow for real: its machine step fetches a page served by this test and parses it,
// a worker rates the picked image in the app (the workflow's RateImage component); every way the
// page can fail fails the step with its sentence after the retries; a rating of 42 is refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProjectStatus } from '../../server/kernel/status.js';
import simpleWorkflow from '../../workflows/simple_workflow/workflow.js';
import { freePort } from '../support/net.js';
import { createServer, type TestServer } from '../support/server.js';
import {
  describeInBrowser,
  expectAccessible,
  group,
  live,
  person,
  PHONE,
  screenshot,
  signIn,
  useBrowser,
} from '../support/browser.js';

// A 2×2 PNG (red), so the browser really decodes the picked image.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);
let site = '';
let closedPort = 0; // a port nothing listens on
const page = http.createServer((req, res) => {
  if (req.url === '/gallery') {
    return void res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<h1>Gallery</h1><img src="/red.png" alt="red"><img src="red.png?again" alt="red again">');
  }
  if (req.url?.startsWith('/red.png')) return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  if (req.url === '/words') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>No pictures.</p>');
  if (req.url === '/json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  res.writeHead(404).end();
});

beforeAll(async () => {
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  site = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  closedPort = await freePort();
});
afterAll(() => new Promise<void>((r) => page.close(() => r())));

describeInBrowser('the simple workflow, end to end', () => {
  const browser = useBrowser();
  let s: TestServer;
  let rater: string;

  beforeAll(async () => {
    s = await createServer({ workflows: [simpleWorkflow], jobs: true, webApp: true });
    rater = (await s.h.worker('rater', [], { password: 'rater-password' })).username;
    return () => s.close();
  });

  async function crawl(url: string) {
    const project = await s.h.project('simple_workflow', 'v1', { description: `Rate ${url}`, projectData: { url } });
    // Done, or failed for good (the task stays PROCESSING; its machine assignment is FAILED).
    await expect
      .poll(
        async () => {
          const t = await s.h.task(project.id, 'crawl');
          return t?.status === 'COMPLETE' ? 'COMPLETE' : t?.assignments[0]?.status;
        },
        { timeout: 20_000 },
      )
      .toMatch(/^(COMPLETE|FAILED)$/);
    return project;
  }

  it('fetches the page, picks one of its images, and the worker rates it in the app', async () => {
    const project = await crawl(`${site}/gallery`);
    const crawled = await s.h.task(project.id, 'crawl');
    expect(crawled?.status).toBe('COMPLETE');
    const picked = crawled!.assignments[0]!.data;
    expect([`${site}/red.png`, `${site}/red.png?again`]).toContain(picked.image);
    expect(picked).toMatchObject({ page: `${site}/gallery`, imagesFound: 2 });

    const { page: app, context, errors } = await person(browser(), s.url);
    await signIn(app, rater, 'rater-password');
    await live(app);
    const newTask = app.getByRole('button', { name: /New task/ });
    await expect.poll(() => newTask.textContent()).toMatch(/1/);
    await newTask.click();
    const image = app.getByRole('img', { name: /^The picked image/ });
    await image.waitFor();
    await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(2);
    expect(await image.getAttribute('src')).toBe(picked.image);
    await expectAccessible(app, 'rate the image');
    await screenshot(app, 'simple-rate-laptop');
    await app.setViewportSize(PHONE);
    await screenshot(app, 'simple-rate-phone');
    await app.getByLabel('5 · Breathtaking').check();
    await app
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();
    await app.getByRole('button', { name: 'Submit' }).click();
    await group(app, 'Completed')
      .getByRole('link', { name: `Rate ${site}/gallery` })
      .waitFor();
    expect(await s.h.projectStatus(project.id)).toBe(ProjectStatus.COMPLETED);
    expect((await s.h.task(project.id, 'rate'))!.assignments[0]!.data).toEqual({ rating: 5 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it.each([
    [
      'unreachable',
      () => `http://127.0.0.1:${closedPort}/`,
      () => `Could not fetch http://127.0.0.1:${closedPort}/: the connection was refused.`,
    ],
    [
      'not HTML',
      () => `${site}/json`,
      () => `${site}/json is not an HTML page (its content type is application/json).`,
    ],
    ['without an image', () => `${site}/words`, () => `${site}/words has no image (no <img> with a web address).`],
  ])('a page %s fails the step with its sentence after the retries', async (_what, url, message) => {
    const project = await crawl(url());
    const crawled = (await s.h.task(project.id, 'crawl'))!;
    expect(crawled.assignments[0]).toMatchObject({ status: 'FAILED', attempts: 3, lastError: message() });
    expect(await s.h.task(project.id, 'rate')).toBeNull();
  });

  it('refuses a rating of 42, and changes nothing', async () => {
    const project = await crawl(`${site}/gallery`);
    const token = await s.login(rater, 'rater-password');
    const taskId = await s.h.taskId(project.id, 'rate');
    await s.gql(`mutation($id: ID!) { claimTask(input: { taskId: $id }) { task { id } } }`, { id: taskId }, { token });
    const refused = await s.gql(
      `mutation($id: ID!) { submitTask(input: { taskId: $id, action: SUBMIT, data: { rating: 42 } }) { task { status } } }`,
      { id: taskId },
      { token },
    );
    expect(refused.errors?.[0]).toMatchObject({
      message: 'Some fields need a fix: Rating (1–5) must be at most 5.',
      extensions: {
        code: 'BAD_INPUT',
        reason: 'FIELD_ERRORS',
        fields: [{ field: 'rating', message: 'Rating (1–5) must be at most 5.' }],
      },
    });
    expect((await s.h.task(project.id, 'rate'))!.status).toBe('PROCESSING');
  });
});
