// A step's form schema as the app reads it from `step.ui`: the server's own types
// (server/workflow/form.ts defines the schema and checks data against it; the app renders it).
import type { FormSchema } from '../../../server/workflow/form.js';

export type { FormField, FormSchema } from '../../../server/workflow/form.js';

/** How a human step is shown: its own component, or a form generated from its schema (or both). */
export interface StepUiSpec {
  component?: string;
  form?: FormSchema;
}
