// A workflow with event hooks, loaded from this folder by `orchestra worker` processes in tests
// (ORCHESTRA_WORKFLOWS_DIR=test/workflows/hooked). Each hook appends the event to the file named by
// HOOK_LOG, so a test can see what ran, and how often.
import fs from 'node:fs';
import { defineWorkflow } from '../../../../server/workflow/definition.js';

const record = (line: object) => {
  if (process.env.HOOK_LOG) fs.appendFileSync(process.env.HOOK_LOG, `${JSON.stringify(line)}\n`);
};

export default defineWorkflow({
  slug: 'hooked',
  name: 'Hooked',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [{ kind: 'human', slug: 'only', name: 'Only', reviewPolicy: { policy: 'no_review' } }],
    },
  ],
  hooks: {
    'project.created': (event) =>
      record({ type: event.type, projectId: event.projectId, cursor: event.cursor, pid: process.pid }),
    'task.completed': (event) =>
      record({
        type: event.type,
        projectId: event.projectId,
        step: event.payload.step,
        cursor: event.cursor,
        pid: process.pid,
      }),
  },
});
