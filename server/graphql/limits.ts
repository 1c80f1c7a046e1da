// Limits on what one GraphQL operation may ask, checked before it runs (over HTTP and WebSocket
// alike), and a time budget while it runs. Each refusal is QUERY_TOO_COMPLEX with a reason naming the
// limit (DEPTH_LIMIT, COST_LIMIT, ALIAS_LIMIT, DIRECTIVE_LIMIT, TOKEN_LIMIT, INTROSPECTION_LIMIT,
// TIME_BUDGET) and the limit and the value found, so that a worker's or an integrator's worst legal
// query stays bounded in time and memory.
//
// Cost is an estimate of the objects an operation can return: every field of object type counts 1,
// times the size of each list above it — a connection's page size (`first`, 50 when absent, its
// maximum when given by a variable), and for plain lists a bound of what they hold in practice.
import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { QueryLimits } from '../config.js';
import { ErrorCode, OrchestraError, type Reason } from '../kernel/errors.js';
import { MAX_PAGE } from '../read/page.js';

type LimitReason = Extract<
  Reason,
  | 'DEPTH_LIMIT'
  | 'COST_LIMIT'
  | 'ALIAS_LIMIT'
  | 'DIRECTIVE_LIMIT'
  | 'TOKEN_LIMIT'
  | 'INTROSPECTION_LIMIT'
  | 'TIME_BUDGET'
>;

export function limitError(
  reason: LimitReason,
  message: string,
  facts: { limit: number; found?: number },
  nodes?: readonly FieldNode[],
): GraphQLError {
  const cause = new OrchestraError(ErrorCode.QUERY_TOO_COMPLEX, message, reason, facts);
  return new GraphQLError(message, {
    nodes,
    originalError: cause,
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, reason, ...facts },
  });
}

/**
 * What plain (non-connection) lists hold at most in practice: a task has a few levels, a level a few
 * iterations. Lists of the catalog (workflows, versions, steps, certifications) are defined in code:
 * the server passes their real sizes (`catalogListSizes`).
 */
const LIST_SIZES: Record<string, number> = {
  assignments: 4,
  iterations: 5,
  tasks: 25,
  steps: 25,
  versions: 10,
  workflows: 20,
  certifications: 50,
  requiredCertifications: 10,
  apiKeys: 50,
  createdTasks: 25,
};
const DEFAULT_LIST_SIZE = 20;
const DEFAULT_PAGE = 50;
/** Introspection: how many lists may nest inside `__schema`/`__type` (the standard query nests 3: types > fields > args). */
const MAX_INTROSPECTION_LISTS = 3;

const isConnection = (type: GraphQLOutputType): boolean => {
  const named = getNamedType(type);
  return isObjectType(named) && named.name.endsWith('Connection');
};

/** The page size a connection field asks for: its `first` literal, 50 when absent, the maximum when a variable. */
function pageOf(node: FieldNode): number {
  const first = node.arguments?.find((a) => a.name.value === 'first');
  if (!first) return DEFAULT_PAGE;
  if (first.value.kind === Kind.INT) return Math.max(0, Math.min(Number(first.value.value), MAX_PAGE));
  return MAX_PAGE;
}

/**
 * Walks each operation once (following fragments, guarded against cycles) for its depth and cost, and
 * counts aliases and directives of the whole document.
 */
