// The events of one relay delivery are resolved with one shared unit of work: the rows their
// subscriptions need (task, assignments, project for a dashboard change) are read once for the whole
// delivery, not once per event and subscriber. The server runs in this process, so the statements it
// sends on the ORM's connections are counted (pg.Client#query) while a delivery reaches its subscribers;
// the events are written straight into the outbox on another connection, so nothing else runs meanwhile.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { Task } from '../../server/tasks/task.entity.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { useServer, type TestServer } from '../support/server.js';
import { collect, wsClient, type Collected } from '../support/ws.js';
import { recordOrmStatements } from '../support/sql-count.js';

const K = 20;

const wideWorkflow = defineWorkflow({
  slug: 'shared',
  name: 'Shared reads',
  versions: [
    {
      slug: 'v1',
      name: `${K} parallel steps`,
      steps: Array.from({ length: K }, (_, i) => ({
        kind: 'human' as const,
        slug: `s${i}`,
        name: `Step ${i}`,
        reviewPolicy: { policy: 'no_review' as const },
      })),
    },
  ],
});

const DASHBOARD = `subscription { dashboardChanges { taskId state event { cursor type taskId } } }`;

let s: TestServer;
let projectId = 0;
const holders: { workerId: number; taskId: number; client: Client; sub: Collected<any> }[] = [];

beforeAll(async () => {
  s = await useServer({ workflows: [wideWorkflow] });
  const project = await s.h.project('shared');
  projectId = project.id;
  const tasks = await s.h.db.orm.em.fork().find(Task, { project: project.id }, { orderBy: { id: 'asc' } });
  const assigned: { workerId: number; taskId: number; token: string }[] = [];
  for (const [i, task] of tasks.entries()) {
    const w = await s.h.worker(`holder${i}`, [], { password: 'password123' });
    await s.h.lifecycle.assignTask(s.h.admin, { taskId: task.id, workerId: w.workerId });
    assigned.push({ workerId: w.workerId, taskId: task.id, token: await s.login(`holder${i}`, 'password123') });
  }
  await s.settled(); // the assignments' events are out: the subscriptions below start after them
  for (const a of assigned) {
    const client = wsClient(s.url, { authorization: `Bearer ${a.token}` });
    holders.push({ workerId: a.workerId, taskId: a.taskId, client, sub: collect(client, DASHBOARD) });
  }
  for (let i = 0; s.http.realtime.subscriptions < K; i++) {
    if (i > 200) throw new Error('subscriptions did not go live');
    await new Promise((r) => setTimeout(r, 50));
  }
  return async () => {
    for (const h of holders) h.sub.stop();
    await Promise.all(holders.map((h) => h.client.dispose()));
  };
});

/** Writes one event per holder in one transaction and counts the ORM statements until each holder has it. */
async function deliveryStatements(round: number): Promise<string[]> {
  const { sql } = await recordOrmStatements(async () => {
    await s.h.db.pool.query(
      `insert into domain_event (type, project_id, task_id, payload)
       select 'task.status_changed', $1, t, jsonb_build_object('status', 'PROCESSING', 'previousStatus', 'PROCESSING', 'workerIds', jsonb_build_array(w))
         from unnest($2::int[], $3::int[]) as x(t, w)`,
      [projectId, holders.map((h) => h.taskId), holders.map((h) => h.workerId)],
    );
    await s.http.realtime.relay.wake();
    await Promise.all(holders.map((h) => h.sub.waitFor(round)));
  });
  return sql;
}

describe('one delivery, many subscribers', () => {
  it('reads the rows the delivery needs once, not once per subscriber', async () => {
    const rounds = [await deliveryStatements(1), await deliveryStatements(2)];
    for (const h of holders) {
      expect(h.sub.errors).toEqual([]);
      expect(h.sub.items.map((i) => [i.dashboardChanges.taskId, i.dashboardChanges.state])).toEqual([
        [String(h.taskId), 'IN_PROGRESS'],
        [String(h.taskId), 'IN_PROGRESS'],
      ]);
    }
    // Task, its assignments, its project: one batched read each for all K subscribers (3·K without sharing).
    // The smaller round counts: should a load miss the shared batch on a loaded machine, that is one more.
    const fewest = rounds.reduce((a, b) => (b.length < a.length ? b : a));
    expect(fewest.length, fewest.join('\n')).toBeLessThanOrEqual(4);
  });
});
