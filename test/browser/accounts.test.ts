/// <reference lib="dom" />
// Accounts in Chromium, as a newcomer meets them: sign up from the sign-in page, open the activation
// link from the mailbox (a real SMTP sink), activate, sign in with the e-mail address; forget the
// password and reset it from the e-mailed link; change which messages arrive by which channel. Every
// new page is scanned with axe and photographed.
import type { Locator } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { linkIn, startMailSink, type MailSink } from '../support/mail-sink.js';
import { createServer, type TestServer } from '../support/server.js';
import {
  describeInBrowser,
  expectAccessible,
  person,
  PHONE,
  screenshot,
  useBrowser,
  type Person,
} from '../support/browser.js';
import { articles } from './workflows.js';

/** The text of an element once it is there. */
async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor();
  return ((await locator.textContent()) ?? '').trim();
}

describeInBrowser('accounts in the app', () => {
  const browser = useBrowser();
  let s: TestServer;
  let sink: MailSink;
  let newcomer: Person;

  beforeAll(async () => {
    sink = await startMailSink();
    s = await createServer({
      workflows: [articles],
      jobs: true,
      webApp: true,
      config: { mail: { smtpUrl: sink.smtpUrl, from: 'Orchestra <orchestra@test.example>' } },
    });
    newcomer = await person(browser(), s.url);
    return async () => {
      await newcomer.context.close();
      await s.close();
      await sink.close();
    };
  });

  /** The link of the newest mail to an address, as its path and query (the page opens it on this server). */
  async function linkFromMail(to: string, subject: RegExp, pathname: string): Promise<string> {
    const url = linkIn(await sink.next(to, subject), pathname);
    expect(url.origin).toBe(s.url);
    return url.pathname + url.search;
  }

  it('signs up, follows the activation link from the e-mail and signs in with the address', async () => {
    const { page } = newcomer;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to Orchestra' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'accounts-signin');
    await page.getByRole('link', { name: 'New here? Create an account' }).click();

    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.getByLabel('Username').fill('nadia');
    await page.getByLabel('E-mail').fill('nadia@example.org');
    await page.getByLabel('First name').fill('Nadia');
    await page.getByLabel('Last name').fill('Boulanger');
    await page.getByLabel('Password').fill('short');
    await expectAccessible(page, 'sign-up');
    await screenshot(page, 'accounts-signup');
    // The browser holds a too-short password back; the server would refuse it too.
    await page.getByRole('button', { name: 'Create my account' }).click();
    expect(await page.getByLabel('Password').evaluate((el: HTMLInputElement) => el.validity.tooShort)).toBe(true);
    await page.getByLabel('Password').fill('a fine long password');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByText('Check your e-mail.').waitFor();
    expect(await textOf(page.getByRole('status').first())).toContain('nadia@example.org');
    await screenshot(page, 'accounts-signup-sent');

    // Signing in before activating says what to do.
    await page.goto('/signin');
    await page.getByLabel('Username or e-mail').fill('nadia');
    await page.getByLabel('Password').fill('a fine long password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await textOf(page.getByRole('alert'))).toContain('not activated yet');
    await page.getByRole('link', { name: 'Send the activation link again' }).waitFor();

    const link = await linkFromMail('nadia@example.org', /Activate your Orchestra account/, '/activate');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Activate your account' }).waitFor();
    await expectAccessible(page, 'activate');
    await screenshot(page, 'accounts-activate');
    await page.getByRole('button', { name: 'Activate my account' }).click();
    await page.getByText('Your account is active.').waitFor();
    await screenshot(page, 'accounts-activated');

    // The same link a second time is spent, and says so.
    await page.goto(link);
    await page.getByRole('button', { name: 'Activate my account' }).click();
    expect(await textOf(page.getByRole('alert'))).toBe('This link was used already: each works once.');

    await page.getByRole('link', { name: 'Sign in', exact: true }).first().click();
    await page.getByLabel('Username or e-mail').fill('Nadia@Example.org');
    await page.getByLabel('Password').fill('a fine long password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your dashboard', exact: true }).waitFor();
    expect(newcomer.errors).toEqual([]);
  });

  it('resets a forgotten password from the e-mailed link', async () => {
    await s.h.worker('forgetful', [], { password: 'the old password', email: 'forgetful@example.org' });
    const { context, page, errors } = await person(browser(), s.url);
    await page.goto('/signin');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Username or e-mail').fill('forgetful@example.org');
    await expectAccessible(page, 'forgot');
    await screenshot(page, 'accounts-forgot');
    await page.getByRole('button', { name: 'E-mail me a link' }).click();
    await page.getByText('Check your e-mail.').waitFor();

    const link = await linkFromMail('forgetful@example.org', /Reset your Orchestra password/, '/reset');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password').fill('a brand new password');
    await page.getByLabel('The same again').fill('a brand new passwort');
    await page.getByRole('button', { name: 'Save my new password' }).click();
    expect(await textOf(page.getByRole('alert'))).toBe('The two passwords differ: type the same one twice.');
    await page.getByLabel('The same again').fill('a brand new password');
    await expectAccessible(page, 'reset');
    await screenshot(page, 'accounts-reset');
    await page.getByRole('button', { name: 'Save my new password' }).click();
    await page.getByText('Your password is changed.').waitFor();

    await page.getByRole('link', { name: 'Sign in', exact: true }).first().click();
    await page.getByLabel('Username or e-mail').fill('forgetful');
    await page.getByLabel('Password').fill('the old password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await textOf(page.getByRole('alert'))).toContain('do not match');
    await page.getByLabel('Password').fill('a brand new password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your dashboard', exact: true }).waitFor();

    // The spent link leads on to asking for a new one.
    await page.goto(link);
    await page.getByLabel('New password').fill('yet another password');
    await page.getByLabel('The same again').fill('yet another password');
    await page.getByRole('button', { name: 'Save my new password' }).click();
    expect(await textOf(page.getByRole('alert'))).toBe('This link was used already: each works once.');
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('changes the profile and which messages arrive by which channel; they stay changed', async () => {
    const { page } = newcomer; // signed in as nadia since the first test
    await page.goto('/');
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.getByLabel('E-mail', { exact: true }).inputValue()).toBe('nadia@example.org');

    await page.getByLabel('Slack name').fill('@nadia.b');
    await page.getByRole('button', { name: 'Save profile' }).click();
    expect(await textOf(page.locator('#profile-outcome'))).toBe('Profile saved.');
    expect(await page.getByLabel('Slack name').inputValue()).toBe('nadia.b');

    const returnedByMail = page.getByLabel('My work is returned with feedback: by e-mail');
    const newTasksByMail = page.getByLabel('New tasks I may take are waiting: by e-mail');
    expect(await returnedByMail.isChecked()).toBe(true);
    expect(await newTasksByMail.isChecked()).toBe(false);
    await returnedByMail.uncheck();
    await newTasksByMail.check();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    expect(await textOf(page.locator('#preferences-outcome'))).toBe('Preferences saved.');
    await expectAccessible(page, 'account');
    await screenshot(page, 'accounts-account');

    await page.reload();
    expect(await page.getByLabel('My work is returned with feedback: by e-mail').isChecked()).toBe(false);
    expect(await page.getByLabel('New tasks I may take are waiting: by e-mail').isChecked()).toBe(true);
    expect(await page.getByLabel('My work is returned with feedback: on Slack').isChecked()).toBe(true);

    // What the server keeps (and the notifications read), not just what the page shows.
    const { rows } = await s.h.db.pool.query(
      `select cp.kind, cp.email, cp.slack from communication_preference cp join worker w on w.id = cp.worker_id
        where w.username = 'nadia' and kind in ('TASK_RETURNED', 'NEW_TASKS_AVAILABLE') order by kind`,
    );
    expect(rows).toEqual([
      { kind: 'NEW_TASKS_AVAILABLE', email: true, slack: false },
      { kind: 'TASK_RETURNED', email: false, slack: true },
    ]);

    // A wrong current password is refused beside the field.
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill('another long password');
    await page.getByLabel('New password again').fill('another long password');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await textOf(page.locator('#password-outcome'))).toBe('The current password is not right.');

    const phone = await browser().newContext({
      baseURL: s.url,
      viewport: PHONE,
      storageState: await newcomer.context.storageState(),
    });
    const small = await phone.newPage();
    await small.goto('/account');
    await small.getByRole('heading', { name: 'Messages' }).waitFor();
    await expectAccessible(small, 'account (phone)');
    await screenshot(small, 'accounts-account-phone');
    await phone.close();
    expect(newcomer.errors).toEqual([]);
  });
});
