/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The newsroom of the original's docs, driven in the app by its six accounts: the editor's idea; a
// reporter and a photographer in parallel; the senior reporter returns the article with feedback
// and accepts the fix; the senior photographer accepts a real uploaded photo; the machine makes a
// real greyscale copy (pixels checked); the copy editor writes headline and caption; the output JSON
// has the seed's shape, and its addresses serve the files — to those who may see the project.
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SYSTEM } from '../../server/kernel/actor.js';
import journalism from '../../workflows/journalism/workflow.js';
import { loadFixture } from '../../seeds/fixtures.js';
import { createServer, type TestServer } from '../support/server.js';
import {
  describeInBrowser,
  expectAccessible,
  group,
  live,
  person,
  screenshot,
  signIn,
  useBrowser,
  type Person,
} from '../support/browser.js';

describeInBrowser('the journalism workflow, end to end, as its six accounts', () => {
  const browser = useBrowser();
  let s: TestServer;
  let projectId = 0;
  const people: Record<string, Person> = {};

  const ACCOUNTS = {
    editor: ['journalism-editor', 'editor'],
    reporter: ['journalism-reporter-1', 'reporter'],
    seniorReporter: ['journalism-reporter-2', 'reporter'],
    photographer: ['journalism-photographer-1', 'photographer'],
    seniorPhotographer: ['journalism-photographer-2', 'photographer'],
    copyEditor: ['journalism-copy-editor', 'copy-editor'],
  } as const;

  beforeAll(async () => {
    s = await createServer({ workflows: [journalism], jobs: true, webApp: true });
    await loadFixture(s.h.orchestra, 'journalism');
    for (const [role, [username, password]] of Object.entries(ACCOUNTS)) {
      people[role] = await person(browser(), s.url);
      await signIn(people[role]!.page, username, password);
    }
    return () => s.close();
  });

  /** Takes the next task (or review) from the dashboard and waits for its page. */
  async function take(page: Page, kind: 'task' | 'review', heading: string) {
    await page.goto('/');
    await live(page);
    const button = page.getByRole('button', { name: new RegExp(`New ${kind}`) });
    await expect.poll(() => button.isEnabled(), { timeout: 20_000 }).toBe(true);
    await button.click();
    await page.waitForURL(/\/task\/\d+$/);
    await page.getByRole('heading', { name: heading, exact: true }).first().waitFor();
  }

  async function submit(page: Page, button = 'Submit') {
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL(/\/$/);
  }

  it('the editor sends a story off', async () => {
    const project = await s.h.project('journalism', 'v1', {
      description: 'The harbour reopens',
      projectData: { title: 'The harbour reopens' },
    });
    projectId = project.id;
    const { page } = people.editor!;
    await take(page, 'task', 'Editor');
    // Document creation ran: the article document and both photo folders exist.
    const files = s.h.orchestra.files.project(projectId);
    expect((await files.read('Article.md')).data.toString()).toContain('# The harbour reopens');
    await page.getByLabel(/^Story idea/).fill('The harbour reopens after two years: who comes back?');
    await expectAccessible(page, 'journalism: editor');
    await screenshot(page, 'journalism-editor');
    await submit(page);
  });

  it('the reporter writes while the photographer uploads a real photo', async () => {
    const r = people.reporter!.page;
    await take(r, 'task', 'Reporting');
    expect(await r.getByRole('region', { name: "The editor's story idea" }).textContent()).toContain('who comes back?');
    await r.getByLabel('Article').fill('The harbour opened its gates on Monday. Fishermen were first.');
    await r
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();
    await expectAccessible(r, 'journalism: reporting');
    await screenshot(r, 'journalism-reporting');
    await submit(r);

    const p = people.photographer!.page;
    await take(p, 'task', 'Photography');
    // A 60×40 photo in strong colours: red on the left, blue on the right.
    const photo = await sharp({ create: { width: 60, height: 40, channels: 3, background: { r: 220, g: 30, b: 30 } } })
      .composite([
        {
          input: await sharp({ create: { width: 30, height: 40, channels: 3, background: { r: 20, g: 40, b: 230 } } })
            .png()
            .toBuffer(),
          left: 30,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
    await p
      .getByLabel(/^Add photos/)
      .setInputFiles({ name: 'harbour gates.png', mimeType: 'image/png', buffer: photo });
    const shown = p.getByRole('img', { name: 'Photo harbour gates.png' });
    await shown.waitFor();
    await expect.poll(() => shown.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(60);
    // A file that is no photo is refused with a sentence, and nothing is stored.
    await p
      .getByLabel(/^Add photos/)
      .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
    await p
      .getByRole('alert')
      .filter({ hasText: 'notes.png: This step takes JPEG or PNG files; this one is none of those.' })
      .waitFor();
    expect((await s.h.orchestra.files.project(projectId).list('Raw Photos')).map((f) => f.path)).toEqual([
      'Raw Photos/harbour gates.png',
    ]);
    await expectAccessible(p, 'journalism: photography');
    await screenshot(p, 'journalism-photography');
    await submit(p);
  });

  it('the senior reporter returns the article with feedback, then accepts the fix', async () => {
    const senior = people.seniorReporter!.page;
    await take(senior, 'review', 'Reporting');
    await senior.getByLabel(/^Feedback for/).fill('Quote one of the fishermen.');
    await submit(senior, 'Return with feedback');

    const r = people.reporter!.page;
    await r.goto('/');
    await group(r, 'Returned to you').getByRole('link', { name: 'The harbour reopens' }).click();
    await r
      .getByRole('region', { name: /^Returned by/ })
      .filter({ hasText: 'Quote one of the fishermen.' })
      .waitFor();
    await r
      .getByLabel('Article')
      .fill('The harbour opened its gates on Monday. Fishermen were first. "We waited two years," said Ana Lopes.');
    await submit(r);

    await senior.goto('/');
    await group(senior, 'In progress').getByRole('link', { name: 'The harbour reopens' }).click();
    await senior.locator('figure.diff').waitFor();
    expect(await senior.locator('figure.diff ins').allTextContents()).toEqual([
      ' "We waited two years," said Ana Lopes.',
    ]);
    await submit(senior, 'Accept');
  });

  it('the senior photographer accepts the photo; the machine makes a greyscale copy', async () => {
    const senior = people.seniorPhotographer!.page;
    await take(senior, 'review', 'Photography');
    const shown = senior.getByRole('img', { name: 'Photo harbour gates.png' });
    await expect.poll(() => shown.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(60);
    expect(await senior.getByLabel(/^Add photos/).count()).toBe(1); // a reviewer may add or remove too
    await screenshot(senior, 'journalism-photo-review');
    await submit(senior, 'Accept');

    const files = s.h.orchestra.files.project(projectId);
    await expect.poll(async () => (await files.list('Processed Photos')).length, { timeout: 20_000 }).toBe(1);
    const { data } = await files.read('Processed Photos/harbour gates.png');
    const meta = await sharp(data).metadata();
    expect([meta.width, meta.height, meta.channels, meta.space]).toEqual([60, 40, 1, 'b-w']);
    // Every pixel is a grey (R = G = B once read as RGB); red and blue became two different greys.
    const { data: pixels } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...pixels.subarray((y * 60 + x) * 3, (y * 60 + x) * 3 + 3)];
    for (const [x, y] of [
      [10, 20],
      [50, 20],
      [0, 0],
      [59, 39],
    ] as const) {
      const [r, g, b] = at(x, y);
      expect(r === g && g === b, `pixel ${x},${y}: ${at(x, y)}`).toBe(true);
    }
    expect(at(10, 20)[0]).not.toBe(at(50, 20)[0]);
    const raw = await sharp((await files.read('Raw Photos/harbour gates.png')).data)
      .raw()
      .toBuffer();
    expect([raw[0], raw[1], raw[2]]).toEqual([220, 30, 30]);
  });

  it('the copy editor captions the processed photo; the output has the seed’s shape and serves its files', async () => {
    const c = people.copyEditor!.page;
    await take(c, 'task', 'Copy editing');
    const processed = c.getByRole('img', { name: 'Processed photo 1 of 1' });
    await expect.poll(() => processed.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(60);
    expect(await c.getByRole('region', { name: 'The article' }).textContent()).toContain('said Ana Lopes');
    await c.getByLabel(/^Headline/).fill('Back in the harbour');
    await c.getByLabel('Caption for photo 1').fill('The gates, open again.');
    await c
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();
    await expectAccessible(c, 'journalism: copy editing');
    await screenshot(c, 'journalism-copy-editing');
    await submit(c);
    await group(c, 'Completed').getByRole('link', { name: 'The harbour reopens' }).waitFor();

    const { secret } = await s.h.orchestra.auth.createApiKey(SYSTEM, 'newsroom cms');
    const res = await s.gql<{ project: { status: string; output: any } }>(
      `query($id: ID!) { project(id: $id) { status output } }`,
      { id: projectId },
      { apiKey: secret },
    );
    const base = `${s.url}/files/projects/${projectId}`;
    expect(res.data?.project).toEqual({
      status: 'COMPLETED',
      output: {
        articleDocument: `${base}/Article.md`,
        headline: 'Back in the harbour',
        photos: [{ caption: 'The gates, open again.', src: `${base}/Processed%20Photos/harbour%20gates.png` }],
      },
    });
    const src = res.data!.project.output.photos[0].src as string;
    const image = await fetch(src, { headers: { 'x-api-key': secret } });
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect((await sharp(Buffer.from(await image.arrayBuffer())).metadata()).channels).toBe(1);
    const article = await (await fetch(`${base}/Article.md`, { headers: { 'x-api-key': secret } })).text();
    expect(article).toBe(
      '# Back in the harbour\n\nThe harbour opened its gates on Monday. Fishermen were first. "We waited two years," said Ana Lopes.\n',
    );
    // Files are the project's: nobody anonymous, no worker who is not on it.
    expect((await fetch(src)).status).toBe(401);
    const outsider = await s.h.worker('outsider', [], { password: 'outsider-password' });
    const token = await s.login(outsider.username, 'outsider-password');
    expect((await fetch(src, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    for (const p of Object.values(people)) expect(p.errors).toEqual([]);
  });
});
