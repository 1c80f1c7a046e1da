// What may be uploaded into a project (a step's `ui.uploads`): the types, recognised by their bytes
// rather than trusted from a name or a header, the sizes, and file names made safe. Pure.
import type { UploadSpec, UploadType } from './definition.js';

export const UPLOAD_TYPES: readonly UploadType[] = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'application/pdf',
];
export const DEFAULT_UPLOAD_BYTES = 10 * 1024 * 1024;
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

const EXTENSION: Record<UploadType, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'application/pdf': '.pdf',
};

const startsWith = (bytes: Uint8Array, prefix: number[], at = 0) => prefix.every((b, i) => bytes[at + i] === b);

/** The type a file's first bytes say it is, or null when it is none of the accepted kinds. */
export function detectType(bytes: Uint8Array): UploadType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8))
    return 'image/webp';
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return null;
}

/**
 * A file name to store: the name given, reduced to letters, digits, spaces and `._-()`, at most 100
 * characters, with the extension of its real type (a PNG called photo.jpg is stored as photo.png).
 */
export function safeFileName(name: string, type: UploadType): string {
  const base = (name.split(/[\\/]/).pop() ?? '')
    .replace(/\.[A-Za-z0-9]{1,5}$/, '')
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '_')
    .replace(/^[ .]+|[ .]+$/g, '')
    .slice(0, 100);
  return `${base || 'file'}${EXTENSION[type]}`;
}

export const maxBytesOf = (spec: UploadSpec): number => spec.maxBytes ?? DEFAULT_UPLOAD_BYTES;
