import { beforeAll, describe, expect, it } from 'vitest';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { useServer, type TestServer } from '../support/server.js';
import { collect, wsClient } from '../support/ws.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

let s: TestServer;
beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
});

describe('subscriptions smoke', () => {
  it('delivers task events to a worker on the task', async () => {
    const w0 = await s.h.worker('w0', [['review', 'writer', 'ENTRY_LEVEL']], { password: 'password0' });
    const token = await s.login('w0', 'password0');
    const project = await s.h.project('review');
    const taskId = await s.h.taskId(project.id, 'write');
    await s.h.lifecycle.claimTask(w0, taskId);
    const client = wsClient(s.url, { authorization: `Bearer ${token}` });
    await s.settled(); // the claim's events are out: the subscription starts after them
    const before = s.http.realtime.subscriptions;
    const sub = collect(
      client,
      `subscription($id: ID!) { taskChanges(taskId: $id) { cursor type data task { status } } }`,
      { id: String(taskId) },
    );
    while (s.http.realtime.subscriptions === before) await new Promise((r) => setTimeout(r, 10));
    await s.h.lifecycle.submitTask(w0, { taskId, data: { a: 1 }, action: SubmitAction.SUBMIT });
    const items = await sub.waitFor(2);
    expect(items.map((i: any) => i.taskChanges.type)).toEqual(['task.submitted', 'task.status_changed']);
    expect(items[1].taskChanges.task.status).toBe('PENDING_REVIEW');
    sub.stop();
    await client.dispose();
  });
});
