// Everything a refused or malformed request must leave untouched: every domain row, the outbox and
// the job queue. Compare a snapshot taken before a request with one taken after it.
import type { Harness } from './harness.js';

const TABLES = [
  'project',
  'task',
  'task_assignment',
  'iteration',
  'worker',
  'worker_certification',
  'api_key',
  'account_token',
  'communication_preference',
] as const;

export interface DbState {
  rows: Record<(typeof TABLES)[number], unknown[]>;
  /** Rows of the `domain_event` outbox. */
  events: number;
  /** graphile-worker jobs (machine steps queued). */
  jobs: number;
}

export async function dbState(h: Harness): Promise<DbState> {
  const rows = {} as DbState['rows'];
  for (const table of TABLES) rows[table] = (await h.db.pool.query(`select * from "${table}" order by id`)).rows;
  // Bookkeeping, not state: using a key (even for a refused request) records when it was last used.
  for (const key of rows.api_key as Record<string, unknown>[]) delete key.last_used_at;
  const count = async (sql: string) => Number((await h.db.pool.query<{ n: string }>(sql)).rows[0]!.n);
  return {
    rows,
    events: await count('select count(*) as n from domain_event'),
    jobs: await count('select count(*) as n from graphile_worker._private_jobs'),
  };
}
