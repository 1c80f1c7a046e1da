// What every use case runs with: the engine's dependencies and one transaction (Tx) that also
// carries the events the use case causes. `transact` retries a transaction PostgreSQL aborted
// for a deadlock, and maps database conflicts to typed errors.
import { OptimisticLockError, UniqueConstraintViolationException, DeadlockException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { writeEvents, type EventInput } from '../events/outbox.js';
import type { Catalog } from '../workflow/catalog.js';
import { conflict } from './errors.js';

export interface Engine {
  orm: MikroORM;
  catalog: Catalog;
  config: Config;
  /** Draws for sampled review; injectable so tests can decide. */
  random: () => number;
  now: () => Date;
}

export class Tx {
  readonly events: EventInput[] = [];
  constructor(
    readonly em: EntityManager,
    readonly engine: Engine,
  ) {}
  emit(event: EventInput): void {
    this.events.push(event);
  }
}

const MAX_ATTEMPTS = 3;

export async function transact<T>(engine: Engine, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const em = engine.orm.em.fork();
    try {
      return await em.transactional(async (tem) => {
        const tx = new Tx(tem as EntityManager, engine);
        const result = await fn(tx);
        // The events go in before the use case's last changes are flushed: em.transactional flushes when
        // the callback returns, and a flush here as well would cost a second pass over the identity map.
        // Same transaction, so the order of the statements is invisible to readers of the outbox.
        await writeEvents(tem as EntityManager, tx.events);
        return result;
      });
    } catch (error) {
      if (error instanceof DeadlockException && attempt < MAX_ATTEMPTS) continue;
      if (error instanceof OptimisticLockError) throw conflict('The task was changed by someone else; try again.');
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict('The change conflicts with a concurrent one; try again.', { constraint: (error as { constraint?: string }).constraint });
      }
      throw error;
    }
  }
}
