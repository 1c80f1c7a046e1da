// What every use case runs with: the engine's dependencies and one transaction (Tx) that also
// carries the events the use case causes and who caused them. `transact` retries a transaction
// PostgreSQL aborted for a deadlock, and maps database conflicts to typed errors.
import {
  DeadlockException,
  OptimisticLockError,
  UniqueConstraintViolationException,
  type EntityManager,
  type MikroORM,
} from '@mikro-orm/postgresql';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import { writeEvents } from '../events/outbox.js';
import { actorRef, type Actor } from '../kernel/actor.js';
import { refuse } from '../kernel/errors.js';
import type { EventInput, EventType } from '../kernel/events.js';

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
    readonly actor: Actor,
  ) {}
  emit<T extends EventType>(event: EventInput<T>): void {
    this.events.push(event as EventInput);
  }
}

const MAX_ATTEMPTS = 3;

export async function transact<T>(engine: Engine, actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    // em.begin / em.commit, not em.transactional: that one forks the entity manager a second time, runs
    // the callback in an AsyncLocalStorage context and merges the fork's entities back into this one
    // afterwards (nobody reads them: this fork ends here). About 100 µs of CPU per use case
    // (bench/overhead.ts).
    const em = engine.orm.em.fork() as EntityManager;
    try {
      await em.begin();
      try {
        const tx = new Tx(em, engine, actor);
        const result = await fn(tx);
        // The events go in before the use case's last changes are flushed (em.commit flushes first):
        // a flush here as well would cost a second pass over the identity map. Same transaction, so the
        // order of the statements is invisible to readers of the outbox.
        await writeEvents(em, tx.events, actorRef(actor));
        await em.commit();
        return result;
      } catch (error) {
        // A failed COMMIT has ended the transaction already (db/round-trips.ts); rolling back then is a
        // no-op, and its own failure must not hide the error that caused it.
        await em.rollback().catch(() => {});
        throw error;
      }
    } catch (error) {
      if (error instanceof DeadlockException && attempt < MAX_ATTEMPTS) continue;
      if (error instanceof OptimisticLockError) throw refuse('CONCURRENT_TASK_CHANGE');
      if (error instanceof UniqueConstraintViolationException) {
        throw refuse('CONCURRENT_CHANGE', { constraint: (error as { constraint?: string }).constraint });
      }
      throw error;
    }
  }
}
