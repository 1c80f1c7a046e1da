// Notifications from committed events, end to end: the lifecycle commits, the durable consumer adds
// jobs, the jobs send through a real SMTP server (smtp-server, started here) and post to a local
// HTTP receiver standing in for Slack's incoming webhook. A rolled-back change sends nothing; a
// returned task sends its worker exactly one message with the feedback, also when the first send
// fails and the job is retried; preferences switch kinds off; `orchestra worker` sends them too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import type { Actor } from '../../server/kernel/actor.js';
import { startOrchestraCommand, type Child } from '../support/child.js';
import { failure } from '../support/expect.js';
import { useHarness, type Harness } from '../support/harness.js';
import { startWebhookReceiver, useMailSink, type MailSink, type WebhookReceiver } from '../support/mail-sink.js';
import { mailDrained } from '../support/mail-wait.js';
import hookedWorkflow from '../workflows/hooked/hooked/workflow.js';
import { PROJECT_ROOT } from '../../server/config.js';
import path from 'node:path';

const notified = defineWorkflow({
  slug: 'notified',
  name: 'Notified',
  certifications: [{ slug: 'writer', name: 'Writer' }],
  versions: [
    {
      slug: 'v1',
      name: 'Written and reviewed',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write the story',
          requiredCertifications: ['writer'],
          reviewPolicy: { policy: 'sampled_review', rate: 1, maxReviews: 1 },
        },
      ],
    },
    {
      slug: 'refusing',
      name: 'Creation fails after the task is written',
      steps: [
        {
          kind: 'human',
          slug: 'write',
          name: 'Write the story',
          requiredCertifications: ['writer'],
          assignmentPolicy: { entryLevel: { policy: 'specified_worker', username: 'nobody_here' } },
        },
      ],
    },
  ],
});

let sink: MailSink;
let slack: WebhookReceiver;
let h: Harness;
beforeAll(async () => {
  sink = await useMailSink();
  slack = await startWebhookReceiver();
  h = await useHarness({
    workflows: [notified],
    jobs: true,
    config: { mail: { smtpUrl: sink.smtpUrl, from: 'Orchestra <orchestra@test.example>' } },
  });
  h.orchestra.config.publicUrl = 'http://orchestra.test';
});
afterAll(() => slack.close());

const returned = (mails: { subject: string }[]) => mails.filter((m) => /^Returned with feedback/.test(m.subject));

async function people(prefix: string, extra: { slackUsername?: string } = {}) {
  const writer = await h.worker(`${prefix}_writer`, [['notified', 'writer', 'ENTRY_LEVEL']], {
    email: `${prefix}.writer@example.org`,
    ...extra,
  });
  const reviewer = await h.worker(`${prefix}_reviewer`, [['notified', 'writer', 'REVIEWER']], {
    email: `${prefix}.reviewer@example.org`,
  });
  await h.orchestra.accounts.updateProfile(writer, { firstName: 'Ada' });
  await h.orchestra.accounts.updateProfile(reviewer, { firstName: 'Rita', lastName: 'Reviewer' });
  return { writer, reviewer };
}

