// Loading a view and then subscribing from `eventCursor` misses nothing that happens in between;
// a project event reports every one of the viewer's tasks in the project on their dashboard.
import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { useServer, type TestServer } from '../support/server.js';
import { collect, wsClient } from '../support/ws.js';
import { CertificationRole } from '../../server/kernel/status.js';
import { diamondWorkflow, reviewWorkflow } from '../workflows/fixtures.js';

let s: TestServer;
beforeAll(async () => {
  s = await useServer({ workflows: [diamondWorkflow, reviewWorkflow] });
});

describe('availableTaskCounts and certifications', () => {
  it('change when an admin grants or revokes a certification', async () => {
    const w = await s.h.worker('grant_w', [], { password: 'password1' });
    const token = await s.login('grant_w', 'password1');
    await s.h.project('review', 'noreview'); // one task waits for a certified writer
    await s.settled();
    const client = wsClient(s.url, { authorization: `Bearer ${token}` });
    const sub = collect(client, `subscription { availableTaskCounts { entryLevel review } }`);
    const grant = {
      workerId: w.workerId,
      workflowSlug: 'review',
      certificationSlug: 'writer',
      role: CertificationRole.ENTRY_LEVEL,
    };
    expect((await sub.waitFor(1))[0].availableTaskCounts).toEqual({ entryLevel: 0, review: 0 });
    while (s.http.realtime.subscriptions === 0) await new Promise((r) => setTimeout(r, 10));
    await s.h.workers.grantCertification(s.h.admin, grant);
    expect((await sub.waitFor(2))[1].availableTaskCounts).toEqual({ entryLevel: 1, review: 0 });
    await s.h.workers.revokeCertification(s.h.admin, grant);
    expect((await sub.waitFor(3))[2].availableTaskCounts).toEqual({ entryLevel: 0, review: 0 });
    sub.stop();
    await client.dispose();
  });
});

describe('eventCursor', () => {
  it('gives a cursor after which a subscription receives exactly what happened since', async () => {
    const w = await s.h.worker('cursor_w', [], { password: 'password1' });
    const token = await s.login('cursor_w', 'password1');
    const project = await s.h.project('diamond');
    const a = await s.h.taskId(project.id, 'a');
    await s.h.lifecycle.claimTask(w, a);
    await s.settled();
    const res = await s.gql<{ eventCursor: string }>('{ eventCursor }', {}, { token });
    const cursor = res.data!.eventCursor;
    expect(cursor).toMatch(/^\d+\.\d+$/);

    // Happens after the cursor was taken and before the subscription exists.
    await s.h.lifecycle.submitTask(w, { taskId: a, data: { done: true }, action: SubmitAction.SUBMIT });

    const client = wsClient(s.url, { authorization: `Bearer ${token}` });
    const sub = collect(
      client,
      `subscription($after: String) { dashboardChanges(after: $after) { taskId state event { type cursor } } }`,
      { after: cursor },
    );
    const items = await sub.waitFor(3);
    expect(items.map((i: any) => i.dashboardChanges.event.type)).toEqual([
      'task.submitted',
      'task.status_changed',
      'task.completed',
    ]);
    expect(
      items.every((i: any) => i.dashboardChanges.taskId === String(a) && i.dashboardChanges.state === 'COMPLETE'),
    ).toBe(true);
    sub.stop();
    await client.dispose();
    expect((await s.gql('{ eventCursor }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('reports every task of the viewer in a project when the project is paused', async () => {
    const w = await s.h.worker('pause_w', [], { password: 'password1' });
    const token = await s.login('pause_w', 'password1');
    const project = await s.h.project('diamond');
    const a = await s.h.taskId(project.id, 'a');
    const b = await s.h.taskId(project.id, 'b');
    await s.h.lifecycle.claimTask(w, a);
    await s.h.lifecycle.claimTask(w, b);
    await s.settled();
    const { data } = await s.gql<{ eventCursor: string }>('{ eventCursor }', {}, { token });
    const client = wsClient(s.url, { authorization: `Bearer ${token}` });
    const sub = collect(
      client,
      `subscription($after: String) { dashboardChanges(after: $after) { event { type } tasks { taskId state } } }`,
      { after: data!.eventCursor },
    );
    await s.h.lifecycle.pauseProject(s.h.admin, project.id);
    const [change] = await sub.waitFor(1);
    expect(change.dashboardChanges.event.type).toBe('project.status_changed');
    expect(change.dashboardChanges.tasks).toEqual([
      { taskId: String(a), state: 'PAUSED' },
      { taskId: String(b), state: 'PAUSED' },
    ]);
    sub.stop();
    await client.dispose();
  });
});
