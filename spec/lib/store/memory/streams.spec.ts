import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

describe('stream commands', () => {
  it('makes * ids from the clock, incrementing the sequence within a millisecond', () => {
    const { run, advance } = clockedStore(1000);
    expect(run('XADD', 's', '*', 'a', 1)).toBe('1000-0');
    expect(run('XADD', 's', '*', 'a', 2)).toBe('1000-1');
    advance(5);
    expect(run('XADD', 's', '*', 'a', 3)).toBe('1005-0');
    expect(run('XADD', 's', '1005-*', 'a', 4)).toBe('1005-1');
    expect(run('XADD', 's', '2000-*', 'a', 5)).toBe('2000-0');
    advance(-10);
    expect(run('XADD', 's', '*', 'a', 6)).toBe('2000-1');
  });

  it('refuses ids not above the top item', () => {
    const { run } = clockedStore();
    run('XADD', 's', '5-5', 'a', 1);
    expect(errorOf(() => run('XADD', 's', '5-5', 'a', 1))).toBe(
      'ERR The ID specified in XADD is equal or smaller than the target stream top item',
    );
  });

  it('raises xadd, xtrim and xdel', () => {
    const { run, events } = clockedStore();
    run('XADD', 's', '1-1', 'a', 1);
    run('XADD', 's', 'MAXLEN', 1, '2-1', 'a', 1);
    run('XDEL', 's', '2-1');
    run('XDEL', 's', '2-1');
    run('XADD', 's', '3-1', 'a', 1);
    run('XTRIM', 's', 'MAXLEN', 0);
    expect(events()).toEqual(['xadd s', 'xadd s', 'xtrim s', 'xdel s', 'xadd s', 'xtrim s']);
  });

  it('reads ranges forwards and backwards with COUNT', () => {
    const { run } = clockedStore();
    for (let i = 1; i <= 5; i++) run('XADD', 's', `${i}-0`, 'i', i);
    expect(run('XRANGE', 's', '2', '(4-0', 'COUNT', 5)).toEqual([
      ['2-0', ['i', '2']],
      ['3-0', ['i', '3']],
    ]);
    expect(run('XREVRANGE', 's', '+', '-', 'COUNT', 2)).toEqual([
      ['5-0', ['i', '5']],
      ['4-0', ['i', '4']],
    ]);
  });
});

describe('exclusive range ends', () => {
  it('exclude only the exact id, so (4 still includes 4-0 as in Redis', () => {
    const { run } = clockedStore();
    for (let i = 1; i <= 5; i++) run('XADD', 's', `${i}-0`, 'i', i);
    expect(run('XRANGE', 's', '4', '(4')).toEqual([['4-0', ['i', '4']]]);
  });
});
