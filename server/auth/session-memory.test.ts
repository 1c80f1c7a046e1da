// The session memory's rules without a database: it remembers only while listening, forgets a worker's
// sessions on their notification, everything when the connection drops or a table is truncated, never
// keeps a lookup that a change overtook, and ends entries with their session or its time limit.
import { describe, expect, it } from 'vitest';
import { SessionMemory } from './session-memory.js';

const T0 = 1_000_000;
const listening = (options = { ttlMs: 30_000, maxEntries: 100 }) => {
  const m = new SessionMemory<string>(options);
  m.handlers.up();
  return m;
};
const keep = (m: SessionMemory<string>, digest: string, workerId: number, expiresAt = T0 + 3_600_000) =>
  m.remember(digest, m.mark(), { workerId, value: `row of ${digest}`, expiresAt }, T0);

describe('SessionMemory', () => {
  it('remembers a lookup while listening, and nothing before it listens or after it stopped', () => {
    const m = new SessionMemory<string>({ ttlMs: 30_000, maxEntries: 100 });
    keep(m, 'a', 1);
    expect(m.get('a', T0)).toBeNull();
    m.handlers.up();
    keep(m, 'a', 1);
    expect(m.get('a', T0 + 1)).toBe('row of a');
    m.handlers.down();
    expect(m.get('a', T0 + 2)).toBeNull();
    keep(m, 'a', 1);
    expect(m.get('a', T0 + 3)).toBeNull();
  });

  it("a worker's notification forgets all of that worker's sessions and no one else's", () => {
    const m = listening();
    keep(m, 'a1', 1);
    keep(m, 'a2', 1);
    keep(m, 'b', 2);
    m.handlers.notification('1');
    expect([m.get('a1', T0), m.get('a2', T0), m.get('b', T0)]).toEqual([null, null, 'row of b']);
  });

  it('an empty payload (a table truncated) or an unreadable one forgets everything', () => {
    for (const payload of ['', 'not a number']) {
      const m = listening();
      keep(m, 'a', 1);
      keep(m, 'b', 2);
      m.handlers.notification(payload);
      expect(m.size).toBe(0);
    }
  });

  it('a lookup that a change overtook is not remembered (it may have read the row before the change)', () => {
    const m = listening();
    const mark = m.mark(); // the lookup starts
    m.handlers.notification('7'); // another worker's change: it may not be, but the lookup cannot tell
    m.remember('a', mark, { workerId: 1, value: 'stale?', expiresAt: T0 + 3_600_000 }, T0);
    expect(m.get('a', T0)).toBeNull();
    const again = m.mark();
    m.remember('a', again, { workerId: 1, value: 'fresh', expiresAt: T0 + 3_600_000 }, T0);
    expect(m.get('a', T0)).toBe('fresh');
  });

  it('a lookup that started before the connection (re)connected is not remembered', () => {
    const m = listening();
    const mark = m.mark();
    m.handlers.down();
    m.handlers.up();
    m.remember('a', mark, { workerId: 1, value: 'read while deaf', expiresAt: T0 + 3_600_000 }, T0);
    expect(m.get('a', T0)).toBeNull();
  });

  it('a forgotten token or worker (a change made in this process) voids lookups running at the time', () => {
    const m = listening();
    const mark = m.mark();
    m.forgetToken('a');
    m.remember('a', mark, { workerId: 1, value: 'logged out', expiresAt: T0 + 3_600_000 }, T0);
    expect(m.get('a', T0)).toBeNull();
    const next = m.mark();
    m.forgetWorker(1);
    m.remember('a', next, { workerId: 1, value: 'old password', expiresAt: T0 + 3_600_000 }, T0);
    expect(m.get('a', T0)).toBeNull();
  });

  it("an entry ends with its session's expiry, and after the time limit in any case", () => {
    const m = listening({ ttlMs: 30_000, maxEntries: 100 });
    keep(m, 'short', 1, T0 + 5_000);
    keep(m, 'long', 2);
    expect(m.get('short', T0 + 4_999)).toBe('row of short');
    expect(m.get('short', T0 + 5_000)).toBeNull();
    expect(m.get('long', T0 + 29_999)).toBe('row of long');
    expect(m.get('long', T0 + 30_000)).toBeNull();
    expect(m.size).toBe(0); // ended entries are dropped when met
  });

  it('holds at most maxEntries: the oldest goes first', () => {
    const m = listening({ ttlMs: 30_000, maxEntries: 3 });
    for (const d of ['a', 'b', 'c', 'd']) keep(m, d, 1);
    expect(m.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((d) => m.get(d, T0) !== null)).toEqual([false, true, true, true]);
  });
});
