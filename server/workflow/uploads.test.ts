import { describe, expect, it } from 'vitest';
import { detectType, safeFileName } from './uploads.js';

describe('uploads', () => {
  it('knows a file by its first bytes, not its name', () => {
    expect(detectType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg');
    expect(detectType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(detectType(Buffer.from('GIF89a...'))).toBe('image/gif');
    expect(detectType(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(detectType(Buffer.from('%PDF-1.7'))).toBe('application/pdf');
    expect(detectType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(detectType(Buffer.from('<html><script>alert(1)</script>'))).toBeNull();
    expect(detectType(Buffer.alloc(0))).toBeNull();
  });

  it.each([
    ['beach.jpg', 'image/png', 'beach.png'],
    ['../../etc/passwd', 'image/png', 'passwd.png'],
    ['C:\\\\Users\\\\me\\\\photo one.JPEG', 'image/jpeg', 'photo one.jpg'],
    ['.hidden', 'image/png', 'hidden.png'],
    ['<script>.png', 'image/png', '_script_.png'],
    ['', 'image/jpeg', 'file.jpg'],
    ['x'.repeat(300), 'image/gif', `${'x'.repeat(100)}.gif`],
    ['Café au lait.png', 'image/png', 'Café au lait.png'],
  ] as const)('stores %j as %s → %j', (name, type, stored) => {
    expect(safeFileName(name, type)).toBe(stored);
  });
});
