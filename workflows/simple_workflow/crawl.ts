// The simple workflow's machine step: fetch a web page, parse its HTML (cheerio) and pick one of its
// images at random. Every way it can fail says so in a sentence, which becomes the step's error
// after its retries (an admin sees it, and may run the step again).
import * as cheerio from 'cheerio';

const MAX_PAGE_BYTES = 5 * 1024 * 1024;

export interface Pick {
  /** The picked image's absolute address. */
  image: string;
  /** The page, as fetched (after redirects). */
  page: string;
  /** How many different images the page has. */
  imagesFound: number;
}

/** A number in [0, 1) from a seed: the same seed picks the same image (tests, reproducible demos). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Why a fetch failed, in words (Node's fetch hides the cause in `cause.code`). */
function whyNot(error: unknown): string {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return 'the connection was refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name is not known';
  if (code === 'ECONNRESET') return 'the connection was reset';
  if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError') return 'it took too long';
  // "fetch failed" says nothing: its cause does (e.g. "bad port" for a port fetch refuses to use).
  return (error as { cause?: Error }).cause?.message || (error as Error).message || String(error);
}

async function readLimited(res: Response, url: string): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_PAGE_BYTES) {
      await reader.cancel();
      throw new Error(`${url} is larger than ${MAX_PAGE_BYTES / 1024 / 1024} MB: not read.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The page's images: `<img src>` made absolute against the page, http(s) only, each once, in page order. */
export function imagesOf(html: string, pageUrl: string): string[] {
  const $ = cheerio.load(html);
  const seen = new Set<string>();
  $('img[src]').each((_, el) => {
    const src = $(el).attr('src')?.trim();
    if (!src) return;
    try {
      const url = new URL(src, pageUrl);
      if (url.protocol === 'http:' || url.protocol === 'https:') seen.add(url.href);
    } catch {
      /* not an address: skipped */
    }
  });
  return [...seen];
}

export async function pickImage(
  url: unknown,
  { signal, random = Math.random }: { signal?: AbortSignal; random?: () => number } = {},
): Promise<Pick> {
  let address: URL;
  try {
    address = new URL(String(url ?? ''));
    if (address.protocol !== 'http:' && address.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new Error(`projectData.url must be the http(s) address of a web page, not ${JSON.stringify(url ?? null)}.`);
  }
  let res: Response;
  try {
    res = await fetch(address, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
      headers: { accept: 'text/html,application/xhtml+xml' },
      redirect: 'follow',
    });
  } catch (error) {
    throw new Error(`Could not fetch ${address.href}: ${whyNot(error)}.`, { cause: error });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`Could not fetch ${address.href}: the server answered ${res.status} ${res.statusText}.`.trim());
  }
  const type = res.headers.get('content-type') ?? '';
  if (!/^(text\/html|application\/xhtml\+xml)\b/i.test(type)) {
    await res.body?.cancel();
    throw new Error(`${address.href} is not an HTML page (its content type is ${type || 'not given'}).`);
  }
  const page = res.url || address.href;
  const images = imagesOf(await readLimited(res, address.href), page);
  if (images.length === 0) throw new Error(`${page} has no image (no <img> with a web address).`);
  return { image: images[Math.floor(random() * images.length)]!, page, imagesFound: images.length };
}
