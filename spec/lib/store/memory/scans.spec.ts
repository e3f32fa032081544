import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('HSCAN, SSCAN and ZSCAN', () => {
  it('return the whole collection in one step with cursor 0, filtered by MATCH', () => {
    const { run } = clockedStore();
    run('HSET', 'h', 'a', '1', 'b', '2', 'ab', '3');
    run('SADD', 's', '3', '1', '2');
    run('ZADD', 'z', 1.5, 'x', 2, 'y');
    expect(run('HSCAN', 'h', 0, 'MATCH', 'a*')).toEqual(['0', ['a', '1', 'ab', '3']]);
    expect(run('SSCAN', 's', 0)).toEqual(['0', ['1', '2', '3']]);
    expect(run('ZSCAN', 'z', 0, 'COUNT', 1)).toEqual(['0', ['x', '1.5', 'y', '2']]);
    expect(run('HSCAN', 'none', 0)).toEqual(['0', []]);
  });

  it('check the cursor, the options and the type', () => {
    const { run } = clockedStore();
    run('SET', 'str', 'v');
    expect(errorOf(() => run('SSCAN', 's', 'x'))).toBe('ERR invalid cursor');
    expect(errorOf(() => run('SSCAN', 's', 0, 'TYPE', 'set'))).toBe('ERR syntax error');
    expect(errorOf(() => run('HSCAN', 'str', 0))).toMatch(/^WRONGTYPE/);
  });
});
