// Accounts end to end over GraphQL and a real SMTP server (smtp-server, started here): sign up, the
// activation link from the mailbox, sign in by username or e-mail; a forgotten password reset by its
// e-mailed link; expired and reused links refused; registration switched off refused; profile,
// password change and preferences. Nothing is mocked: Orchestra sends through nodemailer over SMTP.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { dbState } from '../support/db-state.js';
import { expectGqlRefused, ok } from '../support/expect.js';
import { linkIn, useMailSink, type MailSink } from '../support/mail-sink.js';
import { mailDrained } from '../support/mail-wait.js';
import { useServer, type TestServer } from '../support/server.js';
import { sleep } from '../support/wait.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { username email } }`;
const ACTIVATE = `mutation($token: String!) { activateAccount(input: { token: $token }) { username } }`;
const LOGIN = `mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token worker { username } } }`;
const FORGOT = `mutation($login: String!) { requestPasswordReset(input: { login: $login }) { accepted } }`;
const RESEND = `mutation($login: String!) { requestActivationLink(input: { login: $login }) { accepted } }`;
const RESET = `mutation($token: String!, $p: String!) { resetPassword(input: { token: $token, password: $p }) { username } }`;

let sink: MailSink;
let s: TestServer;
beforeAll(async () => {
  sink = await useMailSink();
  s = await useServer({
    workflows: [reviewWorkflow],
    jobs: true,
    config: {
      mail: { smtpUrl: sink.smtpUrl, from: 'Orchestra <orchestra@test.example>' },
      accounts: { registration: true, activationTtlMs: 48 * 3600_000, resetTtlMs: 3600_000, signupsPerAddress: 100 },
    },
  });
});

const tokenOf = (url: URL) => url.searchParams.get('token')!;

async function signUp(username: string, email: string, password = 'a long password') {
  return s.gql(REGISTER, { input: { username, email, password, firstName: 'Ada', lastName: 'Lovelace' } });
}