export function limitRules(limits: QueryLimits, listSizes: Record<string, number> = {}): ValidationRule[] {
  const sizes = { ...LIST_SIZES, ...listSizes };
  const rule = (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    let directives = 0;
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions)
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

    interface Walk {
      depth: number;
      cost: number;
      introspectionLists: number;
    }

    /** Depth (fields below), cost (objects, times list sizes) and introspection list nesting of a selection set on `parent`. */
    const walk = (
      set: SelectionSetNode,
      parent: GraphQLOutputType,
      inIntrospection: boolean,
      seen: Set<string>,
    ): Walk => {
      const parentType = getNamedType(parent);
      const fields = isObjectType(parentType) ? parentType.getFields() : {};
      let result: Walk = { depth: 0, cost: 0, introspectionLists: 0 };
      const merge = (w: Walk) =>
        (result = {
          depth: Math.max(result.depth, w.depth),
          cost: result.cost + w.cost,
          introspectionLists: Math.max(result.introspectionLists, w.introspectionLists),
        });
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const field: GraphQLField<unknown, unknown> | undefined =
            fields[selection.name.value] ??
            (selection.name.value === '__schema' ? ({ type: schema.getType('__Schema') } as never) : undefined) ??
            (selection.name.value === '__type' ? ({ type: schema.getType('__Type') } as never) : undefined);
          if (!field || !selection.selectionSet) {
            merge({ depth: 1, cost: 0, introspectionLists: 0 });
            continue;
          }
          const introspection = inIntrospection || selection.name.value.startsWith('__');
          const nullable = getNullableType(field.type);
          const list = isListType(nullable);
          // Inside a connection, nodes and edges are the page: the connection field carries its size.
          const inConnection = isConnection(parent);
          const size = isConnection(field.type)
            ? pageOf(selection)
            : list && !inConnection && !introspection
              ? (sizes[selection.name.value] ?? DEFAULT_LIST_SIZE)
              : 1;
          const below = walk(selection.selectionSet, field.type, introspection, seen);
          merge({
            depth: below.depth + 1,
            cost: introspection ? below.cost : size * (1 + below.cost),
            introspectionLists: below.introspectionLists + (introspection && list ? 1 : 0),
          });
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const on = selection.typeCondition
            ? (schema.getType(selection.typeCondition.name.value) as GraphQLOutputType | undefined)
            : parent;
          merge(walk(selection.selectionSet, on ?? parent, inIntrospection, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue; // unknown and cyclic fragments are refused by GraphQL's own rules
          const on = schema.getType(fragment.typeCondition.name.value) as GraphQLOutputType | undefined;
          merge(walk(fragment.selectionSet, on ?? parent, inIntrospection, new Set([...seen, name])));
        }
      }
      return result;
    };

    return {
      Field(node) {
        if (node.alias && node.alias.value !== node.name.value) aliases++;
      },
      Directive() {
        directives++;
      },
      OperationDefinition(node) {
        const root =
          node.operation === 'query'
            ? schema.getQueryType()
            : node.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        if (!root) return;
        const { depth, cost, introspectionLists } = walk(node.selectionSet, root, false, new Set());
        if (depth > limits.maxDepth) {
          context.reportError(
            limitError(
              'DEPTH_LIMIT',
              `The operation is ${depth} fields deep; at most ${limits.maxDepth} are allowed.`,
              { limit: limits.maxDepth, found: depth },
            ),
          );
        }
        if (introspectionLists > MAX_INTROSPECTION_LISTS) {
          context.reportError(
            limitError(
              'INTROSPECTION_LIMIT',
              `The introspection nests ${introspectionLists} lists; at most ${MAX_INTROSPECTION_LISTS} are allowed.`,
              {
                limit: MAX_INTROSPECTION_LISTS,
                found: introspectionLists,
              },
            ),
          );
        }
        if (cost > limits.maxCost) {
          context.reportError(
            limitError(
              'COST_LIMIT',
              `The operation may return about ${cost} objects; at most ${limits.maxCost} are allowed (ask for smaller pages).`,
              {
                limit: limits.maxCost,
                found: cost,
              },
            ),
          );
        }
      },
      Document: {
        leave() {
          if (aliases > limits.maxAliases) {
            context.reportError(
              limitError(
                'ALIAS_LIMIT',
                `The operation uses ${aliases} aliases; at most ${limits.maxAliases} are allowed.`,
                { limit: limits.maxAliases, found: aliases },
              ),
            );
          }
          if (directives > limits.maxDirectives) {
            context.reportError(
              limitError(
                'DIRECTIVE_LIMIT',
                `The operation uses ${directives} directives; at most ${limits.maxDirectives} are allowed.`,
                {
                  limit: limits.maxDirectives,
                  found: directives,
                },
              ),
            );
          }
        },
      },
    };
  };
  return [rule];
}

/** graphql-js words the token limit as a parse error; it becomes the limit's own refusal (the number is the limit). */
export function tokenLimitOf(message: string): OrchestraError | null {
  const m = /Document contains more th(?:an|at) (\d+) tokens/.exec(message); // graphql 16 writes "more that"
  if (!m) return null;
  const limit = Number(m[1]);
  return new OrchestraError(
    ErrorCode.QUERY_TOO_COMPLEX,
    `The operation has more than ${limit} tokens.`,
    'TOKEN_LIMIT',
    { limit },
  );
}

/** The time budget: a field resolved after the operation's deadline fails, and so the operation ends soon after. */
export function timeBudget(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const deadline = Date.now() + limits.timeBudgetMs;
      let exceeded = false;
      return {
        async executionDidStart() {
          return {
            willResolveField() {
              if (exceeded || Date.now() > deadline) {
                exceeded = true;
                throw limitError('TIME_BUDGET', `The operation ran longer than ${limits.timeBudgetMs} ms.`, {
                  limit: limits.timeBudgetMs,
                });
              }
            },
          };
        },
      };
    },
  };
}

/** The sizes of the catalog's lists, from the workflows loaded: exact, as they come from code. */
export function catalogListSizes(
  workflows: readonly {
    versions: readonly { steps: readonly { requiredCertifications: readonly string[] }[] }[];
    certifications: readonly unknown[];
  }[],
): Record<string, number> {
  const max = (values: number[]) => Math.max(1, ...values);
  const versions = workflows.flatMap((w) => w.versions);
  return {
    workflows: max([workflows.length]),
    versions: max(workflows.map((w) => w.versions.length)),
    steps: max(versions.map((v) => v.steps.length)),
    certifications: max([workflows.reduce((n, w) => n + w.certifications.length, 0)]),
    requiredCertifications: max(versions.flatMap((v) => v.steps.map((s) => s.requiredCertifications.length))),
  };
}
