import { describe, expect, it } from 'vitest';
import { parseCursor } from '../../../../lib/store/memory/keys.ts';
import { clockedStore, errorOf } from './helpers.ts';

describe('key commands', () => {
  it('counts TTL down with the clock, rounding seconds like Redis', () => {
    const { run, advance } = clockedStore(0);
    run('SET', 'k', 'v');
    run('EXPIRE', 'k', 10);
    advance(4_400);
    expect(run('TTL', 'k')).toBe(6);
    advance(200);
    expect(run('TTL', 'k')).toBe(5);
    expect(run('PTTL', 'k')).toBe(5_400);
    expect(run('EXPIRETIME', 'k')).toBe(10);
    expect(run('PEXPIRETIME', 'k')).toBe(10_000);
  });

  it('deletes with a del event when the new expiry is already past', () => {
    const { run, events } = clockedStore();
    run('SET', 'k', 'v');
    run('EXPIRE', 'k', 100);
    expect(run('PEXPIRE', 'k', -1)).toBe(1);
    expect(run('EXISTS', 'k')).toBe(0);
    expect(events()).toEqual(['set k', 'expire k', 'del k']);
  });

  it('applies NX, XX, GT and LT against the current expiry', () => {
    const { run } = clockedStore();
    run('SET', 'k', 'v');
    expect(run('EXPIRE', 'k', 10, 'XX')).toBe(0);
    expect(run('EXPIRE', 'k', 10, 'GT')).toBe(0);
    expect(run('EXPIRE', 'k', 10, 'LT')).toBe(1);
    expect(run('EXPIRE', 'k', 20, 'NX')).toBe(0);
    expect(run('EXPIRE', 'k', 20, 'GT')).toBe(1);
    expect(run('EXPIRE', 'k', 30, 'LT')).toBe(0);
    expect(run('TTL', 'k')).toBe(20);
  });

  it('renames with the TTL and raises rename_from then rename_to', () => {
    const { run, events } = clockedStore();
    run('SET', 'a', 'v', 'EX', 50);
    run('SET', 'b', 'old');
    events();
    expect(run('RENAME', 'a', 'b')).toBe('OK');
    expect(run('TTL', 'b')).toBe(50);
    expect(events()).toEqual(['rename_from a', 'rename_to b']);
    expect(errorOf(() => run('RENAME', 'a', 'c'))).toBe('ERR no such key');
  });

  it('hides expired keys from KEYS and EXISTS, deletes them on SCAN, and counts them in DBSIZE until then', () => {
    const { run, advance, events } = clockedStore();
    run('SET', 'a', 'v', 'PX', 10);
    run('SET', 'b', 'v');
    events();
    advance(10);
    expect(run('KEYS', '*')).toEqual(['b']);
    expect(run('DBSIZE')).toBe(2);
    expect(run('SCAN', 0, 'COUNT', 100)).toEqual(['0', ['b']]);
    expect(run('DBSIZE')).toBe(1);
    expect(events()).toEqual(['expired a']);
  });

  it('flushes everything with FLUSHALL and FLUSHDB, with or without ASYNC/SYNC', () => {
    const { run } = clockedStore();
    run('MSET', 'a', '1', 'b', '2');
    expect(run('FLUSHALL')).toBe('OK');
    expect(run('DBSIZE')).toBe(0);
    run('SET', 'a', '1', 'EX', 5);
    expect(run('FLUSHDB', 'ASYNC')).toBe('OK');
    expect(run('FLUSHALL', 'SYNC')).toBe('OK');
    expect(run('KEYS', '*')).toEqual([]);
    expect(errorOf(() => run('FLUSHALL', 'LATER'))).toBe('ERR syntax error');
  });

  it('reads SCAN cursors as strtoul does', () => {
    expect(parseCursor('0')).toBe(0);
    expect(parseCursor('+5')).toBe(5);
    expect(parseCursor('-1')).toBe(0xffffffff);
    expect(() => parseCursor('1.5')).toThrow('ERR invalid cursor');
  });

  it('answers PING and ECHO', () => {
    const { run } = clockedStore();
    expect(run('PING')).toBe('PONG');
    expect(run('ping', 'x')).toBe('x');
    expect(run('ECHO', 'hi')).toBe('hi');
  });
});
