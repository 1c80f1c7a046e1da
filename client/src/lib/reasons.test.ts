import { describe, expect, it } from 'vitest';
import { reasonText } from './reasons';

describe('why no task can be taken', () => {
  const counts = { inProgress: 3, maxInProgress: 3 };
  it('says each reason in a worker’s words', () => {
    expect(reasonText('WIP_CAP', 'task', counts)).toBe(
      'You have 3 tasks in progress, the most you may hold at once. Submit one to take another.',
    );
    expect(reasonText('NOT_CERTIFIED', 'review', counts)).toBe('You are not certified to review yet.');
    expect(reasonText('RETURNED_WORK_WAITING', 'task', counts)).toContain('fix it');
    expect(reasonText('NO_TASK_AVAILABLE', 'review', counts)).toBe('No review is waiting for you right now.');
  });
});
