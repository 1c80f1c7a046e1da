// A step's form schema as the app reads it from `step.ui.form` (server/workflow/form.ts defines it
// and checks data against it; the app renders it).
export interface FormField {
  name: string;
  label: string;
  type: 'text' | 'textarea' | 'number' | 'select' | 'checkbox' | 'url' | 'date';
  required?: boolean;
  help?: string;
  min?: number;
  max?: number;
  step?: number;
  maxLength?: number;
  options?: { value: string; label: string }[];
}

/** How a human step is shown: its own component, or a form generated from its schema (or both). */
export interface StepUiSpec {
  component?: string;
  form?: { fields: FormField[] };
}
