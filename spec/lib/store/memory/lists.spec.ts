import { describe, expect, it } from 'vitest';
import { clockedStore } from './helpers.ts';

describe('list commands', () => {
  it('pushes on both sides and pops with counts', () => {
    const { run } = clockedStore();
    expect(run('RPUSH', 'l', 'c', 'd')).toBe(2);
    expect(run('LPUSH', 'l', 'b', 'a')).toBe(4);
    expect(run('LRANGE', 'l', 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(run('LPOP', 'l', 3)).toEqual(['a', 'b', 'c']);
    expect(run('RPOP', 'l')).toBe('d');
    expect(run('LPOP', 'l')).toBeNull();
  });

  it('raises lpush, rpush, lpop, rpop, lrem, lset, ltrim and del when emptied', () => {
    const { run, events } = clockedStore();
    run('LPUSH', 'l', 'a');
    run('RPUSH', 'l', 'b', 'a', 'c');
    run('LPOP', 'l');
    run('RPOP', 'l');
    run('LREM', 'l', 0, 'zz');
    run('LREM', 'l', 1, 'a');
    run('LSET', 'l', 0, 'x');
    run('LTRIM', 'l', 5, 6);
    expect(events()).toEqual(['lpush l', 'rpush l', 'lpop l', 'rpop l', 'lrem l', 'lset l', 'ltrim l', 'del l']);
  });

  it('removes from the tail with a negative LREM count', () => {
    const { run } = clockedStore();
    run('RPUSH', 'l', 'a', 'x', 'a', 'x', 'a');
    expect(run('LREM', 'l', -2, 'a')).toBe(2);
    expect(run('LRANGE', 'l', 0, -1)).toEqual(['a', 'x', 'x']);
  });
});

describe('LINSERT', () => {
  it('inserts around the first pivot, -1 without one, 0 without the list', () => {
    const { run, events } = clockedStore();
    run('RPUSH', 'l', 'a', 'b', 'a');
    expect(run('LINSERT', 'l', 'AFTER', 'a', 'x')).toBe(4);
    expect(run('LINSERT', 'l', 'BEFORE', 'zz', 'x')).toBe(-1);
    expect(run('LINSERT', 'none', 'BEFORE', 'a', 'x')).toBe(0);
    expect(run('LRANGE', 'l', 0, -1)).toEqual(['a', 'x', 'b', 'a']);
    expect(events()).toEqual(['rpush l', 'linsert l']);
  });
});
