import { describe, expect, it } from 'vitest';
import { clockedStore } from './helpers.ts';

describe('sorted-set removals', () => {
  it('removes by score and by rank, raising their events and del when emptied', () => {
    const { run, events } = clockedStore();
    run('ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
    expect(run('ZREMRANGEBYSCORE', 'z', '(1', 2)).toBe(1);
    expect(run('ZREMRANGEBYRANK', 'z', 0, 0)).toBe(1);
    expect(run('ZRANGE', 'z', 0, -1)).toEqual(['c', 'd']);
    expect(run('ZREMRANGEBYRANK', 'z', 0, -1)).toBe(2);
    expect(events()).toEqual(['zadd z', 'zremrangebyscore z', 'zremrangebyrank z', 'zremrangebyrank z', 'del z']);
  });

  it('pops the lowest or highest members with their scores', () => {
    const { run, events } = clockedStore();
    run('ZADD', 'z', 1, 'a', 2, 'b', 3, 'c');
    expect(run('ZPOPMIN', 'z')).toEqual(['a', '1']);
    expect(run('ZPOPMAX', 'z', 5)).toEqual(['c', '3', 'b', '2']);
    expect(run('ZPOPMIN', 'z')).toEqual([]);
    expect(events()).toEqual(['zadd z', 'zpopmin z', 'zpopmax z', 'del z']);
  });
});
