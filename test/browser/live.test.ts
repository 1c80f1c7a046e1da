/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// What changes elsewhere shows at once on an open page: an admin pauses or resumes the project, or
// gives the task to someone else; a dropped connection catches up by cursor. And the session: a
// stale cookie leads to sign-in and back, sign-out ends the session, too many wrong passwords are
// throttled with a clear sentence, and the server's field errors show beside the fields.
import { beforeAll, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { SYSTEM } from '../../server/kernel/actor.js';
import simpleWorkflow from '../../workflows/simple_workflow/workflow.js';
import { createServer, type TestServer } from '../support/server.js';
import { describeInBrowser, group, live, person, useBrowser, type Person } from '../support/browser.js';
import { articles } from './workflows.js';

describeInBrowser('live changes and sessions', () => {
  const browser = useBrowser();
  let s: TestServer;
  let w: Person;
  let name: string;
  let other: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    s = await createServer({
      workflows: [articles, simpleWorkflow],
      jobs: true,
      webApp: true,
      config: { loginThrottle: { perUser: 3, perAddress: 50, windowMs: 60_000 } },
    });
    s.http.server.on('upgrade', (_req, socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    // simple_workflow's step asks for no certification: anyone may rate.
    const certs = [['articles', 'writer', 'ENTRY_LEVEL']] as [string, string, 'ENTRY_LEVEL'][];
    name = (await s.h.worker('lia', certs, { password: 'lia-password' })).username;
    other = (await s.h.worker('max', certs, { password: 'max-password' })).username;
    w = await person(browser(), s.url);
    return () => s.close();
  });

  async function waitingTask(description: string): Promise<{ projectId: number; taskId: number }> {
    const project = await s.h.project('articles', 'v1', { description });
    await expect
      .poll(async () => (await s.h.task(project.id, 'draft'))?.status, { timeout: 15_000 })
      .toBe('AWAITING_PROCESSING');
    return { projectId: project.id, taskId: (await s.h.task(project.id, 'draft'))!.id };
  }

  it('sends a visitor without a session to sign in, and back where they were going', async () => {
    const { taskId } = await waitingTask('Where I was going');
    await w.context.addCookies([{ name: 'orchestra_session', value: 'stale-or-forged', url: s.url }]);
    await w.page.goto(`/task/${taskId}`);
    await w.page.waitForURL(new RegExp(`/signin\\?next=%2Ftask%2F${taskId}$`));
    // The server cleared the stale cookie rather than refusing every request.
    expect((await w.context.cookies()).find((c) => c.name === 'orchestra_session')).toBeUndefined();
    await w.page.getByLabel('Username').fill(name);
    await w.page.getByLabel('Password').fill('lia-password');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL(`${s.url}/task/${taskId}`);
    await w.page.getByRole('button', { name: 'Take this task' }).click();
    await w.page.getByRole('heading', { name: 'Your work' }).waitFor();
  });

  it('shows at once when an admin pauses and resumes the project, or gives the task to someone else', async () => {
    const { page } = w;
    await live(page);
    const { rows } = await s.h.db.pool.query<{ project_id: number; id: number }>(
      `select t.project_id, t.id from task t join task_assignment a on a.task_id = t.id
        join worker on worker.id = a.worker_id where worker.username = $1`,
      [name],
    );
    const { project_id: projectId } = rows[0]!;
    await page.getByLabel(/^Headline/).fill('Half done');
    await page
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();

    await s.h.lifecycle.pauseProject(SYSTEM, projectId);
    await page.getByText('An admin paused this project: the work is on hold until it resumes.').waitFor();
    expect(await page.getByRole('button', { name: 'Submit' }).count()).toBe(0);
    expect(await page.getByLabel(/^Headline/).getAttribute('readonly')).not.toBeNull();

    await s.h.lifecycle.resumeProject(SYSTEM, projectId);
    await page.getByText('The project is active again: you can go on.').waitFor();
    await page.getByRole('button', { name: 'Submit' }).waitFor();

    const assignment = (await s.h.task(projectId, 'draft'))!.assignments[0]!;
    await s.h.lifecycle.reassignAssignment(SYSTEM, { assignmentId: assignment.id, username: other });
    await page.getByText('This task is no longer yours: it was given to another worker.').waitFor();
    expect(await page.getByRole('button', { name: 'Submit' }).count()).toBe(0);
    expect(w.errors).toEqual([]);
  });

  it('catches up after a dropped connection: what happened meanwhile shows once it is back', async () => {
    const { page } = w;
    await page.goto('/');
    await live(page);
    const { taskId } = await waitingTask('Given while the line was down');
    await expect.poll(() => page.getByRole('button', { name: /New task/ }).textContent()).toMatch(/1/);
    // Cut every socket; while the page is away, an admin gives it a task.
    for (const socket of sockets) socket.destroy();
    await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
    await s.h.lifecycle.assignTask(SYSTEM, { taskId, username: name });
    await live(page);
    await group(page, 'In progress').getByRole('link', { name: 'Given while the line was down' }).waitFor();
  });

  it('shows the server’s problem with a field beside that field', async () => {
    const { page } = w;
    await group(page, 'In progress').getByRole('link', { name: 'Given while the line was down' }).click();
    await page.getByLabel(/^Headline/).fill('Too long by far');
    await page.getByLabel(/^Article/).fill('Short.');
    await page.getByLabel(/^Word count/).fill('99999');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('alert').filter({ hasText: 'Some fields need a fix' }).waitFor();
    const field = page.getByLabel(/^Word count/);
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    // The message is the field's description: a screen reader reads it with the field.
    expect(
      await field.evaluate(
        (el) => document.getElementById(el.getAttribute('aria-describedby')!.split(' ').pop()!)?.textContent,
      ),
    ).toBe('Word count must be at most 2000.');
    await field.fill('2');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/$/);
  });

  it('a step with its own component (simple_workflow’s RateImage) is worked on through it', async () => {
    const { page } = w;
    await s.h.project('simple_workflow', 'v1', {
      description: 'Rate this one',
      projectData: { url: `${s.url}/workflows/simple_workflow/sample.html` },
    });
    const newTask = page.getByRole('button', { name: /New task/ });
    await expect.poll(() => newTask.textContent(), { timeout: 15_000 }).toMatch(/1/);
    await newTask.click();
    await page.getByRole('group', { name: 'How awesome is it?' }).waitFor();
    await page.getByLabel('4 · Very awesome').check();
    await page
      .getByRole('status')
      .filter({ hasText: /Saved at/ })
      .waitFor();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/$/);
    await group(page, 'Completed').getByRole('link', { name: 'Rate this one' }).waitFor();
  });

  it('signs out: the next visit asks to sign in again', async () => {
    const { page } = w;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin$/);
    await page.goto('/');
    await page.waitForURL(/\/signin$/);
  });

  it('says plainly when sign-in is throttled after too many wrong passwords', async () => {
    const { page } = w;
    for (let i = 0; i < 3; i++) {
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password').fill(`wrong-${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    }
    await page.getByLabel('Password').fill('lia-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /^Too many failed attempts\. Wait \d+ seconds, then try again\.$/ })
      .waitFor();
    expect(w.errors).toEqual([]);
  });
});
