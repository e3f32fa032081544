import { describe, expect, it } from 'vitest';
import { SortedSet } from '../../../../lib/store/memory/zsets/SortedSet.ts';
import { lexSelect, parseLexRange } from '../../../../lib/store/memory/zsets/zsetLex.ts';
import { clockedStore, errorOf } from './helpers.ts';

function members(scores: [string, number][]): SortedSet {
  const z = new SortedSet();
  for (const [m, s] of scores) z.set(m, s);
  return z;
}

describe('lex ranges', () => {
  it('select members between inclusive and exclusive bounds, with offset, limit and reverse', () => {
    const items = members([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['d', 0],
    ]).toArray();
    const pick = (min: string, max: string, rev = false, offset = 0, limit = -1): string[] =>
      lexSelect(items, parseLexRange(min, max), rev, offset, limit).map((i) => i.member);
    expect(pick('-', '+')).toEqual(['a', 'b', 'c', 'd']);
    expect(pick('(a', '[c')).toEqual(['b', 'c']);
    expect(pick('[d', '[a')).toEqual([]);
    expect(pick('[b', '[b')).toEqual(['b']);
    expect(pick('(b', '[b')).toEqual([]);
    expect(pick('-', '+', true, 1, 2)).toEqual(['c', 'b']);
    expect(pick('-', '+', false, -1, 2)).toEqual([]);
  });

  it('walk mixed scores like Redis’ listpack: first member in range, then on while under the maximum', () => {
    const items = members([
      ['d', 1],
      ['a', 2],
      ['c', 3],
      ['b', 4],
    ]).toArray();
    const pick = (min: string, max: string): string[] =>
      lexSelect(items, parseLexRange(min, max), false, 0, -1).map((i) => i.member);
    expect(pick('[a', '[c')).toEqual([]);
    expect(pick('[b', '+')).toEqual(['d', 'a', 'c', 'b']);
  });

  it('count and remove with ZLEXCOUNT and ZREMRANGEBYLEX, refusing bad bounds', () => {
    const { run, events } = clockedStore();
    run('ZADD', 'z', 0, 'a', 0, 'b', 0, 'c');
    expect(run('ZLEXCOUNT', 'z', '[b', '+')).toBe(2);
    expect(run('ZREMRANGEBYLEX', 'z', '-', '(c')).toBe(2);
    expect(run('ZREMRANGEBYLEX', 'z', '-', '+')).toBe(1);
    expect(events()).toEqual(['zadd z', 'zremrangebylex z', 'zremrangebylex z', 'del z']);
    expect(errorOf(() => run('ZLEXCOUNT', 'z', 'a', '+'))).toBe('ERR min or max not valid string range item');
  });
});
