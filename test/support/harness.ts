// Test harness: a real Orchestra on a fresh PostgreSQL database, with one-line factories for
// workers and projects and a snapshot reader that shows a task as a user would see it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { startOrchestra, type Orchestra } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import type { Actor } from '../../server/kernel/actor.js';
import { hashPassword } from '../../server/auth/passwords.js';
import {
  AssignmentStatus,
  CertificationRole,
  IterationStatus,
  TaskClass,
  TaskStatus,
} from '../../server/kernel/status.js';
import { Iteration, Task, TaskAssignment } from '../../server/tasks/task.entity.js';
import { Project } from '../../server/projects/project.entity.js';
import type { WorkflowDefinition, JsonObject } from '../../server/workflow/definition.js';
import { createTestDatabase } from './db.js';

export interface HarnessOptions {
  workflows: WorkflowDefinition[];
  /** Run background jobs (machine steps, event consumers) in the test's process. */
  jobs?: boolean;
  config?: Partial<Config>;
}

export interface TaskSnapshot {
  id: number;
  step: string;
  status: keyof typeof TaskStatus;
  assignments: {
    id: number;
    level: number;
    worker: string | null;
    status: keyof typeof AssignmentStatus;
    data: JsonObject;
    attempts: number;
    lastError: string | null;
  }[];
  iterations: {
    id: number;
    level: number;
    status: keyof typeof IterationStatus;
    submittedData: JsonObject;
    ended: boolean;
  }[];
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export async function createHarness(options: HarnessOptions) {
  const db = await createTestDatabase();
  // Sampled review draws come from this queue when it has values, else Math.random.
  const draws: number[] = [];
  // Each harness keeps its projects' files in a folder of its own, removed with it.
  const filesDir = options.config?.filesDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-files-'));
  const config = loadConfig(process.env, {
    ...options.config,
    filesDir,
    machine: { ...loadConfig().machine, retryBaseDelayMs: 20, ...options.config?.machine },
  });
  const orchestra: Orchestra = await startOrchestra({
    config,
    definitions: options.workflows,
    db,
    random: () => (draws.length ? draws.shift()! : Math.random()),
    jobs: options.jobs ?? false,
  });
  const usernames = new Map<number, string>();
  const taken = new Map<string, number>();
  const uniqueName = (name: string): string => {
    const n = (taken.get(name) ?? 0) + 1;
    taken.set(name, n);
    return n === 1 ? name : `${name}_${n}`;
  };
  const admin: Actor = { kind: 'system' };

  const h = {
    orchestra,
    db,
    lifecycle: orchestra.lifecycle,
    workers: orchestra.workers,
    admin,
    draws,
    /**
     * Creates a worker holding the given certifications (REAL unless said) of a workflow. The name is
     * made unique in the file's database: a second `worker('writer')` is `writer_2`.
     */
    async worker(
      name: string,
      certifications: [
        workflow: string,
        certification: string,
        role: 'ENTRY_LEVEL' | 'REVIEWER',
        taskClass?: 'REAL' | 'TRAINING',
      ][] = [],
      extra: { isAdmin?: boolean; password?: string; email?: string; slackUsername?: string } = {},
    ): Promise<Actor & { kind: 'worker'; username: string }> {
      const username = uniqueName(name);
      const w = await orchestra.workers.createWorker(admin, {
        username,
        isAdmin: extra.isAdmin,
        email: extra.email,
        passwordHash: extra.password ? await hashPassword(extra.password) : null,
      });
      if (extra.slackUsername) {
        const self: Actor = { kind: 'worker', workerId: w.id, isAdmin: false };
        await orchestra.accounts.updateProfile(self, { slackUsername: extra.slackUsername });
      }
      for (const [workflowSlug, certificationSlug, role, taskClass] of certifications) {
        if (role === 'REVIEWER') {
          await orchestra.workers.grantCertification(admin, {
            workerId: w.id,
            workflowSlug,
            certificationSlug,
            role: CertificationRole.ENTRY_LEVEL,
            taskClass: TaskClass[taskClass ?? 'REAL'],
          });
        }
        await orchestra.workers.grantCertification(admin, {
          workerId: w.id,
          workflowSlug,
          certificationSlug,
          role: CertificationRole[role],
          taskClass: TaskClass[taskClass ?? 'REAL'],
        });
      }
      usernames.set(w.id, username);
      return { kind: 'worker', workerId: w.id, isAdmin: extra.isAdmin ?? false, username };
    },
    async project(
      workflowSlug: string,
      versionSlug = 'v1',
      extra: { priority?: number; projectData?: JsonObject; taskClass?: TaskClass; description?: string } = {},
    ) {
      return orchestra.lifecycle.createProject(admin, {
        workflowSlug,
        versionSlug,
        description: extra.description ?? 'test project',
        ...extra,
      });
    },
    async projectStatus(projectId: number) {
      const p = await db.orm.em.fork().findOneOrFail(Project, { id: projectId });
      return p.status;
    },
    /** The task of a step in a project, as stored now (null when the step has no task). */
    async task(projectId: number, stepSlug: string): Promise<TaskSnapshot | null> {
      const em = db.orm.em.fork();
      const tasks = await em.find(Task, { project: projectId }, { populate: ['step'] });
      const task = tasks.find((t) => t.step.slug === stepSlug);
      if (!task) return null;
      const assignments = await em.find(TaskAssignment, { task }, { orderBy: { level: 'asc' }, populate: ['worker'] });
      const iterations = await em.find(
        Iteration,
        { assignment: { task } },
        { orderBy: { startDatetime: 'asc', id: 'asc' }, populate: ['assignment'] },
      );
      return {
        id: task.id,
        step: stepSlug,
        status: TaskStatus[task.status] as keyof typeof TaskStatus,
        assignments: assignments.map((a) => ({
          id: a.id,
          level: a.level,
          worker: a.worker ? (usernames.get(a.worker.id) ?? a.worker.username) : null,
          status: AssignmentStatus[a.status] as keyof typeof AssignmentStatus,
          data: a.data,
          attempts: a.attempts,
          lastError: a.lastError,
        })),
        iterations: iterations.map((i) => ({
          id: i.id,
          level: i.assignment.level,
          status: IterationStatus[i.status] as keyof typeof IterationStatus,
          submittedData: i.submittedData,
          ended: i.endDatetime !== null,
        })),
      };
    },
    /**
     * Waits until every committed event is released: no transaction that could still precede one is
     * open (on the whole PostgreSQL server, so parallel test files count too).
     */
    async released(): Promise<void> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { rows } = await db.pool.query(
          `select count(*)::int as n from domain_event where tx_id >= pg_snapshot_xmin(pg_current_snapshot())`,
        );
        if (rows[0].n === 0) return;
        if (Date.now() > deadline) throw new Error('events were not released within 15 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Task id of a step, failing loudly when the step has no task. */
    async taskId(projectId: number, stepSlug: string): Promise<number> {
      const t = await h.task(projectId, stepSlug);
      if (!t) throw new Error(`no task for step ${stepSlug}`);
      return t.id;
    },
    async close() {
      await orchestra.close();
      await db.close();
      if (!options.config?.filesDir) fs.rmSync(filesDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** createHarness in a beforeAll-like way: the harness is closed after the file's tests. */
export async function useHarness(options: HarnessOptions): Promise<Harness> {
  const h = await createHarness(options);
  afterAll(() => h.close());
  return h;
}
