// Ids and cursor pagination shared by every list of the API.
import 'reflect-metadata';
import { ClassType, Field, Int, ObjectType } from 'type-graphql';
import { badInput } from '../lifecycle/errors.js';

/** Parses a GraphQL ID into a row id; anything else is a typed BAD_INPUT error. */
export function parseId(value: string | number, field = 'id'): number {
  const n = typeof value === 'number' ? value : /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0 || n > 2_147_483_647) throw badInput(`${field} is not a valid id: ${JSON.stringify(value)}`);
  return n;
}

export const encodeCursor = (key: (string | number)[]): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/** Decodes a cursor made by encodeCursor; `shape` is what its list puts in it (anything else: BAD_INPUT). */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'int')[]): (string | number)[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const fits = (k: unknown, kind: 'string' | 'int') => (kind === 'string' ? typeof k === 'string' : Number.isSafeInteger(k));
    if (Array.isArray(key) && key.length === shape.length && key.every((k, i) => fits(k, shape[i]!))) return key;
  } catch {
    /* falls through */
  }
  throw badInput('Invalid cursor.');
}

export const MAX_PAGE = 200;

export function pageSize(first: number | null | undefined, fallback = 50): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw badInput(`first must be between 1 and ${MAX_PAGE}.`);
  return n;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Connection<T> {
  nodes: T[];
  edges: { node: T; cursor: string }[];
  pageInfo: PageInfo;
  totalCount?: number;
}

/** A connection type for a node type: `edges { node cursor }`, `nodes`, `pageInfo`. */
export function ConnectionType<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => node) node!: T;
    @Field() cursor!: string;
  }
  @ObjectType(`${name}Connection`)
  class ConnectionClass {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => [node]) nodes!: T[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => Int, { nullable: true, description: 'Total number of items in the list (all pages).' }) totalCount?: number;
  }
  return ConnectionClass;
}

/** Builds a connection from a page fetched with one extra row (which tells whether there is more). */
export function toConnection<T>(rows: T[], size: number, cursorOf: (row: T) => (string | number)[], totalCount?: number): Connection<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ node, cursor: encodeCursor(cursorOf(node)) }));
  return { nodes, edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges[edges.length - 1]?.cursor ?? null }, totalCount };
}
