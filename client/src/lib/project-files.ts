// A step UI's access to its project's files: list a folder, the address of a file, and — for a step
// that takes uploads (`ui.uploads`) — upload into its folder and remove from it. Uploads go to
// `PUT /files/tasks/<taskId>/<name>` with the session cookie; the server checks type, size and holder.
import { api, messageOf } from './api.svelte';
import { ProjectFilesQuery } from './operations';

export interface StepFile {
  path: string;
  size: number;
  contentType: string;
  /** Where the file is served (same origin: use it as an <img> src or a link). */
  url: string;
}

export interface StepFiles {
  list(folder: string): Promise<StepFile[]>;
  url(path: string): string;
  upload(file: File): Promise<StepFile>;
  remove(path: string): Promise<void>;
}

/** Paths as the server serves them, relative to this origin. */
const fileUrl = (projectId: string, path: string) =>
  `/files/projects/${projectId}/${path.split('/').map(encodeURIComponent).join('/')}`;

async function problemOf(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(body?.error?.message ?? `The server answered ${res.status}.`);
}

export function stepFiles(projectId: string, taskId: string): StepFiles {
  return {
    async list(folder) {
      const result = await api().query(ProjectFilesQuery, { projectId, folder }).toPromise();
      if (result.error) throw new Error(messageOf(result.error));
      return result.data!.project.files.map((f) => ({ ...f, url: fileUrl(projectId, f.path) }));
    },
    url: (path) => fileUrl(projectId, path),
    async upload(file) {
      const res = await fetch(`/files/tasks/${taskId}/${encodeURIComponent(file.name)}`, {
        method: 'PUT',
        body: file,
        headers: { 'content-type': file.type || 'application/octet-stream' },
        credentials: 'same-origin',
      });
      if (!res.ok) throw await problemOf(res);
      const { file: stored } = (await res.json()) as { file: StepFile };
      return { ...stored, url: fileUrl(projectId, stored.path) };
    },
    async remove(path) {
      const res = await fetch(`/files/tasks/${taskId}/${path.split('/').map(encodeURIComponent).join('/')}`, {
        method: 'DELETE',
        credentials: 'same-origin',
      });
      if (!res.ok) throw await problemOf(res);
    },
  };
}
