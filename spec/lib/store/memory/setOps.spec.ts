import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('multi-set commands', () => {
  it('intersects, unites and subtracts, missing keys being empty sets', () => {
    const { run } = clockedStore();
    run('SADD', 'a', '3', '1', '2');
    run('SADD', 'b', '2', '3', '4');
    expect(run('SINTER', 'a', 'b')).toEqual(['2', '3']);
    expect(run('SUNION', 'a', 'b', 'none')).toEqual(['1', '2', '3', '4']);
    expect(run('SDIFF', 'a', 'b')).toEqual(['1']);
    expect(run('SINTER', 'a', 'none')).toEqual([]);
  });

  it('stores results, deleting the destination for an empty one', () => {
    const { run, events } = clockedStore();
    run('SADD', 'a', 'x');
    run('SET', 'd', 'old');
    expect(run('SUNIONSTORE', 'd', 'a')).toBe(1);
    expect(run('TYPE', 'd')).toBe('set');
    expect(run('SINTERSTORE', 'd', 'a', 'none')).toBe(0);
    expect(run('EXISTS', 'd')).toBe(0);
    expect(events()).toEqual(['sadd a', 'set d', 'sunionstore d', 'del d']);
  });

  it('moves a member, notifying srem, del of an emptied source, then sadd', () => {
    const { run, events } = clockedStore();
    run('SADD', 'a', 'm');
    events();
    expect(run('SMOVE', 'a', 'b', 'm')).toBe(1);
    expect(events()).toEqual(['srem a', 'del a', 'sadd b']);
    run('SET', 's', 'v');
    expect(run('SMOVE', 'none', 's', 'm')).toBe(0);
    expect(errorOf(() => run('SMOVE', 'b', 's', 'm'))).toMatch(/^WRONGTYPE/);
  });
});
