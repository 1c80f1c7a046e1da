import { describe, expect, it } from 'vitest';
import { since } from './time';

describe('since', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it.each([
    ['2026-12-01T11:59:30Z', 'just now'],
    ['2026-12-01T11:55:00Z', '5 min ago'],
    ['2026-12-01T09:00:00Z', '3 h ago'],
    ['2026-11-29T12:00:00Z', '2 d ago'],
    ['2026-09-01T12:00:00Z', '3 mo ago'],
    ['2024-11-01T12:00:00Z', '2 y ago'],
    ['2026-12-01T12:00:05Z', 'just now'], // a clock a little ahead of the server's
  ])('%s is %s', (iso, expected) => {
    expect(since(iso, now)).toBe(expected);
  });
});
