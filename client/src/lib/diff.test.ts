import { describe, expect, it } from 'vitest';
import { diffData, diffWords, display } from './diff';

const text = (pieces: { kind: string; text: string }[], kind: string) =>
  pieces.filter((p) => p.kind === kind).map((p) => p.text);

describe('word diff', () => {
  it('marks an inserted word and nothing else', () => {
    const d = diffWords('spend more on schools', 'spend 12% more on schools');
    expect(d).toEqual([
      { kind: 'same', text: 'spend ' },
      { kind: 'added', text: '12% ' },
      { kind: 'same', text: 'more on schools' },
    ]);
  });

  it('shows a replaced phrase as one removal and one addition', () => {
    const d = diffWords('on schools this year.', 'on schools in 2027.');
    expect(text(d, 'removed')).toEqual(['this year.']);
    expect(text(d, 'added')).toEqual(['in 2027.']);
  });

  it('gives both texts back: before from same+removed, after from same+added', () => {
    const before = 'The quick brown fox\njumps over the lazy dog.';
    const after = 'The quick red fox\njumped over the dog, twice.';
    const d = diffWords(before, after);
    expect(
      d
        .filter((p) => p.kind !== 'added')
        .map((p) => p.text)
        .join(''),
    ).toBe(before);
    expect(
      d
        .filter((p) => p.kind !== 'removed')
        .map((p) => p.text)
        .join(''),
    ).toBe(after);
  });

  it('has nothing to show for equal texts, and all of it for a new one', () => {
    expect(diffWords('same', 'same')).toEqual([{ kind: 'same', text: 'same' }]);
    expect(diffWords('', 'new text')).toEqual([{ kind: 'added', text: 'new text' }]);
    expect(diffWords('old', '')).toEqual([{ kind: 'removed', text: 'old' }]);
  });

  it('stays fast on long texts that differ everywhere (no quadratic table beyond the limit)', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `a${i}`).join(' ');
    const b = Array.from({ length: 5000 }, (_, i) => `b${i}`).join(' ');
    const d = diffWords(a, b);
    expect(text(d, 'removed')).toEqual([a]);
    expect(text(d, 'added')).toEqual([b]);
  });
});

describe('data diff', () => {
  it('compares field by field, keys of both sides, and says which changed', () => {
    const d = diffData({ headline: 'Budget', words: 10, old: 'x' }, { headline: 'Budget', words: 12 });
    expect(d.map((f) => [f.field, f.changed])).toEqual([
      ['headline', false],
      ['words', true],
      ['old', true],
    ]);
  });

  it('shows values as text: strings as they are, others as JSON', () => {
    expect(display('a')).toBe('a');
    expect(display(3)).toBe('3');
    expect(display(true)).toBe('true');
    expect(display(null)).toBe('');
    expect(display({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
