// The crawl step against real pages served here: real fetch, real parsing, each failure a sentence.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagesOf, pickImage, seeded } from './crawl.js';

let base = '';
let server: http.Server;
const PAGES: Record<string, { type: string; body: string; status?: number }> = {
  '/gallery': {
    type: 'text/html; charset=utf-8',
    body: `<html><body><img src="/a.png"><img src="b.jpg"><img src="/a.png"><img src="data:image/png;base64,xx">
           <img src="https://cdn.example.org/c.webp"><img alt="no source"></body></html>`,
  },
  '/empty': { type: 'text/html', body: '<html><body><p>Words, no pictures.</p></body></html>' },
  '/data.json': { type: 'application/json', body: '{"images": []}' },
  '/gone': { type: 'text/html', body: 'gone', status: 404 },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/moved') return void res.writeHead(302, { location: '/gallery' }).end();
    const page = PAGES[req.url ?? ''];
    if (!page) return void res.writeHead(404).end();
    res.writeHead(page.status ?? 200, { 'content-type': page.type }).end(page.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the crawl step', () => {
  it('finds every distinct image of a page, as absolute http(s) addresses, in page order', () => {
    expect(imagesOf(PAGES['/gallery']!.body, 'http://site.test/dir/page')).toEqual([
      'http://site.test/a.png',
      'http://site.test/dir/b.jpg',
      'https://cdn.example.org/c.webp',
    ]);
  });

  it('picks one of them, the same one for the same seed', async () => {
    const picks = await Promise.all([1, 1, 2, 3, 4, 5].map((s) => pickImage(`${base}/gallery`, { random: seeded(s) })));
    expect(picks[0]).toEqual(picks[1]);
    for (const p of picks) {
      expect([`${base}/a.png`, `${base}/b.jpg`, 'https://cdn.example.org/c.webp']).toContain(p.image);
      expect(p).toMatchObject({ page: `${base}/gallery`, imagesFound: 3 });
    }
    expect(new Set(picks.map((p) => p.image)).size).toBeGreaterThan(1);
  });

  it('follows redirects and resolves images against the page it landed on', async () => {
    expect(await pickImage(`${base}/moved`, { random: () => 0 })).toEqual({
      image: `${base}/a.png`,
      page: `${base}/gallery`,
      imagesFound: 3,
    });
  });

  it.each([
    ['/empty', (b: string) => `${b}/empty has no image (no <img> with a web address).`],
    ['/data.json', (b: string) => `${b}/data.json is not an HTML page (its content type is application/json).`],
    ['/gone', (b: string) => `Could not fetch ${b}/gone: the server answered 404 Not Found.`],
  ])('fails with a sentence for %s', async (path, message) => {
    await expect(pickImage(`${base}${path}`)).rejects.toThrow(message(base));
  });

  it('says so when the page cannot be reached, or the address is no web address', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(pickImage(`http://127.0.0.1:${port}/`)).rejects.toThrow(
      `Could not fetch http://127.0.0.1:${port}/: the connection was refused.`,
    );
    await expect(pickImage('ftp://example.org/x')).rejects.toThrow(
      'projectData.url must be the http(s) address of a web page, not "ftp://example.org/x".',
    );
    await expect(pickImage(undefined)).rejects.toThrow('not null');
  });
});