describe('registration', () => {
  it('signs up, mails the activation link, activates once, then signs in by username or e-mail', async () => {
    const res = await signUp('ada', 'Ada@Example.org');
    expect(ok(res).register).toEqual({ username: 'ada', email: 'Ada@Example.org' });

    // Not before the link is followed — and only someone with the password learns why.
    expectGqlRefused(await s.gql(LOGIN, { u: 'ada', p: 'a long password' }), 'UNAUTHENTICATED', /not activated yet/);
    expectGqlRefused(
      await s.gql(LOGIN, { u: 'ada', p: 'wrong password' }),
      'UNAUTHENTICATED',
      /Invalid username or password/,
    );

    const mail = await sink.next('ada@example.org', /Activate your Orchestra account/);
    expect(mail.text).toContain('Hello Ada,');
    expect(mail.text).toMatch(/within 48 hours/);
    const link = linkIn(mail, '/activate');
    expect(link.origin).toBe(s.url); // the link opens this Orchestra's app
    expect(mail.html).toContain(link.href.replace(/&/g, '&amp;'));

    expect(ok(await s.gql(ACTIVATE, { token: tokenOf(link) })).activateAccount).toEqual({ username: 'ada' });
    const reused = await s.gql(ACTIVATE, { token: tokenOf(link) });
    expectGqlRefused(reused, 'BAD_INPUT', 'This link was used already: each works once.');
    expect(reused.errors![0]!.extensions!.reason).toBe('LINK_USED');

    expect(ok(await s.gql(LOGIN, { u: 'ada', p: 'a long password' })).login.worker.username).toBe('ada');
    expect(ok(await s.gql(LOGIN, { u: 'ADA@example.ORG', p: 'a long password' })).login.worker.username).toBe('ada');
  });

  it('refuses a taken username or e-mail (any case), a short password and a non-address, changing nothing', async () => {
    await signUp('grace', 'grace@example.org');
    await sink.next('grace@example.org');
    const before = await dbState(s.h);
    for (const [input, code, message] of [
      [{ username: 'grace', email: 'other@example.org' }, 'CONFLICT', /username is taken/],
      [{ username: 'grace2', email: 'GRACE@example.org' }, 'CONFLICT', /e-mail exists already/],
      [{ username: 'grace3', email: 'grace3@example.org', password: 'short' }, 'BAD_INPUT', /at least 8 characters/],
      [{ username: 'grace4', email: 'not an address' }, 'BAD_INPUT', /not an e-mail address/],
      [{ username: 'has space', email: 'x@example.org' }, 'BAD_INPUT', /no spaces/],
    ] as const) {
      const res = await s.gql(REGISTER, { input: { password: 'a long password', ...input } });
      expectGqlRefused(res, code, message);
    }
    expect(await dbState(s.h)).toEqual(before);
  });

  it('refuses an expired activation link; a new one can be asked for and works', async () => {
    s.h.orchestra.config.accounts.activationTtlMs = 1500;
    try {
      await signUp('late', 'late@example.org');
      const first = linkIn(await sink.next('late@example.org', /Activate/), '/activate');
      expect(first).toBeTruthy();
      await sleep(1600);
      const expired = await s.gql(ACTIVATE, { token: tokenOf(first) });
      expectGqlRefused(expired, 'BAD_INPUT', 'This link has expired: ask for a new one.');
      expect(expired.errors![0]!.extensions!.reason).toBe('LINK_EXPIRED');

      s.h.orchestra.config.accounts.activationTtlMs = 3600_000;
      expect(ok(await s.gql(RESEND, { login: 'late@example.org' })).requestActivationLink.accepted).toBe(true);
      const second = linkIn(await sink.next('late@example.org', /Activate/), '/activate');
      expect(tokenOf(second)).not.toBe(tokenOf(first));
      ok(await s.gql(ACTIVATE, { token: tokenOf(second) }));
      ok(await s.gql(LOGIN, { u: 'late', p: 'a long password' }));
    } finally {
      s.h.orchestra.config.accounts.activationTtlMs = 48 * 3600_000;
    }
  });

  it('refuses a link that was never sent', async () => {
    for (const token of ['', 'made-up', 'x'.repeat(5000)]) {
      const res = await s.gql(ACTIVATE, { token });
      expectGqlRefused(res, 'BAD_INPUT', /This link is not valid/);
    }
  });

  it('switched off: sign-up is refused and nothing is written or sent; admins still create workers', async () => {
    s.h.orchestra.config.accounts.registration = false;
    try {
      expect(ok(await s.gql('{ registration { open } }')).registration.open).toBe(false);
      await mailDrained(s.h);
      const before = await dbState(s.h);
      const sent = sink.messages.length;
      const res = await signUp('closed', 'closed@example.org');
      expectGqlRefused(res, 'FORBIDDEN', /Registration is closed here/);
      expect(res.errors![0]!.extensions!.reason).toBe('REGISTRATION_CLOSED');
      await mailDrained(s.h);
      expect(await dbState(s.h)).toEqual(before);
      expect(sink.messages.length).toBe(sent);

      const admin = await s.h.worker('boss', [], { isAdmin: true, password: 'boss password' });
      const token = await s.login(admin.username, 'boss password');
      const created = await s.gql(
        `mutation { createWorker(input: { username: "hired", email: "hired@example.org", password: "hired password" }) { worker { username } } }`,
        {},
        { token },
      );
      expect(ok(created).createWorker.worker.username).toBe('hired');
      ok(await s.gql(LOGIN, { u: 'hired@example.org', p: 'hired password' })); // admin-made accounts are active
    } finally {
      s.h.orchestra.config.accounts.registration = true;
    }
    expect(ok(await s.gql('{ registration { open } }')).registration.open).toBe(true);
  });

  it('takes at most so many sign-ups from one address an hour, then says how long to wait', async () => {
    const { rows } = await s.h.db.pool.query(`select failures from login_throttle where key like 'signup:%'`);
    const done = rows[0]?.failures ?? 0;
    s.h.orchestra.config.accounts.signupsPerAddress = done + 2;
    try {
      ok(await signUp('bot1', 'bot1@example.org'));
      ok(await signUp('bot2', 'bot2@example.org'));
      await mailDrained(s.h);
      const before = await dbState(s.h);
      const sent = sink.messages.length;
      const third = await signUp('bot3', 'bot3@example.org');
      expectGqlRefused(third, 'TOO_MANY_REQUESTS', /^Too many sign-ups from here; try again in \d+ seconds\.$/);
      expect(third.errors![0]!.extensions).toMatchObject({
        reason: 'THROTTLED',
        retryAfterSeconds: expect.any(Number),
      });
      await mailDrained(s.h);
      expect(await dbState(s.h)).toEqual(before);
      expect(sink.messages.length).toBe(sent);
    } finally {
      s.h.orchestra.config.accounts.signupsPerAddress = 100;
    }
  });

  it('is off by default in production and follows ORCHESTRA_REGISTRATION', () => {
    expect(loadConfig({}).accounts.registration).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).accounts.registration).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', ORCHESTRA_REGISTRATION: 'on' }).accounts.registration).toBe(true);
    expect(loadConfig({ ORCHESTRA_REGISTRATION: 'off' }).accounts.registration).toBe(false);
  });
});