/** A project whose task the writer submitted and the reviewer holds. */
async function inReview(writer: Actor, reviewer: Actor, extra: { slackWebhookUrl?: string } = {}) {
  const project = await h.orchestra.lifecycle.createProject(h.admin, {
    workflowSlug: 'notified',
    versionSlug: 'v1',
    description: 'Harbour story',
    ...extra,
  });
  const taskId = await h.taskId(project.id, 'write');
  await h.lifecycle.claimTask(writer, taskId);
  await h.lifecycle.submitTask(writer, { taskId, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
  await h.lifecycle.claimTask(reviewer, taskId);
  return { project, taskId };
}

describe('e-mail notifications', () => {
  it('a returned task: exactly one message to its worker, with the feedback, though the first send fails', async () => {
    const { writer, reviewer } = await people('ret');
    const { taskId } = await inReview(writer, reviewer);
    await mailDrained(h);
    // Their own claims and submissions told them nothing.
    expect(sink.to('ret.writer@example.org')).toEqual([]);
    expect(sink.to('ret.reviewer@example.org')).toEqual([]);

    const refusedBefore = sink.refused();
    sink.refuseNext(1);
    await h.lifecycle.submitTask(reviewer, {
      taskId,
      data: { text: 'draft' },
      action: SubmitAction.REJECT,
      feedback: 'The lede buries the news: start with the storm.',
    });
    const mail = await sink.next('ret.writer@example.org', /^Returned with feedback/, 30_000);
    await mailDrained(h, 30_000);
    expect(sink.refused() - refusedBefore).toBe(1); // the first attempt was refused, the retry delivered
    expect(returned(sink.to('ret.writer@example.org'))).toHaveLength(1);
    expect(mail.subject).toBe('Returned with feedback: Write the story — Harbour story');
    expect(mail.text).toContain('Hello Ada,');
    expect(mail.text).toContain('Rita Reviewer returned your work on "Write the story" of "Harbour story".');
    expect(mail.text).toContain('The lede buries the news: start with the storm.');
    expect(mail.text).toContain(`http://orchestra.test/task/${taskId}`);
    expect(mail.html).toContain('The lede buries the news: start with the storm.');

    // Sent back up: the reviewer has it again; accepted: the writer hears it is complete.
    await h.lifecycle.submitTask(writer, { taskId, data: { text: 'storm first' }, action: SubmitAction.SUBMIT });
    const again = await sink.next('ret.reviewer@example.org', /^Ready for re-review/);
    expect(again.text).toContain('Ada ');
    await h.lifecycle.submitTask(reviewer, { taskId, data: { text: 'storm first' }, action: SubmitAction.ACCEPT });
    const done = await sink.next('ret.writer@example.org', /^Task complete/);
    expect(done.text).toContain('Rita Reviewer accepted the work');
    await mailDrained(h);
    expect(sink.to('ret.reviewer@example.org').map((m) => m.subject)).toEqual([
      'Ready for re-review: Write the story — Harbour story',
    ]);
  });

  it('a job retried after some of its messages went out sends only the rest: one message per recipient', async () => {
    const { writer, reviewer } = await people('end');
    const { project } = await inReview(writer, reviewer);
    await mailDrained(h);
    sink.refuseNext(1); // the first recipient's message fails, the second's goes out
    await h.lifecycle.endProject(h.admin, project.id);
    await sink.next('end.writer@example.org', /^Project ended/, 30_000);
    await sink.next('end.reviewer@example.org', /^Project ended/, 30_000);
    await mailDrained(h, 30_000);
    expect(sink.to('end.writer@example.org').map((m) => m.subject)).toEqual(['Project ended: Harbour story']);
    expect(sink.to('end.reviewer@example.org').map((m) => m.subject)).toEqual(['Project ended: Harbour story']);
    const { rows } = await h.db.pool.query(
      `select worker_id, channel, kind from notification_delivery where worker_id = any($1::int[]) order by worker_id`,
      [[writer.workerId, reviewer.workerId]],
    );
    expect(rows).toEqual([
      { worker_id: writer.workerId, channel: 'email', kind: 'PROJECT_ENDED' },
      { worker_id: reviewer.workerId, channel: 'email', kind: 'PROJECT_ENDED' },
    ]);
  });

  it('preferences switch a kind of message off (and leave the others on)', async () => {
    const { writer, reviewer } = await people('pref');
    await h.orchestra.accounts.setPreferences(writer, [{ kind: 'TASK_RETURNED', email: false, slack: false }]);
    const { taskId } = await inReview(writer, reviewer);
    await h.lifecycle.submitTask(reviewer, { taskId, data: {}, action: SubmitAction.REJECT, feedback: 'Again.' });
    await mailDrained(h);
    expect(sink.to('pref.writer@example.org')).toEqual([]);

    // An admin giving them a task is another kind: still on.
    const other = await h.project('notified');
    await h.lifecycle.assignTask(h.admin, { taskId: await h.taskId(other.id, 'write'), workerId: writer.workerId });
    const assigned = await sink.next('pref.writer@example.org', /^New task/);
    expect(assigned.text).toContain('You have been given the task "Write the story" of "test project".');
  });

  it('a rolled-back change sends nothing; the same change committed tells the workers who may take the task', async () => {
    const keen = await h.worker('keen', [['notified', 'writer', 'ENTRY_LEVEL']], { email: 'keen@example.org' });
    const uncertified = await h.worker('uncertified', [], { email: 'uncertified@example.org' });
    const quiet = await h.worker('quiet', [['notified', 'writer', 'ENTRY_LEVEL']], { email: 'quiet@example.org' });
    for (const w of [keen, uncertified]) {
      await h.orchestra.accounts.setPreferences(w, [{ kind: 'NEW_TASKS_AVAILABLE', email: true, slack: false }]);
    }
    await mailDrained(h);

    // The task is written and its event emitted, then the assignment policy fails: all of it rolls back.
    await failure(() => h.project('notified', 'refusing', { description: 'Never was' }));
    await mailDrained(h);
    expect(sink.to('keen@example.org')).toEqual([]);

    await h.project('notified', 'v1', { description: 'Real one' });
    const mail = await sink.next('keen@example.org', /^A task is waiting/);
    expect(mail.text).toContain('"Write the story" of "Real one"');
    await mailDrained(h);
    expect(sink.to('keen@example.org')).toHaveLength(1);
    expect(sink.to('uncertified@example.org')).toEqual([]); // may not take it
    expect(sink.to('quiet@example.org')).toEqual([]); // did not ask (new-task news is opt-in)
    expect(quiet).toBeTruthy();
  });
});

describe('Slack', () => {
  it("posts to the project's webhook, mentioning the worker, once even when Slack fails first", async () => {
    const { writer, reviewer } = await people('sl', { slackUsername: 'ada.l' });
    const { taskId } = await inReview(writer, reviewer, { slackWebhookUrl: slack.url });
    await mailDrained(h);
    const before = slack.posts.length;
    slack.failNext(1);
    await h.lifecycle.submitTask(reviewer, { taskId, data: {}, action: SubmitAction.REJECT, feedback: 'Shorter.' });
    await sink.next('sl.writer@example.org', /^Returned/, 30_000);
    await mailDrained(h, 30_000);
    const posts = slack.posts.slice(before);
    expect(posts).toEqual([
      {
        text: `@ada.l: Rita Reviewer returned "Write the story" of "Harbour story": “Shorter.”. http://orchestra.test/task/${taskId}`,
      },
    ]);
    expect(returned(sink.to('sl.writer@example.org'))).toHaveLength(1); // e-mail once, too
  });

  it("posts to the workflow's webhook when the project has none; a worker can turn Slack off", async () => {
    const workflowChannel = await startWebhookReceiver();
    h.orchestra.config.slackWebhooks = { notified: workflowChannel.url };
    try {
      const { writer, reviewer } = await people('wf');
      const { project } = await inReview(writer, reviewer);
      await h.orchestra.accounts.setPreferences(reviewer, [{ kind: 'PROJECT_ENDED', email: true, slack: false }]);
      await mailDrained(h);
      await h.lifecycle.endProject(h.admin, project.id);
      await sink.next('wf.reviewer@example.org', /^Project ended/);
      await mailDrained(h);
      expect(workflowChannel.posts).toEqual([{ text: 'Ada: The project "Harbour story" was ended.' }]);
    } finally {
      h.orchestra.config.slackWebhooks = {};
      await workflowChannel.close();
    }
  });
});

describe('an `orchestra worker` process', () => {
  let child: Child | null = null;
  let quiet: Harness;
  beforeAll(async () => {
    quiet = await useHarness({ workflows: [hookedWorkflow], jobs: false });
  });
  afterAll(async () => {
    await child?.stop();
  });

  it('sends the notifications when the server runs no jobs', async () => {
    child = startOrchestraCommand(['worker'], {
      ...process.env,
      DATABASE_URL: quiet.db.url,
      ORCHESTRA_WORKFLOWS_DIR: path.join(PROJECT_ROOT, 'test/workflows/hooked'),
      ORCHESTRA_SMTP_URL: sink.smtpUrl,
      ORCHESTRA_PUBLIC_URL: 'http://orchestra.test',
      NODE_ENV: 'test',
    });
    await child.waitFor(/Orchestra worker running/, 'the worker to start', 60_000);
    expect(quiet.orchestra.background).toBeNull();

    const w = await quiet.worker('far_away', [], { email: 'far.away@example.org' });
    const project = await quiet.project('hooked');
    await quiet.lifecycle.assignTask(quiet.admin, {
      taskId: await quiet.taskId(project.id, 'only'),
      workerId: w.workerId,
    });
    const mail = await sink.next('far.away@example.org', /^New task: Only/, 60_000);
    expect(mail.text).toContain('http://orchestra.test/task/');
  });
});
