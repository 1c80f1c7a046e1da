// `orchestra demo simple`: the original's interactive walk-through of the simple workflow, over the
// API of a running server. It lists the workflows, creates a project, follows it while the machine
// step picks an image, waits while a person rates it in the app (or rates it itself with --auto), and
// prints the project's final data. Every call is printed beside its answer.
import { DemoApi, DemoError } from './api.js';

export interface SimpleDemoOptions {
  server: string;
  apiKey: string;
  /** The page to pick an image from (default: Orchestra's own sample page). */
  url?: string;
  seed?: number;
  /** Rate the image as demo/demo instead of waiting for a person. */
  auto?: boolean;
  /** How long to wait for each stage. */
  timeoutMs?: number;
  pollMs?: number;
}

const PROJECT = `query Project($id: ID!) {
  project(id: $id) { id status tasks { step { slug name } status assignments { status worker { username } data lastError } } }
}`;

export async function simpleDemo(options: SimpleDemoOptions, say: (line: string) => void): Promise<number> {
  const api = new DemoApi(options.server, { apiKey: options.apiKey }, say);
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 1000;
  const step = (n: number, text: string) => say(`\n${n}. ${text}`);

  say(`The simple workflow, over Orchestra's API at ${options.server}.`);
  say('Integrators send GraphQL over HTTP with their API key as X-Api-Key (orchestra keys create makes one).');

  step(1, 'Which workflows are there? (query workflows)');
  const { workflows } = await api.call<{ workflows: { slug: string; versions: { slug: string }[] }[] }>(
    `query { workflows { slug name versions { slug name } } }`,
  );
  if (!workflows.some((w) => w.slug === 'simple_workflow')) {
    throw new DemoError('This server has no simple_workflow: it is loaded from workflows/simple_workflow.');
  }

  const url = options.url ?? `${options.server}/workflows/simple_workflow/sample.html`;
  step(2, `Create a project of simple_workflow v1, with the page to pick an image from (${url}).`);
  const { createProject } = await api.call<{ createProject: { project: { id: string } } }>(
    `mutation Create($input: CreateProjectInput!) { createProject(input: $input) { project { id status } } }`,
    {
      input: {
        workflowSlug: 'simple_workflow',
        versionSlug: 'v1',
        description: 'Rate an image (orchestra demo simple)',
        projectData: options.seed === undefined ? { url } : { url, seed: options.seed },
      },
    },
  );
  const projectId = createProject.project.id;

  type ProjectInfo = {
    project: {
      status: string;
      tasks: {
        step: { slug: string };
        status: string;
        assignments: { status: string; data: unknown; lastError: string | null }[];
      }[];
    };
  };
  const poll = async (until: (p: ProjectInfo['project']) => boolean, what: string) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { project } = await api.call<ProjectInfo>(PROJECT, { id: projectId }, { quiet: true });
      const crawl = project.tasks.find((t) => t.step.slug === 'crawl');
      const failed = crawl?.assignments.find((a) => a.status === 'FAILED');
      if (failed) throw new DemoError(`The machine step failed: ${failed.lastError}`);
      if (until(project)) return project;
      if (Date.now() > deadline) throw new DemoError(`Gave up waiting for ${what}.`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };

  step(3, 'The machine step "crawl" fetches the page and picks an image. Follow the project (query project):');
  await poll((p) => p.tasks.some((t) => t.step.slug === 'rate'), 'the machine step');
  await api.call(PROJECT, { id: projectId });
  say('   The crawl task is COMPLETE and its data is the pick; the human step "rate" now waits for a worker.');

  if (options.auto) {
    step(4, 'Rate it as the worker demo (--auto): log in, claim the task, submit a rating.');
    const { login } = await api
      .as({})
      .call<{ login: { token: string } }>(
        `mutation { login(input: { username: "demo", password: "demo" }) { token worker { username } } }`,
      );
    const worker = api.as({ token: login.token });
    const { project } = await api.call<{ project: { tasks: { id: string; step: { slug: string } }[] } }>(
      `query($id: ID!) { project(id: $id) { tasks { id step { slug } } } }`,
      { id: projectId },
      { quiet: true },
    );
    const rateTask = project.tasks.find((t) => t.step.slug === 'rate')!;
    await worker.call(`mutation($taskId: ID!) { claimTask(input: { taskId: $taskId }) { task { id status } } }`, {
      taskId: rateTask.id,
    });
    await worker.call(
      `mutation($taskId: ID!) { submitTask(input: { taskId: $taskId, action: SUBMIT, data: { rating: 5 } }) { task { status } } }`,
      { taskId: rateTask.id },
    );
  } else {
    step(4, `Now rate the image as a person: open ${options.server}/ , sign in as demo / demo,`);
    say('   press "New task" and say how awesome the image is. Waiting for the rating…');
  }
  await poll((p) => p.status === 'COMPLETED', 'the rating');

  step(5, 'The project is COMPLETED. Its final data, step by step (query project { output }):');
  const { project } = await api.call<{ project: { output: unknown } }>(
    `query($id: ID!) { project(id: $id) { status output } }`,
    { id: projectId },
  );
  say(`\nProject ${projectId} is done: ${JSON.stringify(project.output)}`);
  return Number(projectId);
}
