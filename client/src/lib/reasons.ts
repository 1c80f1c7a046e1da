// What the dashboard says when a worker can take no new task or review: one sentence per reason the
// server gives (WorkReason), in the worker's words.
export type WorkReason = 'NOT_CERTIFIED' | 'WIP_CAP' | 'RETURNED_WORK_WAITING' | 'NO_TASK_AVAILABLE';

export function reasonText(
  reason: WorkReason,
  kind: 'task' | 'review',
  counts: { inProgress: number; maxInProgress: number },
): string {
  switch (reason) {
    case 'NOT_CERTIFIED':
      return kind === 'task'
        ? 'You are not certified for any step yet. An admin can certify you.'
        : 'You are not certified to review yet.';
    case 'WIP_CAP':
      return `You have ${counts.inProgress} tasks in progress, the most you may hold at once. Submit one to take another.`;
    case 'RETURNED_WORK_WAITING':
      return 'Work was returned to you: fix it and submit it before taking new work.';
    case 'NO_TASK_AVAILABLE':
      return kind === 'task' ? 'No task is waiting for you right now.' : 'No review is waiting for you right now.';
  }
}
