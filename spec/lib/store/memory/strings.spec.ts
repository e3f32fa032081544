import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('string commands', () => {
  it('sets relative and absolute expiries from the command clock', () => {
    const { run, advance } = clockedStore(1_000_000);
    run('SET', 'ex', 'v', 'EX', 10);
    run('SET', 'px', 'v', 'PX', 1500);
    run('SET', 'exat', 'v', 'EXAT', 1_005);
    run('SET', 'pxat', 'v', 'PXAT', 1_000_250);
    expect(run('PTTL', 'ex')).toBe(10_000);
    expect(run('PTTL', 'px')).toBe(1500);
    expect(run('PTTL', 'exat')).toBe(5_000);
    expect(run('PTTL', 'pxat')).toBe(250);
    advance(300);
    expect(run('GET', 'pxat')).toBeNull();
  });

  it('keeps the TTL with KEEPTTL, INCR and APPEND, and drops it on a plain SET', () => {
    const { run } = clockedStore();
    run('SET', 'k', '1', 'EX', 100);
    run('SET', 'k', '2', 'KEEPTTL');
    run('INCR', 'k');
    run('APPEND', 'k', '0');
    expect(run('TTL', 'k')).toBe(100);
    expect(run('GET', 'k')).toBe('30');
    run('SET', 'k', 'v');
    expect(run('TTL', 'k')).toBe(-1);
  });

  it('raises set, expire, incrby, append and del events', () => {
    const { run, events } = clockedStore();
    run('SET', 'a', '1', 'EX', 5);
    run('INCRBY', 'a', 2);
    run('DECR', 'a');
    run('APPEND', 'a', 'x');
    run('MSET', 'b', '1', 'c', '2');
    run('SETNX', 'b', 'x');
    run('SETEX', 'd', 5, 'v');
    run('GETSET', 'd', 'w');
    run('GETDEL', 'd');
    run('SET', 'b', 'x', 'NX');
    expect(events()).toEqual([
      'set a',
      'expire a',
      'incrby a',
      'incrby a',
      'append a',
      'set b',
      'set c',
      'set d',
      'expire d',
      'set d',
      'del d',
    ]);
  });

  it('does integer arithmetic exactly beyond 2^53 and refuses int64 overflow', () => {
    const { run } = clockedStore();
    run('SET', 'n', '9007199254740993');
    run('INCRBY', 'n', 2);
    expect(run('GET', 'n')).toBe('9007199254740995');
    run('SET', 'n', '9223372036854775807');
    expect(errorOf(() => run('INCR', 'n'))).toBe('ERR increment or decrement would overflow');
    expect(errorOf(() => run('DECRBY', 'x', '-9223372036854775808'))).toBe('ERR decrement would overflow');
  });

  it('counts lengths in UTF-8 bytes', () => {
    const { run } = clockedStore();
    expect(run('APPEND', 'u', 'é€')).toBe(5);
    expect(run('STRLEN', 'u')).toBe(5);
  });

  it('replies GET-option values and refuses conflicting SET options', () => {
    const { run } = clockedStore();
    expect(run('SET', 'k', 'v1', 'GET')).toBeNull();
    expect(run('SET', 'k', 'v2', 'GET')).toBe('v1');
    expect(run('SET', 'k', 'v3', 'NX', 'GET')).toBe('v2');
    expect(errorOf(() => run('SET', 'k', 'v', 'EX', 1, 'PXAT', 5))).toBe('ERR syntax error');
    expect(errorOf(() => run('SET', 'k', 'v', 'EX', 0))).toBe("ERR invalid expire time in 'set' command");
    expect(errorOf(() => run('SETEX', 'k', 0, 'v'))).toBe("ERR invalid expire time in 'setex' command");
  });
});

describe('GETEX and MSETNX', () => {
  it('sets and removes TTLs while reading, deleting at once for a past EXAT/PXAT', () => {
    const { run, events } = clockedStore(10_000);
    run('SET', 'k', 'v');
    expect(run('GETEX', 'k', 'PX', 500)).toBe('v');
    expect(run('PTTL', 'k')).toBe(500);
    expect(run('GETEX', 'k', 'PERSIST')).toBe('v');
    expect(run('TTL', 'k')).toBe(-1);
    expect(run('GETEX', 'k', 'PXAT', 5_000)).toBe('v');
    expect(run('EXISTS', 'k')).toBe(0);
    expect(events()).toEqual(['set k', 'expire k', 'persist k', 'del k']);
  });

  it('sets all keys or none', () => {
    const { run } = clockedStore();
    expect(run('MSETNX', 'a', '1', 'b', '2')).toBe(1);
    expect(run('MSETNX', 'b', '3', 'c', '4')).toBe(0);
    expect(run('MGET', 'a', 'b', 'c')).toEqual(['1', '2', null]);
  });
});

describe('GETRANGE and SETRANGE', () => {
  it('work on UTF-8 bytes, padding with zero bytes', () => {
    const { run, events } = clockedStore();
    run('SET', 's', 'héllo');
    expect(run('GETRANGE', 's', 0, 2)).toBe('hé');
    expect(run('GETRANGE', 's', -3, -1)).toBe('llo');
    expect(run('SETRANGE', 's', 7, 'x')).toBe(8);
    expect(run('GET', 's')).toBe('héllo\u0000x');
    expect(run('SETRANGE', 'new', 0, '')).toBe(0);
    expect(run('EXISTS', 'new')).toBe(0);
    expect(events()).toEqual(['set s', 'setrange s']);
  });
});
