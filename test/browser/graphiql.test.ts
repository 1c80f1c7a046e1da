/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// GraphiQL at /graphql: subscriptions run in it (graphql-ws), and in production it opens for an admin
// who signed in to the app — with that same session — and for nobody else.
import { beforeAll, expect, it } from 'vitest';
import { createServer, type TestServer } from '../support/server.js';
import { describeInBrowser, person, signIn, useBrowser } from '../support/browser.js';
import { articles } from './workflows.js';

describeInBrowser('GraphiQL in production', () => {
  const browser = useBrowser();
  let s: TestServer;
  let admin: string;
  let worker: string;

  beforeAll(async () => {
    s = await createServer({ workflows: [articles], webApp: true, config: { production: true } });
    admin = (await s.h.worker('boss', [], { isAdmin: true, password: 'boss-password' })).username;
    worker = (await s.h.worker('pat', [['articles', 'writer', 'ENTRY_LEVEL']], { password: 'pat-password' })).username;
    return () => s.close();
  });

  it('opens for an admin signed in to the app, and runs a subscription there', async () => {
    const { page, context, errors } = await person(browser(), s.url);
    await signIn(page, admin, 'boss-password');
    await page.addInitScript(() =>
      localStorage.setItem('graphiql:query', 'subscription { availableTaskCounts { entryLevel review } }'),
    );
    await page.getByRole('link', { name: 'GraphiQL' }).click();
    await page.waitForURL(/\/graphql$/);
    await page.getByRole('button', { name: /Execute query/ }).click();
    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toContain('"availableTaskCounts"');
    expect(await result.textContent()).toContain('"entryLevel": 0');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('is refused to a worker who is not an admin, and to a visitor', async () => {
    const { page, context } = await person(browser(), s.url);
    const anonymous = await page.goto('/graphql');
    expect(anonymous?.status()).toBe(403);
    await signIn(page, worker, 'pat-password');
    expect(await page.getByRole('link', { name: 'GraphiQL' }).count()).toBe(0);
    const refused = await page.goto('/graphql');
    expect(refused?.status()).toBe(403);
    expect(await page.textContent('body')).toContain('GraphiQL is available to admins only');
    await context.close();
  });
});
