import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('hash commands', () => {
  it('keeps fields in insertion order, updates in place', () => {
    const { run } = clockedStore();
    run('HSET', 'h', 'b', '1', 'a', '2');
    run('HSET', 'h', 'b', '3', 'c', '4');
    expect(run('HGETALL', 'h')).toEqual(['b', '3', 'a', '2', 'c', '4']);
    expect(run('HKEYS', 'h')).toEqual(['b', 'a', 'c']);
  });

  it('raises hset, hincrby, hdel and del when the last field goes', () => {
    const { run, events } = clockedStore();
    run('HSET', 'h', 'a', '1');
    run('HSETNX', 'h', 'a', 'x');
    run('HINCRBY', 'h', 'n', 5);
    run('HDEL', 'h', 'zz');
    run('HDEL', 'h', 'a', 'n');
    expect(events()).toEqual(['hset h', 'hincrby h', 'hdel h', 'del h']);
    expect(run('EXISTS', 'h')).toBe(0);
  });

  it('refuses non-integer fields and overflow in HINCRBY', () => {
    const { run } = clockedStore();
    run('HSET', 'h', 's', 'x', 'm', '9223372036854775807');
    expect(errorOf(() => run('HINCRBY', 'h', 's', 1))).toBe('ERR hash value is not an integer');
    expect(errorOf(() => run('HINCRBY', 'h', 'm', 1))).toBe('ERR increment or decrement would overflow');
    expect(errorOf(() => run('HSET', 'h', 'a'))).toBe("ERR wrong number of arguments for 'hset' command");
  });
});
