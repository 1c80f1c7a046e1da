// Which events become which messages, for whom (pure: no database).
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../events/cursor.js';
import { workerOfActor } from '../kernel/actor.js';
import { planOf } from './plan.js';
import { duration, forSlack, templates } from './templates.js';

const event = (type: string, payload: object, actor = 'system') =>
  ({ type, payload, actor, projectId: 1, taskId: 2, id: 3 }) as unknown as StoredEvent;

describe('planOf', () => {
  it('tells a worker of an assignment by someone else, not of their own claim', () => {
    expect(planOf(event('task.assigned', { workerId: 7 }))).toMatchObject({
      kind: 'TASK_ASSIGNED',
      to: { workers: [7] },
      exceptWorker: null,
    });
    expect(planOf(event('task.assigned', { workerId: 7 }, 'worker:7'))).toMatchObject({ exceptWorker: 7 });
  });

  it('sends a return to the worker who has the work back, with the preference TASK_RETURNED', () => {
    expect(planOf(event('task.returned', { toWorkerId: 4 }, 'worker:9'))).toEqual({
      kind: 'TASK_RETURNED',
      template: 'TASK_RETURNED',
      to: { workers: [4] },
      exceptWorker: 9,
    });
    expect(planOf(event('task.returned', { toWorkerId: null }))).toBeNull();
  });

  it('a resubmission goes to the reviewer at the level it reaches; a first submission to nobody', () => {
    expect(planOf(event('task.submitted', { toLevel: 1 }))).toMatchObject({
      kind: 'TASK_ASSIGNED',
      template: 'TASK_READY_FOR_REREVIEW',
      to: { atLevel: 1 },
    });
    expect(planOf(event('task.submitted', { toLevel: null }))).toBeNull();
  });

  it('ended projects, completed tasks and waiting human tasks; nothing for the rest', () => {
    expect(planOf(event('project.status_changed', { status: 'ABORTED', workerIds: [1, 2] }))?.to).toEqual({
      workers: [1, 2],
    });
    expect(planOf(event('project.status_changed', { status: 'PAUSED', workerIds: [1] }))).toBeNull();
    expect(planOf(event('task.completed', {}))?.to).toEqual({ onTask: true });
    expect(planOf(event('task.created', { isHuman: true, status: 'AWAITING_PROCESSING' }))?.kind).toBe(
      'NEW_TASKS_AVAILABLE',
    );
    expect(planOf(event('task.created', { isHuman: false, status: 'AWAITING_PROCESSING' }))).toBeNull();
    expect(planOf(event('task.status_changed', { status: 'PENDING_REVIEW' }))?.to).toEqual({ mayClaim: true });
    expect(planOf(event('task.status_changed', { status: 'REVIEWING' }))).toBeNull();
    expect(planOf(event('machine.failed', {}))).toBeNull();
  });

  it('reads the worker out of an actor', () => {
    expect(workerOfActor('worker:12')).toBe(12);
    expect(workerOfActor('integrator:3')).toBeNull();
    expect(workerOfActor('system')).toBeNull();
  });
});

describe('templates', () => {
  it('escape what people typed in the HTML part and keep it as typed in the text part', () => {
    const m = templates.TASK_RETURNED({
      name: 'Ada',
      step: 'Write',
      project: '<b>Harbour</b> & co',
      url: 'http://x/task/1',
      by: 'Rita',
      feedback: 'Use "quotes" <script>',
    });
    expect(m.text).toContain('"<b>Harbour</b> & co"');
    expect(m.html).toContain('&lt;b&gt;Harbour&lt;/b&gt; &amp; co');
    expect(m.html).not.toContain('<script>');
    expect(m.slack).toBe('Rita returned "Write" of "<b>Harbour</b> & co": “Use "quotes" <script>”. http://x/task/1');
  });

  it('say how long a link works as a person would', () => {
    expect(duration(48 * 3600_000)).toBe('48 hours');
    expect(duration(3600_000)).toBe('60 minutes');
    expect(duration(1500)).toBe('1 minute');
  });
});

describe('forSlack', () => {
  it('keeps a typed mention or link from becoming one', () => {
    expect(forSlack('<!channel> look & <http://evil|here>')).toBe(
      '&lt;!channel&gt; look &amp; &lt;http://evil|here&gt;',
    );
  });
});
