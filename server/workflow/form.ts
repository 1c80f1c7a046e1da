// Form schemas: how a human step without a component of its own asks for its data
// (`ui: { form: { fields: [...] } }`). The worker app renders the form from it; the server checks
// submitted data against it, so a rating of 42 on a 1–5 scale never completes a task. Pure: no I/O.
import type { Json, JsonObject } from '../kernel/json.js';

export const FIELD_TYPES = ['text', 'textarea', 'number', 'select', 'checkbox', 'url', 'date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FormField {
  /** Key of the value in the task's data. */
  name: string;
  label: string;
  type: FieldType;
  required?: boolean;
  /** Shown under the field. */
  help?: string;
  /** number: bounds (inclusive); an integer when `step` is 1. */
  min?: number;
  max?: number;
  step?: number;
  /** text, textarea, url: the longest value (default 1,000 for text and url, 50,000 for textarea). */
  maxLength?: number;
  /** select: the values to choose from. */
  options?: { value: string; label: string }[];
}

export interface FormSchema {
  fields: FormField[];
}

export interface FieldError {
  field: string;
  message: string;
}

const DEFAULT_MAX_LENGTH: Record<FieldType, number> = {
  text: 1_000,
  textarea: 50_000,
  url: 2_048,
  number: 0,
  select: 0,
  checkbox: 0,
  date: 0,
};

const isEmpty = (v: Json | undefined) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** The form schema of a step's `ui`, when it has one. */
export function formOf(ui: unknown): FormSchema | null {
  const form = (ui as { form?: unknown } | null)?.form;
  return form && typeof form === 'object' && Array.isArray((form as FormSchema).fields) ? (form as FormSchema) : null;
}

function checkValue(field: FormField, value: Json): string | null {
  const label = field.label || field.name;
  switch (field.type) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${label} must be a number.`;
      if (field.step === 1 && !Number.isInteger(value)) return `${label} must be a whole number.`;
      if (field.min !== undefined && value < field.min) return `${label} must be at least ${field.min}.`;
      if (field.max !== undefined && value > field.max) return `${label} must be at most ${field.max}.`;
      return null;
    }
    case 'checkbox':
      return typeof value === 'boolean' ? null : `${label} must be checked or not (true or false).`;
    case 'select':
      if (typeof value !== 'string' || !(field.options ?? []).some((o) => o.value === value)) {
        return `${label} must be one of: ${(field.options ?? []).map((o) => o.value).join(', ')}.`;
      }
      return null;
    case 'date':
      if (
        typeof value !== 'string' ||
        !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
        Number.isNaN(Date.parse(`${value}T00:00:00Z`))
      ) {
        return `${label} must be a date (YYYY-MM-DD).`;
      }
      return null;
    case 'url': {
      if (typeof value !== 'string') return `${label} must be a web address.`;
      if (value.length > (field.maxLength ?? DEFAULT_MAX_LENGTH.url))
        return `${label} must have at most ${field.maxLength ?? DEFAULT_MAX_LENGTH.url} characters.`;
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:'
          ? null
          : `${label} must be an http or https address.`;
      } catch {
        return `${label} must be a web address (https://…).`;
      }
    }
    case 'text':
    case 'textarea': {
      if (typeof value !== 'string') return `${label} must be text.`;
      const max = field.maxLength ?? DEFAULT_MAX_LENGTH[field.type];
      return value.length > max ? `${label} must have at most ${max} characters.` : null;
    }
  }
}

/**
 * Checks data against a form. `complete`: the work is sent on (submit, accept), so required fields must
 * be filled; otherwise (saving) only the values given are checked. Keys the form does not name are kept.
 */
export function checkFormData(form: FormSchema, data: JsonObject, { complete }: { complete: boolean }): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of form.fields) {
    const value = data[field.name];
    if (isEmpty(value)) {
      if (complete && field.required)
        errors.push({ field: field.name, message: `${field.label || field.name} is required.` });
      continue;
    }
    const problem = checkValue(field, value!);
    if (problem) errors.push({ field: field.name, message: problem });
  }
  return errors;
}

/** Problems of a form schema as an author wrote it (checked when workflows load). */
export function formSchemaProblems(form: unknown): string[] {
  if (!form || typeof form !== 'object' || !Array.isArray((form as { fields?: unknown }).fields))
    return ['form must be { fields: [...] }'];
  const problems: string[] = [];
  const names = new Set<string>();
  (form as { fields: unknown[] }).fields.forEach((f, i) => {
    const field = f as Partial<FormField> | null;
    const at = `fields[${i}]`;
    if (!field || typeof field !== 'object') return void problems.push(`${at} must be an object`);
    if (typeof field.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(field.name))
      problems.push(`${at}.name must be a data key (letters, digits, _)`);
    else if (names.has(field.name)) problems.push(`${at}.name "${field.name}" is used twice`);
    else names.add(field.name);
    if (typeof field.label !== 'string' || !field.label.trim()) problems.push(`${at}.label must be a non-empty string`);
    if (!FIELD_TYPES.includes(field.type as FieldType))
      problems.push(`${at}.type must be one of ${FIELD_TYPES.join(', ')}`);
    for (const key of ['min', 'max', 'step', 'maxLength'] as const) {
      if (field[key] !== undefined && (typeof field[key] !== 'number' || !Number.isFinite(field[key])))
        problems.push(`${at}.${key} must be a number`);
    }
    if (field.min !== undefined && field.max !== undefined && field.min > field.max)
      problems.push(`${at}: min is above max`);
    if (field.type === 'select' && (!Array.isArray(field.options) || field.options.length === 0))
      problems.push(`${at}.options must list the choices`);
  });
  return problems;
}
