// Unit tests of the in-process fan-out and the bounded subscriber queue.
import { describe, expect, it } from 'vitest';
import { EventHub, EventQueue, topicsOf } from './hub.js';
import type { StoredEvent } from './cursor.js';

const event = (id: number, over: Partial<StoredEvent> = {}): StoredEvent =>
  ({
    cursor: `1.${id}`,
    id,
    txId: 1n,
    type: 'task.status_changed',
    projectId: 7,
    taskId: 70 + id,
    payload: { status: 'PROCESSING', previousStatus: 'AWAITING_PROCESSING', step: 'write', workerIds: [3, 4] },
    actor: 'system',
    occurredAt: new Date(0),
    ...over,
  }) as StoredEvent;

describe('EventHub', () => {
  it('derives topics from the event: all, project, task, workflow and each worker named', () => {
    expect(topicsOf(event(1), 'journalism')).toEqual([
      'all',
      'project:7',
      'task:71',
      'workflow:journalism',
      'worker:3',
      'worker:4',
    ]);
    expect(topicsOf(event(1, { projectId: null, taskId: null, payload: {} as never }), null)).toEqual(['all']);
  });

  it('delivers each event once to a sink listening on several of its topics, and nothing after unsubscribing', () => {
    const hub = new EventHub();
    const got: number[] = [];
    const off = hub.subscribe(['project:7', 'worker:3', 'task:71'], (e) => got.push(e.id));
    const other: number[] = [];
    hub.subscribe(['worker:99'], (e) => other.push(e.id));
    hub.publish(event(1), null);
    expect(got).toEqual([1]);
    expect(other).toEqual([]);
    off();
    hub.publish(event(2), null);
    expect(got).toEqual([1]);
    expect(hub.subscriberCount).toBe(1);
  });
});

describe('EventQueue', () => {
  it('hands items to a waiting reader in order and ends on close', async () => {
    const q = new EventQueue<number>();
    const first = q.next();
    q.push(1);
    q.push(2);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    q.close();
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a reader that falls too far behind with a typed SLOW_SUBSCRIBER error', async () => {
    const q = new EventQueue<number>(3);
    for (let i = 0; i < 4; i++) q.push(i);
    await expect(q.next()).rejects.toMatchObject({ code: 'SLOW_SUBSCRIBER' });
  });
});
