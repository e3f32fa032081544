import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('RPOPLPUSH and LMOVE', () => {
  it('moves between ends and lists, notifying the push before the pop as Redis does', () => {
    const { run, events } = clockedStore();
    run('RPUSH', 'a', '1', '2');
    events();
    expect(run('RPOPLPUSH', 'a', 'b')).toBe('2');
    expect(run('LMOVE', 'a', 'b', 'LEFT', 'RIGHT')).toBe('1');
    expect(run('LRANGE', 'b', 0, -1)).toEqual(['2', '1']);
    expect(events()).toEqual(['lpush b', 'rpop a', 'rpush b', 'lpop a', 'del a']);
  });

  it('rotates a list onto itself and refuses bad directions', () => {
    const { run } = clockedStore();
    run('RPUSH', 'a', '1', '2', '3');
    expect(run('LMOVE', 'a', 'a', 'LEFT', 'RIGHT')).toBe('1');
    expect(run('LRANGE', 'a', 0, -1)).toEqual(['2', '3', '1']);
    expect(run('RPOPLPUSH', 'none', 'a')).toBeNull();
    expect(errorOf(() => run('LMOVE', 'a', 'b', 'UP', 'LEFT'))).toBe('ERR syntax error');
  });
});
