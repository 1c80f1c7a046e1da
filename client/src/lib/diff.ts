// What changed between two iterations of a task's data: for each field, a word-level diff of the
// texts (longest common subsequence of words). Reviewers read it to see what a fix changed. Pure.

export type Piece = { kind: 'same' | 'added' | 'removed'; text: string };
export type FieldDiff = { field: string; pieces: Piece[]; changed: boolean };

const MAX_CELLS = 4_000_000; // beyond this (two ~2,000-word texts), show the whole field as replaced

/** Words and the spaces between them, so that joining the pieces gives the texts back. */
function tokens(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}

function merge(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last && last.kind === p.kind) last.text += p.text;
    else if (p.text) out.push({ ...p });
  }
  return out;
}

/** A word diff of two texts: pieces in reading order, removed before added where they replace. */
export function diffWords(before: string, after: string): Piece[] {
  if (before === after) return before ? [{ kind: 'same', text: before }] : [];
  const a = tokens(before);
  const b = tokens(after);
  // Common prefix and suffix first: edits are usually local, and this keeps the table small.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const pieces: Piece[] = [{ kind: 'same', text: a.slice(0, start).join('') }];
  if (midA.length * midB.length > MAX_CELLS) {
    pieces.push({ kind: 'removed', text: midA.join('') }, { kind: 'added', text: midB.join('') });
  } else {
    // lcs[i][j]: length of the longest common subsequence of midA[i:] and midB[j:].
    const n = midA.length;
    const m = midB.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        pieces.push({ kind: 'same', text: midA[i]! });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        pieces.push({ kind: 'added', text: midB[j]! });
        j++;
      } else {
        pieces.push({ kind: 'removed', text: midA[i]! });
        i++;
      }
    }
  }
  pieces.push({ kind: 'same', text: a.slice(endA).join('') });
  return readable(merge(pieces));
}

/**
 * Reads as people edit: a run of changes is one removal then one addition ("this year." → "in
 * 2027."), not words and the spaces between them matched one by one. A space kept between two
 * changes belongs to the change.
 */
function readable(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  let removed = '';
  let added = '';
  const flush = () => {
    if (removed) out.push({ kind: 'removed', text: removed });
    if (added) out.push({ kind: 'added', text: added });
    removed = added = '';
  };
  pieces.forEach((p, k) => {
    const between = k > 0 && k < pieces.length - 1 && p.kind === 'same' && /^\s+$/.test(p.text);
    if (p.kind === 'same' && !between) {
      flush();
      out.push(p);
      return;
    }
    if (p.kind !== 'added') removed += p.text;
    if (p.kind !== 'removed') added += p.text;
  });
  flush();
  return out;
}

/** A value as a reader sees it: text as it is, anything else as compact JSON. */
export function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, null, 2);
}

/** Field by field: every key of either side, in the order of `after` then keys only `before` had. */
export function diffData(before: Record<string, unknown>, after: Record<string, unknown>): FieldDiff[] {
  const keys = [...Object.keys(after), ...Object.keys(before).filter((k) => !(k in after))];
  return keys.map((field) => {
    const pieces = diffWords(display(before[field]), display(after[field]));
    return { field, pieces, changed: pieces.some((p) => p.kind !== 'same') };
  });
}
