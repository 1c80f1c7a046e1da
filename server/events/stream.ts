// Reading the outbox as one ordered stream that no reader can skip through.
//
// A sequence id is not commit order: a transaction can take id 7, another id 8 and commit first. So
// events are ordered by (writing transaction id, event id), and an event is *released* only once
// every transaction with a smaller id has finished (tx_id < xmin of the current snapshot). Nothing
// can then appear before a released event any more, so a reader that remembers the last (tx_id, id)
// it saw — its cursor — can never miss one, and every reader sees the same order.
import type pg from 'pg';
import { START, type Position, type StoredEvent } from './cursor.js';

/** Narrows a read to what one subscriber may receive. */
export interface StreamFilter {
  projectId?: number;
  taskId?: number;
  /** Events whose payload lists this worker (they are or were on the task). */
  workerId?: number;
  /** Events of projects of this workflow. */
  workflowSlug?: string;
}

export interface EventRow {
  id: string;
  tx_id: string;
  type: string;
  project_id: number | null;
  task_id: number | null;
  payload: Record<string, unknown>;
  actor: string;
  created_at: Date;
}

export const toEvent = (r: EventRow): StoredEvent =>
  ({
    cursor: `${r.tx_id}.${r.id}`,
    id: Number(r.id),
    txId: BigInt(r.tx_id),
    type: r.type,
    projectId: r.project_id,
    taskId: r.task_id,
    payload: r.payload,
    actor: r.actor,
    occurredAt: r.created_at,
  }) as StoredEvent;

/** Released events after a position, in stream order, optionally filtered. */
export async function readReleased(
  db: pg.Pool | pg.PoolClient,
  after: Position,
  limit: number,
  filter: StreamFilter = {},
): Promise<StoredEvent[]> {
  const params: unknown[] = [after.txId.toString(), after.id, limit];
  const where: string[] = [];
  if (filter.projectId !== undefined) {
    params.push(filter.projectId);
    where.push(`e.project_id = $${params.length}`);
  }
  if (filter.taskId !== undefined) {
    params.push(filter.taskId);
    where.push(`e.task_id = $${params.length}`);
  }
  if (filter.workerId !== undefined) {
    params.push(JSON.stringify([filter.workerId]));
    where.push(`(e.payload -> 'workerIds') @> $${params.length}::jsonb`);
  }
  if (filter.workflowSlug !== undefined) {
    params.push(filter.workflowSlug);
    where.push(
      `e.project_id in (select p.id from project p join workflow_version v on v.id = p.version_id join workflow w on w.id = v.workflow_id where w.slug = $${params.length})`,
    );
  }
  const { rows } = await db.query<EventRow>(
    `select e.id, e.tx_id::text as tx_id, e.type, e.project_id, e.task_id, e.payload, e.actor, e.created_at
       from domain_event e
      where (e.tx_id, e.id) > ($1::text::xid8, $2::bigint)
        and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ${where.map((w) => `and ${w}`).join(' ')}
      order by e.tx_id, e.id
      limit $3`,
    params,
  );
  return rows.map(toEvent);
}

/** The position of the newest released event: where a reader that wants only new events starts. */
export async function releasedHead(db: pg.Pool | pg.PoolClient): Promise<Position> {
  const { rows } = await db.query<{ tx_id: string; id: string }>(
    `select tx_id::text as tx_id, id from domain_event
      where tx_id < pg_snapshot_xmin(pg_current_snapshot())
      order by tx_id desc, id desc limit 1`,
  );
  return rows[0] ? { txId: BigInt(rows[0].tx_id), id: Number(rows[0].id) } : START;
}

/** One event by id (a job that was handed an event id reads it back). */
export async function readEvent(db: pg.Pool | pg.PoolClient, id: number): Promise<StoredEvent | null> {
  const { rows } = await db.query<EventRow>(
    `select e.id, e.tx_id::text as tx_id, e.type, e.project_id, e.task_id, e.payload, e.actor, e.created_at from domain_event e where e.id = $1`,
    [id],
  );
  return rows[0] ? toEvent(rows[0]) : null;
}

/** The workflow slug of each project (events are routed by workflow). */
export async function workflowsOfProjects(
  db: pg.Pool | pg.PoolClient,
  projectIds: number[],
): Promise<Map<number, string>> {
  if (projectIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: number; slug: string }>(
    `select p.id, w.slug from project p join workflow_version v on v.id = p.version_id join workflow w on w.id = v.workflow_id where p.id = any($1::int[])`,
    [projectIds],
  );
  return new Map(rows.map((r) => [r.id, r.slug]));
}
