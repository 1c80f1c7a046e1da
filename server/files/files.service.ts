// Use cases of a project's files: list and read them (whoever may see the project), upload into a
// step's upload folder and remove from it (the worker who holds the step's task, while they work on
// it). Each starts with its access check, like every other use case.
import { canSeeProject, holdsTask, requireActor, requireWorkerActor } from '../auth/access.js';
import type { Actor } from '../kernel/actor.js';
import { badInput, forbidden, notFound, refuse, Reason } from '../kernel/errors.js';
import { AssignmentStatus, ProjectStatus } from '../kernel/status.js';
import { projectFileUrl } from '../projects/project.queries.js';
import type { Reader } from '../read/reader.js';
import type { ProjectFile, UploadSpec } from '../workflow/definition.js';
import { detectType, maxBytesOf, safeFileName } from '../workflow/uploads.js';
import type { FileStore } from './file-store.js';
import { normalizeFilePath } from './file-store.js';

export interface FileView extends ProjectFile {
  /** Where the file is served (to those who may see the project). */
  url: string;
}

export class ProjectFilesService {
  constructor(
    private readonly store: FileStore,
    private readonly publicUrl: () => string,
  ) {}

  private view(projectId: number, file: ProjectFile): FileView {
    return { ...file, url: projectFileUrl(this.publicUrl(), projectId, file.path) };
  }

  private async requireProject(actor: Actor | null, reader: Reader, projectId: number) {
    requireActor(actor);
    const project = await reader.load.project.load(projectId);
    if (!project) throw notFound('Project', projectId);
    if (!(await canSeeProject(actor, reader, projectId))) throw forbidden('You may not see this project.');
    return project;
  }

  /** Files directly in a folder of the project ('' for the top), by name. */
  async list(actor: Actor | null, reader: Reader, projectId: number, folder = ''): Promise<FileView[]> {
    await this.requireProject(actor, reader, projectId);
    const files = await this.store.project(projectId).list(normalizeFilePath(folder, { folder: true }));
    return files.map((f) => this.view(projectId, f));
  }

  async read(actor: Actor | null, reader: Reader, projectId: number, path: string) {
    await this.requireProject(actor, reader, projectId);
    return this.store.project(projectId).read(path);
  }

  /** The task's upload spec, once the viewer is its worker, working on it, in an active project. */
  private async uploadTarget(actor: Actor | null, reader: Reader, taskId: number) {
    requireWorkerActor(actor, 'Only the worker on a task uploads its files.');
    const task = await reader.load.task.load(taskId);
    if (!task) throw notFound('Task', taskId);
    const spec = (reader.catalog.step(task.step.id).def.ui as { uploads?: UploadSpec } | null)?.uploads;
    if (!spec) throw badInput('This step takes no uploads.');
    const mine = await holdsTask(actor, reader, taskId);
    if (!mine) throw refuse('NOT_ASSOCIATED');
    if (mine.status !== AssignmentStatus.PROCESSING) throw refuse('NOT_ALLOWED_SAVE');
    const project = (await reader.load.project.load(task.project.id))!;
    if (project.status !== ProjectStatus.ACTIVE) throw refuse('PROJECT_NOT_ACTIVE');
    return { spec, projectId: project.id, files: this.store.project(project.id) };
  }

  /**
   * Stores an uploaded file in the step's folder. Its type is read from its bytes; its name is made
   * safe and given the extension of that type; a name taken already gets " (2)", " (3)"…
   */
  async upload(actor: Actor | null, reader: Reader, taskId: number, name: string, data: Buffer): Promise<FileView> {
    const { spec, projectId, files } = await this.uploadTarget(actor, reader, taskId);
    const max = maxBytesOf(spec);
    if (data.length > max) {
      throw badInput(
        `The file is larger than ${formatBytes(max)}, the most this step takes.`,
        { max },
        Reason.TOO_LARGE,
      );
    }
    if (data.length === 0) throw badInput('The file is empty.');
    const type = detectType(data);
    if (!type || !spec.accept.includes(type)) {
      throw badInput(
        `This step takes ${spec.accept.map(typeName).join(' or ')} files; this one is ${type ? typeName(type) : 'none of those'}.`,
        { accept: spec.accept },
      );
    }
    const safe = safeFileName(name, type);
    const dot = safe.lastIndexOf('.');
    let target = `${spec.folder}/${safe}`;
    for (let n = 2; await files.exists(target); n++)
      target = `${spec.folder}/${safe.slice(0, dot)} (${n})${safe.slice(dot)}`;
    return this.view(projectId, await files.write(target, data));
  }

  /** Removes a file the step's worker uploaded (only from the step's folder). */
  async remove(actor: Actor | null, reader: Reader, taskId: number, path: string): Promise<void> {
    const { spec, files } = await this.uploadTarget(actor, reader, taskId);
    const file = normalizeFilePath(path);
    if (!file.startsWith(`${spec.folder}/`) || file.slice(spec.folder.length + 1).includes('/')) {
      throw forbidden(`Only files of this step's folder (${spec.folder}) can be removed here.`);
    }
    if (!(await files.exists(file))) throw notFound('File', file, 'slug');
    await files.remove(file);
  }
}

const typeName = (type: string) =>
  ({ 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/gif': 'GIF', 'image/webp': 'WebP', 'application/pdf': 'PDF' })[
    type
  ] ?? type;

const formatBytes = (n: number) =>
  n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MB` : `${Math.round(n / 1024)} KB`;
