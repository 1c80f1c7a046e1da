// Places in the event stream: a cursor is `<tx_id>.<id>` of the last event a reader has. Pure: no I/O.
import type { DomainEvent } from '../kernel/events.js';

/** An event read back from the outbox (the stream's element). */
export type StoredEvent = DomainEvent;

export interface Position {
  txId: bigint;
  id: number;
}

export const START: Position = { txId: 0n, id: 0 };

export const cursorOf = (p: Position): string => `${p.txId}.${p.id}`;

/** Parses a cursor; null when it is not one. */
export function parseCursor(cursor: string): Position | null {
  const m = /^(\d{1,20})\.(\d{1,19})$/.exec(cursor);
  if (!m) return null;
  const id = Number(m[2]);
  const txId = BigInt(m[1]!);
  return Number.isSafeInteger(id) && txId <= MAX_TX_ID ? { txId, id } : null;
}

/** The largest xid8 (a larger transaction id is no cursor: PostgreSQL would refuse it). */
const MAX_TX_ID = 2n ** 64n - 1n;

export const isAfter = (a: Position, b: Position): boolean => a.txId > b.txId || (a.txId === b.txId && a.id > b.id);
