// A workflow's own static files (`workflows/<slug>/public/…`), served at `/workflows/<slug>/…`: the
// simple workflow's sample page, for one. Only workflows that are loaded, only files inside their
// public folder, and served so that nothing in them runs: a sandboxing CSP, no sniffing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentTypeOf, normalizeFilePath } from '../files/file-store.js';

export interface StaticFile {
  body: Buffer;
  headers: Record<string, string>;
}

/** The file for a request path under /workflows/, or null (unknown workflow, no such file, a bad path). */
export async function workflowFile(
  workflowsDir: string,
  slugs: ReadonlySet<string>,
  pathname: string,
): Promise<StaticFile | null> {
  const [slug, ...rest] = pathname.replace(/^\/workflows\//, '').split('/');
  if (!slug || !slugs.has(slug) || rest.length === 0) return null;
  let relative: string;
  try {
    relative = normalizeFilePath(rest.map(decodeURIComponent).join('/'));
  } catch {
    return null;
  }
  const file = path.join(workflowsDir, slug, 'public', ...relative.split('/'));
  try {
    const body = await fs.readFile(file);
    return {
      body,
      headers: {
        'content-type': contentTypeOf(file),
        'content-security-policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
        'cache-control': 'public, max-age=3600',
      },
    };
  } catch {
    return null;
  }
}
