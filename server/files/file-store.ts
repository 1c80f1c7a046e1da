// Projects' own files — the article document, uploaded photos, a machine step's output — kept on disk
// under one folder (config.filesDir), one sub-folder per project. Paths are relative and checked:
// nothing can name a file outside its project's folder.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { badInput, notFound } from '../kernel/errors.js';
import { normalizeFilePath } from '../kernel/file-path.js';
import type { ProjectFile, ProjectFiles } from '../workflow/definition.js';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
};

export const contentTypeOf = (file: string): string =>
  CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

export { normalizeFilePath };

export class FileStore {
  constructor(readonly root: string) {}

  project(projectId: number): ProjectFiles {
    if (!Number.isSafeInteger(projectId) || projectId <= 0) throw badInput('Invalid project id.');
    const base = path.join(this.root, 'projects', String(projectId));
    const where = (file: string) => path.join(base, ...normalizeFilePath(file).split('/'));
    const describe = async (relative: string, full: string): Promise<ProjectFile> => {
      const stat = await fs.stat(full);
      return { path: relative, size: stat.size, contentType: contentTypeOf(relative), modifiedAt: stat.mtime };
    };
    return {
      projectId,
      async write(file, data) {
        const relative = normalizeFilePath(file);
        const full = where(relative);
        await fs.mkdir(path.dirname(full), { recursive: true });
        // Written aside, then renamed: a reader never sees half a file.
        const temporary = `${full}.${randomBytes(6).toString('hex')}.partial`;
        await fs.writeFile(temporary, data);
        await fs.rename(temporary, full);
        return describe(relative, full);
      },
      async read(file) {
        const relative = normalizeFilePath(file);
        const full = where(relative);
        try {
          return { data: await fs.readFile(full), file: await describe(relative, full) };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR')
            throw notFound('File', relative, 'slug');
          throw error;
        }
      },
      async list(folder = '') {
        const relative = normalizeFilePath(folder, { folder: true });
        const full = relative ? where(relative) : base;
        let entries: import('node:fs').Dirent[];
        try {
          entries = await fs.readdir(full, { withFileTypes: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw error;
        }
        const files = entries
          .filter((e) => e.isFile() && !e.name.endsWith('.partial'))
          .map((e) => e.name)
          .sort();
        return Promise.all(
          files.map((name) => describe(relative ? `${relative}/${name}` : name, path.join(full, name))),
        );
      },
      async exists(file) {
        try {
          return (await fs.stat(where(file))).isFile();
        } catch {
          return false;
        }
      },
      async remove(file) {
        await fs.rm(where(file), { force: true });
      },
      async makeFolder(folder) {
        await fs.mkdir(where(folder), { recursive: true });
      },
    };
  }
}
