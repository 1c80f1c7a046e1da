// Read use cases of the event stream: where it is now (load a view, then subscribe from there).
import type pg from 'pg';
import { requireActor } from '../auth/access.js';
import type { Actor } from '../kernel/actor.js';
import { cursorOf } from './cursor.js';
import { releasedHead } from './stream.js';

export class EventQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** The cursor of the newest released event. */
  async cursor(actor: Actor | null): Promise<string> {
    requireActor(actor);
    return cursorOf(await releasedHead(this.pool));
  }
}
