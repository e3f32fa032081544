import { describe, expect, it } from 'vitest';
import { MAX_ID, Stream, ZERO_ID, formatId, type TrimSpec } from '../../../../lib/store/memory/streams/Stream.ts';

function filled(n: number): Stream {
  const s = new Stream();
  for (let i = 1; i <= n; i++) s.append({ ms: i, seq: 0 }, ['f', String(i)]);
  return s;
}

const maxlen = (n: number, approx = false, limit = 0): TrimSpec => ({
  strategy: 'maxlen',
  maxlen: n,
  minid: ZERO_ID,
  approx,
  limit,
});

describe('Stream', () => {
  it('keeps entries in id order with the counters Redis keeps', () => {
    const s = filled(3);
    expect(s.length).toBe(3);
    expect(s.entriesAdded).toBe(3);
    expect(s.firstId).toEqual({ ms: 1, seq: 0 });
    expect(s.lastId).toEqual({ ms: 3, seq: 0 });
    expect(s.find({ ms: 2, seq: 0 })?.fields).toEqual(['f', '2']);
    expect(s.find({ ms: 2, seq: 1 })).toBeUndefined();
  });

  it('records the highest deleted id and moves the first id on XDEL', () => {
    const s = filled(3);
    expect(s.delete({ ms: 1, seq: 0 })).toBe(true);
    expect(s.delete({ ms: 1, seq: 0 })).toBe(false);
    expect(s.maxDeletedId).toEqual({ ms: 1, seq: 0 });
    expect(s.firstId).toEqual({ ms: 2, seq: 0 });
  });

  it('trims exactly to MAXLEN and MINID', () => {
    const s = filled(250);
    expect(s.trim(maxlen(120))).toBe(130);
    expect(s.length).toBe(120);
    expect(s.trim({ strategy: 'minid', maxlen: 0, minid: { ms: 200, seq: 0 }, approx: false, limit: 0 })).toBe(69);
    expect(s.firstId).toEqual({ ms: 200, seq: 0 });
  });

  it('trims approximately only whole nodes of 100 entries, within the limit', () => {
    const s = filled(250);
    expect(s.trim(maxlen(120, true, 10_000))).toBe(100);
    expect(s.length).toBe(150);
    expect(s.trim(maxlen(10, true, 50))).toBe(0);
    expect(s.trim(maxlen(10, true, 100))).toBe(100);
    expect(s.length).toBe(50);
  });

  it('starts a new node when the listpack would pass 4096 bytes', () => {
    const s = new Stream();
    for (let i = 1; i <= 30; i++) s.append({ ms: i, seq: 1 }, ['field', 'x'.repeat(200)]);
    // 200-byte values: a node holds about 19 of them, so the first node can go and 11 remain.
    expect(s.trim(maxlen(5, true, 10_000))).toBe(19);
    expect(s.length).toBe(11);
  });

  it('stays consistent when trimmed one entry at a time for thousands of entries', () => {
    const s = new Stream();
    for (let i = 1; i <= 5000; i++) {
      s.append({ ms: i, seq: 0 }, ['f', String(i)]);
      s.trim(maxlen(10));
    }
    expect(s.length).toBe(10);
    expect(s.at(0)?.id).toBe('4991-0');
    expect(s.last()?.id).toBe('5000-0');
    expect(s.find({ ms: 4995, seq: 0 })?.fields).toEqual(['f', '4995']);
    expect(s.lowerBound({ ms: 4995, seq: 1 })).toBe(5);
    expect(s.delete({ ms: 4991, seq: 0 })).toBe(true);
    expect(s.firstId).toEqual({ ms: 4992, seq: 0 });
  });

  it('formats the 2^64-1 sentinel ids', () => {
    expect(formatId(MAX_ID)).toBe('18446744073709551615-18446744073709551615');
  });
});
