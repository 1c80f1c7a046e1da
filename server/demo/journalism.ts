// `orchestra demo journalism`: the original's journalism_workflow_ctl over a running server's API.
// --new creates a project (the document creation step runs at once) and prints its id and
// information; --finish prints the output JSON, or which steps are still open and who holds them.
import { DemoApi, DemoError, shown } from './api.js';
import { openStepsReport, type ProjectProgress } from './report.js';

const INFO = `query($id: ID!) {
  project(id: $id) {
    id status shortDescription
    tasks { step { slug } status assignments { level status worker { username } lastError data } }
  }
}`;

type Info = {
  project: {
    id: string;
    status: string;
    tasks: {
      step: { slug: string };
      status: string;
      assignments: { level: number; status: string; worker: { username: string } | null; lastError: string | null }[];
    }[];
  };
};

const progressOf = (p: Info['project']): ProjectProgress => ({
  id: p.id,
  status: p.status,
  tasks: p.tasks.map((t) => ({
    step: t.step.slug,
    status: t.status,
    assignments: t.assignments.map((a) => ({ ...a, worker: a.worker?.username ?? null })),
  })),
});

export async function journalismNew(
  options: { server: string; apiKey: string; title: string; timeoutMs?: number },
  say: (line: string) => void,
): Promise<number> {
  const api = new DemoApi(options.server, { apiKey: options.apiKey }, say, false);
  const { createProject } = await api.call<{ createProject: { project: { id: string } } }>(
    `mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }`,
    {
      input: {
        workflowSlug: 'journalism',
        versionSlug: 'v1',
        description: options.title,
        projectData: { title: options.title },
      },
    },
  );
  const id = createProject.project.id;
  // Document creation runs first (a machine step): wait until the editor's task is there.
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let info: Info;
  for (;;) {
    info = await api.call<Info>(INFO, { id });
    const failed = info.project.tasks.flatMap((t) => t.assignments).find((a) => a.status === 'FAILED');
    if (failed) throw new DemoError(`Document creation failed: ${failed.lastError}`);
    if (info.project.tasks.some((t) => t.step.slug === 'editor')) break;
    if (Date.now() > deadline) throw new DemoError('Document creation did not finish in time: is a worker running?');
    await new Promise((r) => setTimeout(r, 500));
  }
  say(`Project ${id}`);
  say(shown(info.project));
  say(`\nNext: sign in to ${options.server}/ as journalism-editor / editor and take the new task.`);
  say(`When the copy editor is done: orchestra demo journalism --finish -p ${id}`);
  return Number(id);
}

/** Prints the output JSON and says true, or prints what the project waits for and says false. */
export async function journalismFinish(
  options: { server: string; apiKey: string; projectId: number },
  say: (line: string) => void,
): Promise<boolean> {
  const api = new DemoApi(options.server, { apiKey: options.apiKey }, say, false);
  const data = await api.call<Info & { project: { output: unknown } }>(
    INFO.replace('id status shortDescription', 'id status shortDescription output'),
    { id: String(options.projectId) },
  );
  if (data.project.output) {
    say(JSON.stringify(data.project.output, null, 2));
    return true;
  }
  say(openStepsReport(progressOf(data.project)));
  return false;
}