describe('forgotten password', () => {
  it('mails a single-use link; the new password works, the old one and every old session do not', async () => {
    const w = await s.h.worker('forgetful', [], { password: 'old password', email: 'forgetful@example.org' });
    const oldSession = await s.login(w.username, 'old password');

    expect(ok(await s.gql(FORGOT, { login: 'Forgetful@Example.org' })).requestPasswordReset.accepted).toBe(true);
    const mail = await sink.next('forgetful@example.org', /Reset your Orchestra password/);
    expect(mail.text).toMatch(/works once, for 60 minutes/);
    const link = linkIn(mail, '/reset');
    expect(link.origin).toBe(s.url);

    const tooShort = await s.gql(RESET, { token: tokenOf(link), p: 'short' });
    expectGqlRefused(tooShort, 'BAD_INPUT', /at least 8 characters/);
    expect(ok(await s.gql(RESET, { token: tokenOf(link), p: 'new password' })).resetPassword.username).toBe(w.username);
    expectGqlRefused(
      await s.gql(RESET, { token: tokenOf(link), p: 'newer password' }),
      'BAD_INPUT',
      'This link was used already: each works once.',
    );

    expectGqlRefused(await s.gql('{ viewer { username } }', {}, { token: oldSession }), 'UNAUTHENTICATED', /expired/);
    expectGqlRefused(await s.gql(LOGIN, { u: w.username, p: 'old password' }), 'UNAUTHENTICATED');
    ok(await s.gql(LOGIN, { u: w.username, p: 'new password' }));
  });

  it('refuses an expired reset link', async () => {
    const w = await s.h.worker('slow', [], { password: 'old password', email: 'slow@example.org' });
    s.h.orchestra.config.accounts.resetTtlMs = 1200;
    try {
      ok(await s.gql(FORGOT, { login: w.username }));
      const link = linkIn(await sink.next('slow@example.org', /Reset/), '/reset');
      await sleep(1300);
      const res = await s.gql(RESET, { token: tokenOf(link), p: 'new password' });
      expectGqlRefused(res, 'BAD_INPUT', 'This link has expired: ask for a new one.');
      ok(await s.gql(LOGIN, { u: w.username, p: 'old password' }));
    } finally {
      s.h.orchestra.config.accounts.resetTtlMs = 3600_000;
    }
  });

  it('answers the same for an unknown account and sends nothing; a flood of requests sends three links', async () => {
    await mailDrained(s.h);
    const sent = sink.messages.length;
    expect(ok(await s.gql(FORGOT, { login: 'nobody@example.org' })).requestPasswordReset.accepted).toBe(true);
    expect(ok(await s.gql(FORGOT, { login: 'nobody' })).requestPasswordReset.accepted).toBe(true);
    await mailDrained(s.h);
    expect(sink.messages.length).toBe(sent);

    const w = await s.h.worker('flooded', [], { password: 'old password', email: 'flooded@example.org' });
    for (let i = 0; i < 6; i++) {
      ok(await s.gql(FORGOT, { login: w.username }));
      await mailDrained(s.h);
    }
    expect(sink.to('flooded@example.org')).toHaveLength(3);
  });
});

