// What every use case runs with: the engine's dependencies and one transaction (Tx) that also
// carries the events the use case causes and who caused them. `transact` retries a transaction
// PostgreSQL aborted for a deadlock, and maps database conflicts to typed errors.
import {
  DeadlockException,
  OptimisticLockError,
  TransactionEventBroadcaster,
  UniqueConstraintViolationException,
  wrap,
  type EntityManager,
  type MikroORM,
} from '@mikro-orm/postgresql';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import { writeEvents } from '../events/outbox.js';
import { actorRef, type Actor } from '../kernel/actor.js';
import { Refusal, refuse, type RefusalName } from '../kernel/errors.js';
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

/** The refusal a statement raised itself (orchestra_refuse: SQLSTATE OR001, the refusal's name as its hint). */
function refusalOf(error: unknown): RefusalName | null {
  const { code, hint } = error as { code?: unknown; hint?: unknown };
  return code === 'OR001' && typeof hint === 'string' && Object.hasOwn(Refusal, hint) ? (hint as RefusalName) : null;
}

/**
 * Whether em.commit's flush would write nothing: no entity created, persisted or removed since the last
 * flush, and none changed — setting a tracked property outside hydration marks an entity touched, the
 * test MikroORM itself uses to skip flushing before a query (FlushMode.AUTO). The hot use cases write
 * their rows with their own statements and map the rows back clean, so their final flush was a pass over
 * the identity map that found nothing (a change-set computation per entity: bench/overhead.ts). What the
 * test cannot see is a change inside a JSON value made in place (`a.data.x = 1`): nothing here does that
 * (a JSON property is always assigned whole), and under test every skipped flush is checked (below).
 */
export function nothingToFlush(em: EntityManager): boolean {
  const uow = em.getUnitOfWork();
  if (uow.getPersistStack().size || uow.getRemoveStack().size || uow.getOrphanRemoveStack().size) return false;
  for (const entity of uow.getIdentityMap()) {
    const wrapped = wrap(entity, true);
    if (wrapped.__initialized && wrapped.isTouched()) return false;
  }
  return true;
}

const CHECK_SKIPPED_FLUSHES = process.env.NODE_ENV === 'test';

/** em.commit, without its flush when the flush would find nothing to write. */
async function commit(em: EntityManager): Promise<void> {
  if (!nothingToFlush(em)) return em.commit();
  if (CHECK_SKIPPED_FLUSHES) {
    const uow = em.getUnitOfWork();
    uow.computeChangeSets();
    const missed = uow
      .getChangeSets()
      .map((cs) => `${cs.type} ${cs.meta.className} ${cs.getPrimaryKey()} (${Object.keys(cs.payload).join(', ')})`);
    if (missed.length) throw new Error(`A skipped flush would have written: ${missed.join('; ')}`);
  }
  await em.getConnection('write').commit(em.getTransactionContext()!, new TransactionEventBroadcaster(em));
  em.resetTransactionContext();
}

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
        await commit(em);
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
      // A statement that checked its own precondition and refused (orchestra_refuse, SQLSTATE OR001): a
      // write sent with the events and COMMIT whose task moved under it (lifecycle/assign.ts).
      const refusal = refusalOf(error);
      if (refusal) throw refuse(refusal);
      if (error instanceof UniqueConstraintViolationException) {
        throw refuse('CONCURRENT_CHANGE', { constraint: (error as { constraint?: string }).constraint });
      }
      throw error;
    }
  }
}
