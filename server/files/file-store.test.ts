// Unit tests of file paths in a project's store: nothing can name a file outside its project's folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeOf, FileStore, normalizeFilePath } from './file-store.js';

describe('normalizeFilePath', () => {
  it.each(['a.txt', 'Raw Photos/beach 1.jpg', 'Processed Photos/ünïcode.png', 'a/b/c/d.md'])('keeps %s', (p) => {
    expect(normalizeFilePath(p)).toBe(p);
  });

  it.each([
    '',
    '/etc/passwd',
    '../x',
    'a/../../x',
    'a/./b',
    'a//b',
    'a\\b',
    'a\u0000b',
    'a\nb',
    ' lead',
    'trail ',
    'x'.repeat(201),
    'a/b/c/d/e/f/g/h/i',
  ])('refuses %j with BAD_INPUT', (p) => {
    expect(() => normalizeFilePath(p)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });

  it('takes the empty folder as the project’s top', () => {
    expect(normalizeFilePath('', { folder: true })).toBe('');
  });
});

describe('FileStore', () => {
  it('writes, lists, reads and removes files of one project only; content types follow the extension', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-store-'));
    try {
      const store = new FileStore(root);
      const files = store.project(7);
      await files.write('Raw Photos/b.jpg', Buffer.from([1, 2, 3]));
      await files.write('Raw Photos/a.png', 'png');
      expect((await files.list('Raw Photos')).map((f) => [f.path, f.size, f.contentType])).toEqual([
        ['Raw Photos/a.png', 3, 'image/png'],
        ['Raw Photos/b.jpg', 3, 'image/jpeg'],
      ]);
      expect(await files.list('Nowhere')).toEqual([]);
      expect([...(await files.read('Raw Photos/b.jpg')).data]).toEqual([1, 2, 3]);
      await expect(files.read('Raw Photos/none.jpg')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.project(8).exists('Raw Photos/b.jpg')).toBe(false);
      await files.remove('Raw Photos/b.jpg');
      expect(await files.exists('Raw Photos/b.jpg')).toBe(false);
      expect(contentTypeOf('x.unknown')).toBe('application/octet-stream');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
