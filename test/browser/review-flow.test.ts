/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The worker app end to end, as two people use it at once: a writer takes a task, saves (and finds
// the work again after a reload), submits; a reviewer in another browser sees the review appear
// without reloading, returns it with feedback; the writer sees it come back live with the feedback,
// fixes it and submits again; the reviewer sees what changed as a diff and accepts; both dashboards
// show it completed. Every page is scanned with axe and photographed at laptop and phone width.
import { beforeAll, expect, it } from 'vitest';
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
  type Person,
} from '../support/browser.js';
import { articles } from './workflows.js';

describeInBrowser('a task through review in two browsers', () => {
  const browser = useBrowser();
  let s: TestServer;
  let writer: Person;
  let reviewer: Person;
  let writerName: string;
  let reviewerName: string;

  beforeAll(async () => {
    s = await createServer({ workflows: [articles], jobs: true, webApp: true });
    writerName = (await s.h.worker('writer', [['articles', 'writer', 'ENTRY_LEVEL']], { password: 'writer-pass' }))
      .username;
    reviewerName = (await s.h.worker('editor', [['articles', 'writer', 'REVIEWER']], { password: 'editor-pass' }))
      .username;
    writer = await person(browser(), s.url);
    reviewer = await person(browser(), s.url);
    return async () => {
      await writer.context.close();
      await reviewer.context.close();
      await s.close();
    };
  });

  /** The same person's session at phone width, for a photograph. */
  async function atPhoneWidth(who: Person, path: string, name: string) {
    const context = await browser().newContext({
      baseURL: s.url,
      viewport: PHONE,
      storageState: await who.context.storageState(),
    });
    const phone = await context.newPage();
    await phone.goto(path);
    await live(phone);
    await phone.locator('h1').first().waitFor();
    await expectAccessible(phone, `${name} (phone)`);
    await screenshot(phone, `${name}-phone`);
    await context.close();
  }

  it('signs in (sign-in page scanned and photographed first)', async () => {
    const { page } = writer;
    await page.goto('/');
    await page.waitForURL(/\/signin$/);
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'signin-laptop');
    const phone = await person(browser(), s.url, PHONE);
    await phone.page.goto('/signin');
    await phone.page.getByRole('heading', { name: 'Sign in to Orchestra' }).waitFor();
    await expectAccessible(phone.page, 'sign-in (phone)');
    await screenshot(phone.page, 'signin-phone');
    await phone.context.close();
    await signIn(page, writerName, 'writer-pass');
    await live(page);
    expect(await page.getByRole('banner').textContent()).toContain(`Signed in as ${writerName}`);
  });

  let taskPath = '';

  it('the writer requests a task, saves, reloads and finds the work again', async () => {
    const { page } = writer;
    await s.h.project('articles', 'v1', { description: 'City budget explained', projectData: { topic: 'the budget' } });
    // The machine step runs, the draft task appears: the count goes to 1 without a reload.
    const newTask = page.getByRole('button', { name: /New task/ });
    await expect.poll(() => newTask.textContent(), { timeout: 15_000 }).toMatch(/New task\s*1/);
    await newTask.click();
    await page.waitForURL(/\/task\/\d+$/);
    taskPath = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: 'Draft the article' }).waitFor();
    // The brief of the machine step, readably.
    const earlier = page.getByRole('region', { name: 'From earlier steps' });
    await expect.poll(() => earlier.textContent()).toContain('the budget');
    await page.getByLabel(/^Headline/).fill('The budget, line by line');
    await page.getByLabel(/^Article/).fill('The council will spend more on schools this year.');
    await page
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();
    await page.reload();
    expect(await page.getByLabel(/^Headline/).inputValue()).toBe('The budget, line by line');
    expect(await page.getByLabel(/^Article/).inputValue()).toBe('The council will spend more on schools this year.');
    await live(page);
    await expectAccessible(page, 'task page');
    await screenshot(page, 'task-laptop');
    await atPhoneWidth(writer, taskPath, 'task');
  });

  it('the reviewer sees the review appear without a reload when the writer submits', async () => {
    await signIn(reviewer.page, reviewerName, 'editor-pass');
    await live(reviewer.page);
    const newReview = reviewer.page.getByRole('button', { name: /New review/ });
    await expect.poll(() => newReview.textContent()).toMatch(/New review\s*0/);
    expect(await reviewer.page.locator('#new-review-why').textContent()).toContain('No review is waiting');

    await writer.page.getByRole('button', { name: 'Submit' }).click();
    await writer.page.waitForURL(/\/$/);
    await writer.page.getByRole('status').filter({ hasText: 'Submitted “Draft the article”' }).waitFor();
    await group(writer.page, 'Waiting for review').getByRole('link', { name: 'City budget explained' }).waitFor();

    await expect.poll(() => newReview.textContent(), { timeout: 10_000 }).toMatch(/New review\s*1/);
    expect(reviewer.errors).toEqual([]);
  });

  it('the reviewer returns it with feedback; the writer sees it come back live, with the feedback', async () => {
    const { page } = reviewer;
    await page.getByRole('button', { name: /New review/ }).click();
    await page.waitForURL(taskPath);
    await page.getByRole('heading', { name: 'Work under review' }).waitFor();
    expect(await page.getByLabel(/^Headline/).inputValue()).toBe('The budget, line by line');
    await page.getByLabel(/^Feedback for/).fill('Say how much more: give the figure.');
    await page.getByRole('button', { name: 'Return with feedback' }).click();
    await page.waitForURL(/\/$/);
    await group(page, 'Sent back, waiting for the fix').getByRole('link', { name: 'City budget explained' }).waitFor();

    // The writer has been looking at their dashboard all along.
    const returned = group(writer.page, 'Returned to you');
    await returned.getByRole('link', { name: 'City budget explained' }).waitFor();
    expect(await group(writer.page, 'Waiting for review').count()).toBe(0);
    await expectAccessible(writer.page, 'dashboard');
    await screenshot(writer.page, 'dashboard-laptop');
    await atPhoneWidth(writer, '/', 'dashboard');

    await returned.getByRole('link', { name: 'City budget explained' }).click();
    const back = writer.page.getByRole('region', { name: /^Returned by/ });
    await expect.poll(() => back.textContent()).toContain('Say how much more: give the figure.');
  });

  it('the writer fixes and submits; the reviewer sees the diff and accepts; both see it completed', async () => {
    const { page } = writer;
    await page.getByLabel(/^Article/).fill('The council will spend 12% more on schools in 2027.');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/$/);

    // Back on the reviewer's dashboard, live: from "sent back" to "in progress".
    const inProgress = group(reviewer.page, 'In progress');
    await inProgress.getByRole('link', { name: 'City budget explained' }).waitFor();
    await inProgress.getByRole('link', { name: 'City budget explained' }).click();
    const diff = reviewer.page.locator('figure.diff');
    await diff.waitFor();
    expect(await diff.locator('del').allTextContents()).toEqual(['this year.']);
    expect(await diff.locator('ins').allTextContents()).toEqual(['12% ', 'in 2027.']);
    const history = reviewer.page.getByRole('region', { name: 'History' });
    expect(await history.textContent()).toContain('Say how much more: give the figure.');
    await expectAccessible(reviewer.page, 'review with diff');
    await screenshot(reviewer.page, 'review-laptop');
    await atPhoneWidth(reviewer, taskPath, 'review');

    await reviewer.page.getByRole('button', { name: 'Accept' }).click();
    await reviewer.page.waitForURL(/\/$/);
    await group(reviewer.page, 'Completed').getByRole('link', { name: 'City budget explained' }).waitFor();
    await group(writer.page, 'Completed').getByRole('link', { name: 'City budget explained' }).waitFor();
    const draft = await s.h.task(await projectOf(s, taskPath), 'draft');
    expect(draft?.status).toBe('COMPLETE');
    expect(draft?.assignments.map((a) => [a.worker, a.status])).toEqual([
      [writerName, 'SUBMITTED'],
      [reviewerName, 'SUBMITTED'],
    ]);
    expect(writer.errors).toEqual([]);
    expect(reviewer.errors).toEqual([]);
  });

  it('a page that does not exist says so, accessibly', async () => {
    await writer.page.goto('/no/such/page');
    await writer.page.getByRole('heading', { name: 'This page does not exist' }).waitFor();
    await expectAccessible(writer.page, 'not found');
  });
});

async function projectOf(s: TestServer, taskPath: string): Promise<number> {
  const id = Number(taskPath.split('/').pop());
  const { rows } = await s.h.db.pool.query<{ project_id: number }>('select project_id from task where id = $1', [id]);
  return rows[0]!.project_id;
}
