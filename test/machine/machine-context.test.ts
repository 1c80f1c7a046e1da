// What a machine step's function is given (its third argument, the context), and how an attempt
// ends when it runs too long: through the real job door (executeMachineStep) and lifecycle use cases.
import { beforeAll, describe, expect, it } from 'vitest';
import { executeMachineStep } from '../../server/jobs/machine-step.job.js';
import { defineWorkflow, type MachineContext } from '../../server/workflow/definition.js';
import { useHarness, type Harness } from '../support/harness.js';

const seen: { attempt: number; context: Omit<MachineContext, 'files' | 'log' | 'signal'> & { aborted: boolean } }[] =
  [];
let timedOutSignal: AbortSignal | null = null;

const workflow = defineWorkflow({
  slug: 'context',
  name: 'Machine context',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        {
          kind: 'machine',
          slug: 'write_file',
          name: 'Write a file',
          run: async (projectData, _prerequisites, context) => {
            const { taskId, projectId, stepSlug, attempt } = context;
            seen.push({ attempt, context: { taskId, projectId, stepSlug, attempt, aborted: context.signal.aborted } });
            context.log(`attempt ${attempt} for ${String(projectData.title)}`);
            if (attempt === 1) throw new Error('first attempt fails');
            await context.files.write('Notes/summary.txt', `summary of ${String(projectData.title)}`);
            return { file: 'Notes/summary.txt' };
          },
        },
        {
          kind: 'machine',
          slug: 'read_file',
          name: 'Read it back',
          creationDependsOn: ['write_file'],
          run: async (_projectData, prerequisites, context) => {
            const { data, file } = await context.files.read(String(prerequisites.write_file!.file));
            const listed = await context.files.list('Notes');
            return { text: data.toString('utf8'), contentType: file.contentType, listed: listed.map((f) => f.path) };
          },
        },
      ],
    },
    {
      slug: 'slow',
      name: 'Too slow',
      steps: [
        {
          kind: 'machine',
          slug: 'forever',
          name: 'Never finishes',
          timeoutMs: 150,
          maxAttempts: 1,
          run: (_data, _prerequisites, context) =>
            new Promise((_, reject) => {
              timedOutSignal = context.signal;
              context.signal.addEventListener('abort', () => reject(new Error('stopped as asked')));
            }),
        },
      ],
    },
  ],
});

let h: Harness;
const logged: string[] = [];
const deps = () => ({ lifecycle: h.lifecycle, files: h.orchestra.files, log: (line: string) => logged.push(line) });

beforeAll(async () => {
  h = await useHarness({ workflows: [workflow] });
});

describe('the machine context', () => {
  it('gives the task, project, step and attempt, a logger, a live signal and the project’s own files', async () => {
    const p = await h.project('context', 'v1', { projectData: { title: 'Elections' } });
    const taskId = await h.taskId(p.id, 'write_file');
    expect(await executeMachineStep(deps(), taskId)).toBe('retry_scheduled');
    expect(await executeMachineStep(deps(), taskId)).toBe('completed');
    expect(seen).toEqual([
      { attempt: 1, context: { taskId, projectId: p.id, stepSlug: 'write_file', attempt: 1, aborted: false } },
      { attempt: 2, context: { taskId, projectId: p.id, stepSlug: 'write_file', attempt: 2, aborted: false } },
    ]);
    expect(logged).toEqual([
      `[machine write_file task ${taskId}] attempt 1 for Elections`,
      `[machine write_file task ${taskId}] attempt 2 for Elections`,
    ]);

    // The next step reads the file the first one wrote, from the same project's store.
    const readId = await h.taskId(p.id, 'read_file');
    expect(await executeMachineStep(deps(), readId)).toBe('completed');
    expect((await h.task(p.id, 'read_file'))!.assignments[0]!.data).toEqual({
      text: 'summary of Elections',
      contentType: 'text/plain; charset=utf-8',
      listed: ['Notes/summary.txt'],
    });
    // Another project's store is another folder.
    const other = await h.project('context', 'v1', { projectData: { title: 'Other' } });
    expect(await h.orchestra.files.project(other.id).exists('Notes/summary.txt')).toBe(false);
  });

  it('aborts an attempt that runs past its time limit: the signal fires and the attempt fails with why', async () => {
    const p = await h.project('context', 'slow');
    const taskId = await h.taskId(p.id, 'forever');
    const started = Date.now();
    expect(await executeMachineStep(deps(), taskId)).toBe('failed');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(timedOutSignal!.aborted).toBe(true);
    const task = (await h.task(p.id, 'forever'))!;
    expect(task.assignments[0]).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      lastError: 'Machine step timed out after 150 ms.',
    });
  });
});
