// Read use cases of projects: one project (the original's project_information), the paginated list
// for admins and integrators, and the tasks of a project the viewer may see.
import { canSeeProject, canSeeTask, requireActor, requireSeesEverything } from '../auth/access.js';
import { seesEverything, type Actor } from '../kernel/actor.js';
import { ErrorCode, forbidden, notFound, OrchestraError, Reason } from '../kernel/errors.js';
import type { JsonObject } from '../kernel/json.js';
import { AssignmentStatus, ProjectStatus, TaskStatus } from '../kernel/status.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../read/page.js';
import type { Reader } from '../read/reader.js';
import type { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import type { Step } from '../catalog/catalog.entity.js';
import { stepsInListingOrder } from '../catalog/catalog.queries.js';
import { Worker } from '../workers/worker.entity.js';
import type { FileStore } from '../files/file-store.js';
import { Project } from './project.entity.js';

export interface ProjectFilter {
  status?: ProjectStatus | null;
  workflowSlug?: string | null;
}

export interface ProjectSummary {
  id: number;
  description: string;
  status: keyof typeof ProjectStatus;
  priority: number;
  projectData: JsonObject;
  tasks: {
    id: number;
    step: string;
    status: keyof typeof TaskStatus;
    assignments: {
      level: number;
      worker: string | null;
      status: keyof typeof AssignmentStatus;
      data: JsonObject;
      lastError: string | null;
    }[];
  }[];
}

/** Where a project's files are served: `/files/projects/<id>/<path>` (see http/project-files.ts). */
export interface ProjectInformation {
  project: Project;
  workflowSlug: string;
  versionSlug: string;
  steps: Step[];
  tasks: {
    task: Task;
    stepSlug: string;
    /** The data of the assignment being worked on, else of the highest level, else null. */
    latestData: JsonObject | null;
    assignments: { assignment: TaskAssignment; worker: Worker | null; iterations: Iteration[] }[];
  }[];
}

export const projectFileUrl = (publicUrl: string, projectId: number, file: string): string =>
  `${publicUrl}/files/projects/${projectId}/${file.split('/').map(encodeURIComponent).join('/')}`;

export class ProjectQueries {
  constructor(
    private readonly files: FileStore,
    /** Read when asked (a server started on port 0 learns its address after listening). */
    private readonly publicUrl: () => string,
  ) {}

  /** A project with its tasks: admins, integrators, and workers on it. */
  async project(actor: Actor | null, reader: Reader, id: number): Promise<Project> {
    requireActor(actor);
    const project = await reader.load.project.load(id);
    if (!project) throw notFound('Project', id);
    if (!(await canSeeProject(actor, reader, project.id))) throw forbidden('You may not see this project.');
    return project;
  }

  /** Projects, newest first (admins and integrators). */
  async projects(
    actor: Actor | null,
    reader: Reader,
    filter: ProjectFilter,
    page: PageRequest,
  ): Promise<Page<Project>> {
    requireSeesEverything(actor);
    const size = pageSize(page.first);
    const where: Record<string, unknown> = {};
    if (filter.status !== undefined && filter.status !== null) where.status = filter.status;
    if (filter.workflowSlug) where.version = { workflow: { slug: filter.workflowSlug } };
    const total = await reader.em.count(Project, where);
    if (page.after) where.id = { $lt: decodeCursor(page.after, ['int'])[0] };
    const rows = await reader.em.find(Project, where, { orderBy: { id: 'desc' }, limit: size + 1 });
    return toPage(rows, size, (p) => [p.id], total);
  }

  /** The project's tasks the viewer may see, in creation order. */
  async tasks(actor: Actor | null, reader: Reader, project: Project): Promise<Task[]> {
    const tasks = await reader.load.tasksByProject.load(project.id);
    if (seesEverything(actor)) return tasks;
    const visible = await Promise.all(tasks.map((t) => canSeeTask(actor, reader, t)));
    return tasks.filter((_, i) => visible[i]);
  }

  /**
   * A finished project's output JSON: the workflow's `output` function, or every step's final data by
   * step slug. Null until the project is COMPLETED. To those who may see the project.
   */
  async output(actor: Actor | null, reader: Reader, id: number): Promise<JsonObject | null> {
    const project = await this.project(actor, reader, id);
    if (project.status !== ProjectStatus.COMPLETED) return null;
    const steps: Record<string, JsonObject> = {};
    for (const task of await reader.load.tasksByProject.load(project.id)) {
      if (task.status !== TaskStatus.COMPLETE) continue;
      const assignments = await reader.load.assignmentsByTask.load(task.id);
      steps[reader.catalog.step(task.step.id).def.slug] = assignments[assignments.length - 1]?.data ?? {};
    }
    const output = reader.catalog.version(project.version.id).workflow.definition.output;
    if (!output) return steps;
    try {
      return await output({
        projectId: project.id,
        projectData: project.projectData,
        steps,
        files: this.files.project(project.id),
        fileUrl: (file) => projectFileUrl(this.publicUrl(), project.id, file),
      });
    } catch (error) {
      throw new OrchestraError(
        ErrorCode.WORKFLOW_ERROR,
        `The workflow's output could not be built: ${(error as Error).message ?? String(error)}`,
        Reason.POLICY_FAILED,
      );
    }
  }

  /** A project with its tasks and their assignments as plain JSON (the CLI prints it). */
  async summary(actor: Actor | null, reader: Reader, id: number): Promise<ProjectSummary> {
    const project = await this.project(actor, reader, id);
    const tasks = await this.tasks(actor, reader, project);
    const assignments = await reader.load.assignmentsByTask.loadMany(tasks.map((t) => t.id));
    const workerIds = assignments
      .flatMap((list) => (list instanceof Error ? [] : list.map((a) => a.worker?.id)))
      .filter((w): w is number => w != null);
    const workers = new Map(
      (await reader.load.worker.loadMany(workerIds))
        .filter((w): w is Worker => w instanceof Worker)
        .map((w) => [w.id, w.username]),
    );
    return {
      id: project.id,
      description: project.shortDescription,
      status: ProjectStatus[project.status] as keyof typeof ProjectStatus,
      priority: project.priority,
      projectData: project.projectData,
      tasks: tasks.map((t, i) => ({
        id: t.id,
        step: reader.catalog.step(t.step.id).def.slug,
        status: TaskStatus[t.status] as keyof typeof TaskStatus,
        assignments: (assignments[i] instanceof Error ? [] : (assignments[i] as TaskAssignment[])).map((a) => ({
          level: a.level,
          worker: a.worker ? (workers.get(a.worker.id) ?? null) : null,
          status: AssignmentStatus[a.status] as keyof typeof AssignmentStatus,
          data: a.data,
          lastError: a.lastError,
        })),
      })),
    };
  }

  /**
   * A project with its tasks (each with its assignments, their workers and iterations) and its steps in
   * the original's order: what the signed client API's project_information returns. Null for a project
   * that does not exist or that the caller may not see (the original left those out).
   */
  async information(actor: Actor | null, reader: Reader, id: number): Promise<ProjectInformation | null> {
    requireActor(actor);
    const project = await reader.load.project.load(id);
    if (!project || !(await canSeeProject(actor, reader, project.id))) return null;
    const { version } = reader.catalog.version(project.version.id);
    const tasks = await this.tasks(actor, reader, project);
    return {
      project,
      workflowSlug: version.workflowSlug,
      versionSlug: version.slug,
      steps: await stepsInListingOrder(reader, project.version.id),
      tasks: await Promise.all(
        tasks.map(async (task) => {
          const assignments = await reader.load.assignmentsByTask.load(task.id);
          return {
            task,
            stepSlug: reader.catalog.step(task.step.id).def.slug,
            latestData:
              (assignments.find((a) => a.status === AssignmentStatus.PROCESSING) ?? assignments.at(-1))?.data ?? null,
            assignments: await Promise.all(
              assignments.map(async (assignment) => ({
                assignment,
                worker: assignment.worker ? await reader.load.worker.load(assignment.worker.id) : null,
                iterations: await reader.load.iterationsByAssignment.load(assignment.id),
              })),
            ),
          };
        }),
      ),
    };
  }

  /** For a subscription to one project: admins, integrators and workers on it. */
  async requireProjectAccess(actor: Actor | null, reader: Reader, projectId: number): Promise<void> {
    await this.project(actor, reader, projectId);
  }
}
