import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('sorted-set commands', () => {
  it('formats scores as Redis 7.0 (%.17g)', () => {
    const { run } = clockedStore();
    run('ZADD', 'z', '1.1', 'a', '3', 'b');
    expect(run('ZSCORE', 'z', 'a')).toBe('1.1000000000000001');
    expect(run('ZINCRBY', 'z', '1e20', 'b')).toBe('1e+20');
  });

  it('ranges by rank, by score with exclusive bounds, reversed and limited', () => {
    const { run } = clockedStore();
    run('ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
    expect(run('ZRANGE', 'z', 1, 2, 'WITHSCORES')).toEqual(['b', '2', 'c', '3']);
    expect(run('ZRANGE', 'z', 0, 1, 'REV')).toEqual(['d', 'c']);
    expect(run('ZRANGEBYSCORE', 'z', '(1', '+inf', 'LIMIT', 1, 1)).toEqual(['c']);
    expect(run('ZRANGE', 'z', '(4', '-inf', 'BYSCORE', 'REV')).toEqual(['c', 'b', 'a']);
    expect(run('ZCOUNT', 'z', '-inf', '(3')).toBe(2);
    expect(errorOf(() => run('ZRANGEBYSCORE', 'z', 'x', 1))).toBe('ERR min or max is not a float');
  });

  it('raises zadd, zincr and zrem, and del when emptied', () => {
    const { run, events } = clockedStore();
    run('ZADD', 'z', 1, 'a');
    run('ZADD', 'z', 1, 'a');
    run('ZINCRBY', 'z', 1, 'a');
    run('ZADD', 'z', 'INCR', 1, 'a');
    run('ZREM', 'z', 'a');
    expect(events()).toEqual(['zadd z', 'zincr z', 'zincr z', 'zrem z', 'del z']);
  });

  it('refuses a NaN result of an increment', () => {
    const { run } = clockedStore();
    run('ZADD', 'z', 'inf', 'a');
    expect(errorOf(() => run('ZINCRBY', 'z', '-inf', 'a'))).toBe('ERR resulting score is not a number (NaN)');
  });

  it('ranges by lex with ZRANGE … BYLEX and refuses WITHSCORES there', () => {
    const { run } = clockedStore();
    run('ZADD', 'z', 0, 'a', 0, 'b', 0, 'c');
    expect(run('ZRANGE', 'z', '(a', '+', 'BYLEX')).toEqual(['b', 'c']);
    expect(errorOf(() => run('ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'))).toBe(
      'ERR syntax error, WITHSCORES not supported in combination with BYLEX',
    );
  });
});
