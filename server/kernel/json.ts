// JSON as Orchestra stores it: task data, project data, machine results, event payloads.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Data of every upstream step (transitively), keyed by step slug: each step's final data. */
export type Prerequisites = Record<string, JsonObject>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
