// Read use cases of the event stream: where it is now (load a view, then subscribe from there), and
// the audit trail — who did what, when, from which status to which — read from the committed events.
import type pg from 'pg';
import { requireActor } from '../auth/access.js';
import { isAdmin, seesEverything, type Actor } from '../kernel/actor.js';
import { badInput, forbidden } from '../kernel/errors.js';
import { EVENT_TYPES } from '../kernel/events.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../read/page.js';
import { cursorOf, type StoredEvent } from './cursor.js';
import { releasedHead, toEvent, type EventRow } from './stream.js';

export interface TrailFilter {
  projectId?: number | null;
  taskId?: number | null;
  /** Events this worker caused. */
  workerId?: number | null;
  types?: string[] | null;
  since?: Date | null;
  until?: Date | null;
}

export class EventQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** The cursor of the newest released event. */
  async cursor(actor: Actor | null): Promise<string> {
    requireActor(actor);
    return cursorOf(await releasedHead(this.pool));
  }

  /**
   * The committed events of a project, a task or a worker's doing (any combination), oldest first, in
   * keyset pages. Admins and integrators read every trail; a worker reads their own (workerId: theirs).
   */
  async trail(actor: Actor | null, filter: TrailFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    const who = requireActor(actor);
    const own = who.kind === 'worker' && filter.workerId === who.workerId && !filter.projectId && !filter.taskId;
    if (!seesEverything(who) && !isAdmin(who) && !own)
      throw forbidden('Only admins and integrators read audit trails (a worker reads their own: workerId).');
    const unknown = (filter.types ?? []).filter((t) => !(EVENT_TYPES as string[]).includes(t));
    if (unknown.length) throw badInput(`Unknown event types: ${unknown.join(', ')}.`, { field: 'types' });
    const size = pageSize(page.first);
    const where = ['e.tx_id < pg_snapshot_xmin(pg_current_snapshot())'];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.projectId) add('e.project_id = ?', filter.projectId);
    if (filter.taskId) add('e.task_id = ?', filter.taskId);
    if (filter.workerId) add('e.actor = ?', `worker:${filter.workerId}`);
    if (filter.types?.length) add('e.type = any(?::text[])', filter.types);
    if (filter.since) add('e.created_at >= ?', filter.since);
    if (filter.until) add('e.created_at < ?', filter.until);
    const counted = [...params];
    const countWhere = [...where];
    if (page.after) {
      const [txId, id] = decodeCursor(page.after, ['string', 'int']);
      params.push(String(txId), id);
      where.push(`(e.tx_id, e.id) > ($${params.length - 1}::text::xid8, $${params.length}::bigint)`);
    }
    params.push(size + 1);
    const { rows } = await this.pool.query<EventRow>(
      `select e.id, e.tx_id::text as tx_id, e.type, e.project_id, e.task_id, e.payload, e.actor, e.created_at
         from domain_event e where ${where.join(' and ')} order by e.tx_id, e.id limit $${params.length}`,
      params,
    );
    const total = await this.pool.query<{ n: number }>(
      `select count(*)::int as n from domain_event e where ${countWhere.join(' and ')}`,
      counted,
    );
    return toPage(rows.map(toEvent), size, (e) => [e.txId.toString(), e.id], total.rows[0]!.n);
  }
}
