// Browser tests: headless Chromium (Debian's, through playwright-core) against a real Orchestra with
// the worker app. Each test file gets one browser; each person in a test gets a context of their
// own (their own cookies), at laptop or phone size. Screenshots go to test-artifacts/screenshots.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { chromiumPath } from './chromium.js';

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

const found = chromiumPath();

/** `describe` for browser tests: skipped (the global setup says why, once) when there is no Chromium. */
export const describeInBrowser = found.path ? describe : describe.skip;

/** One headless Chromium for the file's tests. */
export function useBrowser(): () => Browser {
  let browser: Browser | null = null;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: found.path!,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page's scripts: a test ends by expecting none. */
  errors: string[];
}

/** A person at a browser of their own (cookies, storage), at laptop size unless told. */
export async function person(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number } = LAPTOP,
): Promise<Person> {
  const context = await browser.newContext({ baseURL, viewport });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** Signs in through the sign-in page and waits for the dashboard. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Your dashboard', exact: true }).waitFor();
}

/** Waits until the header says the page's subscriptions are live. */
export async function live(page: Page): Promise<void> {
  await page
    .getByRole('status')
    .filter({ hasText: /^Live$/ })
    .waitFor();
}

/** The dashboard group with this title. */
export function group(page: Page, title: string): Locator {
  return page.locator('section.group').filter({ has: page.getByRole('heading', { name: new RegExp(`^${title}`) }) });
}

/** A screenshot for people to look at (CI keeps the folder as an artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** An axe scan of the page as it is: no serious or critical violation (each listed with its nodes). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${what}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
  expect(bad).toEqual([]);
}
