// Ids and cursor connections: how GraphQL shows the read use cases' pages.
import 'reflect-metadata';
import { ClassType, Field, Int, ObjectType } from 'type-graphql';
import { badInput, Reason } from '../kernel/errors.js';
import type { Page } from '../read/page.js';

/** Parses a GraphQL ID into a row id; anything else is a typed BAD_INPUT error. */
export function parseId(value: string | number, field = 'id'): number {
  const n = typeof value === 'number' ? value : /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0 || n > 2_147_483_647) {
    throw badInput(
      `${field} is not a valid id: ${JSON.stringify(String(value).slice(0, 40))}`,
      { field },
      Reason.INVALID_ID,
    );
  }
  return n;
}

/** An optional ID argument: null stays null. */
export const parseOptionalId = (value: string | number | null | undefined, field = 'id'): number | null =>
  value === null || value === undefined ? null : parseId(value, field);

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
    @Field(() => Int, { nullable: true, description: 'Total number of items in the list (all pages).' })
    totalCount?: number;
  }
  return ConnectionClass;
}

export function toConnection<T>(page: Page<T>): Connection<T> {
  const edges = page.nodes.map((node, i) => ({ node, cursor: page.cursors[i]! }));
  return {
    nodes: page.nodes,
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors[page.cursors.length - 1] ?? null },
    totalCount: page.totalCount,
  };
}