describe('profile, password and preferences', () => {
  it('changes name, e-mail and Slack name; the e-mail is then a sign-in name; taken e-mails are refused', async () => {
    const w = await s.h.worker('profiled', [], { password: 'a long password' });
    await s.h.worker('neighbour', [], { email: 'taken@example.org' });
    const token = await s.login(w.username, 'a long password');
    const UPDATE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { worker { firstName lastName email slackUsername } } }`;
    const res = await s.gql(
      UPDATE,
      { input: { firstName: 'Mary', lastName: 'Somerville', email: 'mary@example.org', slackUsername: '@mary.s' } },
      { token },
    );
    expect(ok(res).updateProfile.worker).toEqual({
      firstName: 'Mary',
      lastName: 'Somerville',
      email: 'mary@example.org',
      slackUsername: 'mary.s',
    });
    ok(await s.gql(LOGIN, { u: 'mary@example.org', p: 'a long password' }));
    expectGqlRefused(await s.gql(UPDATE, { input: { email: 'TAKEN@example.org' } }, { token }), 'CONFLICT');
    expectGqlRefused(await s.gql(UPDATE, { input: { slackUsername: 'no spaces here' } }, { token }), 'BAD_INPUT');
    expectGqlRefused(await s.gql(UPDATE, { input: { firstName: 'x' } }), 'UNAUTHENTICATED');
  });

  it('changes the password with the current one; other sessions end, this one stays', async () => {
    const w = await s.h.worker('changer', [], { password: 'first password' });
    const here = await s.login(w.username, 'first password');
    const elsewhere = await s.login(w.username, 'first password');
    const CHANGE = `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { worker { username } } }`;
    expectGqlRefused(
      await s.gql(CHANGE, { c: 'not it', n: 'second password' }, { token: here }),
      'BAD_INPUT',
      'The current password is not right.',
    );
    ok(await s.gql(CHANGE, { c: 'first password', n: 'second password' }, { token: here }));
    ok(await s.gql('{ viewer { username } }', {}, { token: here }));
    expectGqlRefused(await s.gql('{ viewer { username } }', {}, { token: elsewhere }), 'UNAUTHENTICATED');
    ok(await s.gql(LOGIN, { u: w.username, p: 'second password' }));
  });

  it('lists every kind of message with its defaults, and keeps what the worker sets; others cannot read them', async () => {
    const w = await s.h.worker('chooser', [], { password: 'a long password' });
    const other = await s.h.worker('nosy', [], { password: 'a long password' });
    const token = await s.login(w.username, 'a long password');
    const Q = `{ viewer { communicationPreferences { kind label email slack } } }`;
    const prefs = ok(await s.gql(Q, {}, { token })).viewer.communicationPreferences;
    expect(prefs.map((p: { kind: string }) => p.kind)).toEqual([
      'TASK_ASSIGNED',
      'TASK_RETURNED',
      'TASK_ACCEPTED',
      'PROJECT_ENDED',
      'NEW_TASKS_AVAILABLE',
    ]);
    expect(prefs.find((p: { kind: string }) => p.kind === 'NEW_TASKS_AVAILABLE')).toMatchObject({
      email: false,
      slack: false,
    });
    const SET = `mutation($p: [CommunicationPreferenceInput!]!) { setCommunicationPreferences(input: { preferences: $p }) { worker { communicationPreferences { kind email slack } } } }`;
    const set = await s.gql(
      SET,
      {
        p: [
          { kind: 'TASK_RETURNED', email: false, slack: true },
          { kind: 'NEW_TASKS_AVAILABLE', email: true, slack: false },
        ],
      },
      { token },
    );
    const after = ok(set).setCommunicationPreferences.worker.communicationPreferences;
    expect(after.find((p: { kind: string }) => p.kind === 'TASK_RETURNED')).toEqual({
      kind: 'TASK_RETURNED',
      email: false,
      slack: true,
    });
    expect(after.find((p: { kind: string }) => p.kind === 'NEW_TASKS_AVAILABLE')).toMatchObject({ email: true });
    expect(after.find((p: { kind: string }) => p.kind === 'TASK_ASSIGNED')).toMatchObject({ email: true, slack: true });

    const otherToken = await s.login(other.username, 'a long password');
    const seen = await s.gql(
      `query($id: ID!) { worker(id: $id) { communicationPreferences { kind } slackUsername } }`,
      { id: String(w.workerId) },
      { token: otherToken },
    );
    expectGqlRefused(seen, 'FORBIDDEN');
    expectGqlRefused(await s.gql(SET, { p: [{ kind: 'NOPE', email: true, slack: true }] }, { token }), 'BAD_INPUT');
  });
});
