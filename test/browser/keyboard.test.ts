/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The claim → save → submit path with the keyboard only (no mouse, no clicks), and the focus order a
// keyboard user meets on the way.
import { beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createServer, type TestServer } from '../support/server.js';
import { describeInBrowser, live, person, useBrowser, type Person } from '../support/browser.js';
import { articles } from './workflows.js';

/** The focused element as a screen reader names it (role and name). */
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return '(nothing)';
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent ?? el.getAttribute('aria-label');
    const name = (labelled ?? el.textContent ?? '').replace(/\s+/g, ' ').trim();
    return `${el.tagName.toLowerCase()}: ${name}`;
  });
}

/** Presses Tab until the focus is on what matches, returning every stop on the way (at most 40). */
async function tabTo(page: Page, target: RegExp): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    stops.push(now);
    if (target.test(now)) return stops;
  }
  throw new Error(`Tab never reached ${target}: ${stops.join(' → ')}`);
}

describeInBrowser('keyboard only', () => {
  const browser = useBrowser();
  let s: TestServer;
  let w: Person;
  let username: string;

  beforeAll(async () => {
    s = await createServer({ workflows: [articles], jobs: true, webApp: true });
    username = (await s.h.worker('keys', [['articles', 'writer', 'ENTRY_LEVEL']], { password: 'keys-password' }))
      .username;
    w = await person(browser(), s.url);
    return () => s.close();
  });

  it('signs in, takes a task, saves and submits it without a mouse', async () => {
    const { page } = w;
    await s.h.project('articles', 'v1', { description: 'Typed, not clicked' });
    await page.goto('/');
    await page.waitForURL(/\/signin$/);
    // The username field has the focus on arrival.
    expect(await focused(page)).toBe('input: Username or e-mail');
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('input: Password');
    await page.keyboard.type('keys-password');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your dashboard', exact: true }).waitFor();
    await live(page);
    await expect.poll(() => page.getByRole('button', { name: /New task/ }).textContent()).toMatch(/1/);

    // The focus order: skip link, the header, then the page's own controls.
    const stops = await tabTo(page, /^button: New task/);
    expect(stops).toEqual([
      'a: Skip to content',
      'a: Orchestra',
      'a: Dashboard',
      'a: Account',
      'button: Sign out',
      'button: New task 1',
    ]);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/task\/\d+$/);
    await page.getByRole('heading', { name: 'Draft the article' }).waitFor();

    await tabTo(page, /^input: Headline/);
    await page.keyboard.type('Typed, not clicked');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^textarea: Article/);
    await page.keyboard.type('Every key of this article was pressed, none clicked.');
    await page
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();

    const toSubmit = await tabTo(page, /^button: Submit/);
    expect(toSubmit).toEqual(['input: Word count', 'button: Submit']);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/$/);
    await page
      .getByRole('status')
      .filter({ hasText: 'Submitted “Draft the article” of “Typed, not clicked”.' })
      .waitFor();
    expect(w.errors).toEqual([]);
  });
});
