// A file's path inside a project: `a/b/c.ext`, relative, with nothing that could escape the
// project's folder. Shared by the file store and by workflow validation (an upload folder).
import { badInput } from './errors.js';

const MAX_SEGMENT = 200;
const MAX_DEPTH = 8;

/** A file's path inside its project, as `a/b/c.ext`; anything that could escape the folder is refused. */
export function normalizeFilePath(input: string, { folder = false } = {}): string {
  if (typeof input !== 'string') throw badInput('A file path must be a string.');
  if (folder && input === '') return '';
  const segments = input.split('/');
  const bad = (why: string) => badInput(`Invalid file path ${JSON.stringify(input.slice(0, 100))}: ${why}.`);
  if (segments.length > MAX_DEPTH) throw bad(`at most ${MAX_DEPTH} folders deep`);
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') throw bad('empty, "." and ".." parts are not allowed');
    if (s.length > MAX_SEGMENT) throw bad(`a part is longer than ${MAX_SEGMENT} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\]/.test(s)) throw bad('control characters and backslashes are not allowed');
    if (s !== s.trim()) throw bad('a part may not start or end with a space');
  }
  return segments.join('/');
}
