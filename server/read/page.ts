// Keyset pagination for every list a read use case returns: a page is at most `first` rows after
// a cursor, and each row's cursor is its sort key, opaque to clients.
import { badInput, Reason, refuse } from '../kernel/errors.js';

export const MAX_PAGE = 200;

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  /** The cursor of each node (resume after it with `after:`). */
  cursors: string[];
  hasNextPage: boolean;
  totalCount?: number;
}

export const encodeCursor = (key: (string | number)[]): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

/** Decodes a cursor made by encodeCursor; `shape` is what its list puts in it (anything else: BAD_INPUT). */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'int')[]): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const fits = (k: unknown, kind: 'string' | 'int') =>
      kind === 'string' ? typeof k === 'string' : Number.isSafeInteger(k);
    if (Array.isArray(key) && key.length === shape.length && key.every((k, i) => fits(k, shape[i]!)))
      return key as (string | number)[];
  } catch {
    /* falls through */
  }
  throw refuse('INVALID_CURSOR');
}

export function pageSize(first: number | null | undefined, fallback = 50): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw badInput(`first must be between 1 and ${MAX_PAGE}.`, { max: MAX_PAGE }, Reason.BAD_INPUT);
  return n;
}

/** A page from rows fetched with one extra (which tells whether there is more). */
export function toPage<T>(
  rows: T[],
  size: number,
  keyOf: (row: T) => (string | number)[],
  totalCount?: number,
): Page<T> {
  const nodes = rows.slice(0, size);
  return { nodes, cursors: nodes.map((n) => encodeCursor(keyOf(n))), hasNextPage: rows.length > size, totalCount };
}
