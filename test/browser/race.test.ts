/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Two workers, one task, two browsers: both click at once; one gets the task, the other is told
// plainly that someone else took it — from the dashboard's "New task" and from a task's own page.
import { beforeAll, expect, it } from 'vitest';
import { createServer, type TestServer } from '../support/server.js';
import { describeInBrowser, live, person, signIn, useBrowser, type Person } from '../support/browser.js';
import { articles } from './workflows.js';

describeInBrowser('two workers race for one task', () => {
  const browser = useBrowser();
  let s: TestServer;
  let a: Person & { name: string };
  let b: Person & { name: string };

  beforeAll(async () => {
    s = await createServer({ workflows: [articles], jobs: true, webApp: true });
    const certified = [['articles', 'writer', 'ENTRY_LEVEL']] as [string, string, 'ENTRY_LEVEL'][];
    const wa = await s.h.worker('ana', certified, { password: 'ana-password' });
    const wb = await s.h.worker('ben', certified, { password: 'ben-password' });
    a = { ...(await person(browser(), s.url)), name: wa.username };
    b = { ...(await person(browser(), s.url)), name: wb.username };
    await signIn(a.page, a.name, 'ana-password');
    await signIn(b.page, b.name, 'ben-password');
    await Promise.all([live(a.page), live(b.page)]);
    return () => s.close();
  });

  async function oneWaitingTask(): Promise<number> {
    const project = await s.h.project('articles', 'v1', { description: 'One task, two takers' });
    await expect
      .poll(async () => (await s.h.task(project.id, 'draft'))?.status, { timeout: 15_000 })
      .toBe('AWAITING_PROCESSING');
    return (await s.h.task(project.id, 'draft'))!.id;
  }

  it('from the dashboard: one lands on the task, the other hears that someone else took it', async () => {
    const taskId = await oneWaitingTask();
    const buttons = [a, b].map((p) => p.page.getByRole('button', { name: /New task/ }));
    // The count comes over the dashboard's subscription: on a machine busy with the other test files,
    // later than poll's default second.
    for (const button of buttons)
      await expect.poll(() => button.textContent(), { timeout: 10_000 }).toMatch(/New task\s*1/);

    // Both press at the same moment (one clock for both browsers): a real race at the server, not one
    // click after the other's count update has already disabled the button.
    const at = Date.now() + 400;
    await Promise.all(
      [a, b].map((p) =>
        p.page.evaluate((at) => {
          const button = [...document.querySelectorAll('button')].find((x) => x.textContent?.startsWith('New task'));
          setTimeout(() => button!.click(), at - Date.now());
        }, at),
      ),
    );

    const outcome = async (p: Person) => {
      await p.page.waitForFunction(
        () => location.pathname.startsWith('/task/') || document.querySelector('.banner.warn') !== null,
      );
      return p.page.url().includes('/task/') ? 'got it' : await p.page.locator('.banner.warn').textContent();
    };
    const outcomes = await Promise.all([outcome(a), outcome(b)]);
    expect(outcomes.filter((o) => o === 'got it')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'got it')).toEqual([
      'Someone else took the last task just before you: none is waiting for you now.',
    ]);
    const winner = outcomes[0] === 'got it' ? a : b;
    expect(new URL(winner.page.url()).pathname).toBe(`/task/${taskId}`);
    const held = await s.h.task((await projectOf(s, taskId))!, 'draft');
    expect(held?.assignments.map((x) => x.worker)).toEqual([winner.name]);
  });

  it('from the task page: one takes it, the other is told it is no longer waiting', async () => {
    // Both finish what they hold first, so that each may take another task.
    for (const p of [a, b]) await p.page.goto('/');
    const taskId = await oneWaitingTask();
    for (const p of [a, b]) {
      await p.page.goto(`/task/${taskId}`);
      await p.page.getByRole('button', { name: 'Take this task' }).waitFor();
    }
    await Promise.all([a, b].map((p) => p.page.getByRole('button', { name: 'Take this task' }).click()));
    const said = await Promise.all(
      [a, b].map(async (p) => {
        const work = p.page.getByRole('heading', { name: 'Your work' });
        const refused = p.page.getByRole('alert');
        await work.or(refused).waitFor();
        return (await work.isVisible()) ? 'got it' : await refused.textContent();
      }),
    );
    expect(said.filter((o) => o === 'got it')).toHaveLength(1);
    expect(said.filter((o) => o !== 'got it')).toEqual([
      'Someone else took this task just before you: it is no longer waiting for a worker.',
    ]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});

async function projectOf(s: TestServer, taskId: number): Promise<number | undefined> {
  const { rows } = await s.h.db.pool.query<{ project_id: number }>('select project_id from task where id = $1', [
    taskId,
  ]);
  return rows[0]?.project_id;
}
