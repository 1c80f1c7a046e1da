// Waiting for background mail work to finish: every committed event handed to the notifications
// consumer, and no mail job queued or running (failed-for-good jobs do not count). Only then may a
// test say "nothing was sent".
import type { Harness } from './harness.js';
import { until } from './wait.js';

export async function mailDrained(h: Harness, timeoutMs = 20_000): Promise<void> {
  await h.released();
  await until(
    async () => {
      const { rows } = await h.db.pool.query<{ behind: boolean; jobs: number }>(
        `select exists (select 1 from domain_event e, event_consumer c
                         where c.name = 'notifications' and (e.tx_id, e.id) > (c.tx_id, c.event_id)) as behind,
                (select count(*)::int from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
                  where t.identifier in ('notify', 'account_mail') and j.attempts < j.max_attempts) as jobs`,
      );
      return !rows[0]!.behind && rows[0]!.jobs === 0;
    },
    'the mail jobs to finish',
    timeoutMs,
  );
}
