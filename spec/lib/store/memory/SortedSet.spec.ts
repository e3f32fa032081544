import { describe, expect, it } from 'vitest';
import { SortedSet } from '../../../../lib/store/memory/zsets/SortedSet.ts';

describe('SortedSet', () => {
  it('orders by score then member and reports new members', () => {
    const z = new SortedSet();
    expect(z.set('b', 1)).toBe(true);
    expect(z.set('a', 1)).toBe(true);
    expect(z.set('c', 0)).toBe(true);
    expect(z.set('c', 2)).toBe(false);
    expect(z.toArray()).toEqual([
      { member: 'a', score: 1 },
      { member: 'b', score: 1 },
      { member: 'c', score: 2 },
    ]);
    expect(z.rank('c')).toBe(2);
    expect(z.rank('none')).toBeUndefined();
  });

  it('stores -0 as 0, as Redis replies it', () => {
    const z = new SortedSet();
    z.set('a', -0);
    expect(Object.is(z.score('a'), 0)).toBe(true);
  });

  it('keeps ranks, ranges and score counts right across chunk splits and removals', () => {
    const z = new SortedSet();
    const n = 5000;
    for (let i = n - 1; i >= 0; i--) z.set(`m${i}`, i % 2 === 0 ? i : i + 0.5);
    for (let i = 0; i < n; i += 3) z.delete(`m${i}`);
    const all = z.toArray();
    expect(all).toHaveLength(z.size);
    for (let i = 1; i < all.length; i++) expect(all[i]!.score).toBeGreaterThan(all[i - 1]!.score);
    for (const probe of [0, 1, 777, all.length - 1]) {
      expect(z.rank(all[probe]!.member)).toBe(probe);
      expect(z.range(probe, probe)).toEqual([all[probe]]);
    }
    expect(z.range(10, 14)).toEqual(all.slice(10, 15));
    expect(z.countBelow(1000, false)).toBe(all.filter((x) => x.score < 1000).length);
    expect(z.countBelow(1000, true)).toBe(all.filter((x) => x.score <= 1000).length);
    expect(z.range(5, 4)).toEqual([]);
    expect(z.delete('nope')).toBe(false);
  });
});
