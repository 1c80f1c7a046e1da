// Step UIs written as Svelte components live with their workflow (workflows/<slug>/ui/<Name>.svelte)
// and are loaded on demand, so a task page ships only the component its step names. A workflow's
// definition names the component by file name (`ui: { component: 'RateImage' }`); workflow.ts itself
// never imports Svelte, so the server loads definitions without the app.
import type { Component } from 'svelte';
import type { JsonObject } from './graphql';
import type { StepFiles } from './project-files';

/** What a step's component receives. It edits `data` in place (bind:data); the page saves it. */
export interface StepUiProps {
  /** The task: its id, step and project as the task page loaded them. */
  task: {
    id: string;
    step: { slug: string; name: string; description: string };
    project: { id: string; shortDescription: string; projectData?: JsonObject };
  };
  /** Final data of every upstream step, keyed by step slug. */
  prerequisites: JsonObject;
  /** The viewer's working copy: change its fields, and the page autosaves them. */
  data: JsonObject;
  /** True when the viewer cannot change anything (their part is done, or the project is on hold). */
  readOnly: boolean;
  /** The server's problems with the data, by field name (shown by the component beside its fields). */
  errors: Record<string, string>;
  /** The project's files: list a folder, a file's address, upload and remove (steps with `ui.uploads`). */
  files: StepFiles;
  /** The step's `ui` as the workflow defines it (its upload folder and types, for one). */
  ui: { uploads?: { folder: string; accept: string[]; maxBytes?: number } } & Record<string, unknown>;
}

export type StepUiComponent = Component<StepUiProps, object, 'data'>;

const modules = import.meta.glob<{ default: StepUiComponent }>('../../../workflows/*/ui/*.svelte');

/** The component of a workflow's step UI, or null when the workflow has no component of that name. */
export async function loadStepUi(workflowSlug: string, name: string): Promise<StepUiComponent | null> {
  const load = modules[`../../../workflows/${workflowSlug}/ui/${name}.svelte`];
  return load ? (await load()).default : null;
}
