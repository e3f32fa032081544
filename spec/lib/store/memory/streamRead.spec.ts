import { describe, expect, it } from 'vitest';
import { clockedStore } from './helpers.ts';

describe('XREAD and XREADGROUP', () => {
  it('reads only entries newer than the given ids, $ meaning none yet', () => {
    const { run } = clockedStore();
    run('XADD', 's', '1-1', 'a', 1);
    expect(run('XREAD', 'STREAMS', 's', '$')).toBeNull();
    expect(run('XREAD', 'STREAMS', 's', 's2', '0', '0')).toEqual([['s', [['1-1', ['a', '1']]]]]);
  });

  it('delivers new entries once per group, then serves the consumer history with delivery counts', () => {
    const { run, advance } = clockedStore(0);
    run('XADD', 's', '1-1', 'a', 1);
    run('XGROUP', 'CREATE', 's', 'g', '0');
    expect(run('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>')).toEqual([['s', [['1-1', ['a', '1']]]]]);
    expect(run('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>')).toBeNull();
    advance(100);
    expect(run('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '0')).toEqual([['s', [['1-1', ['a', '1']]]]]);
    expect(run('XPENDING', 's', 'g', '-', '+', 10)).toEqual([['1-1', 'c', 0, 2]]);
    expect(run('XREADGROUP', 'GROUP', 'g', 'other', 'STREAMS', 's', '0')).toEqual([['s', []]]);
  });

  it('does not track NOACK deliveries as pending', () => {
    const { run } = clockedStore();
    run('XADD', 's', '1-1', 'a', 1);
    run('XGROUP', 'CREATE', 's', 'g', '0');
    run('XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', 's', '>');
    expect(run('XPENDING', 's', 'g')).toEqual([0, null, null, null]);
  });

  it('creates the consumer (event xgroup-createconsumer) only when it is served', () => {
    const { run, events } = clockedStore();
    run('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    run('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    run('XADD', 's', '1-1', 'a', 1);
    run('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
    expect(events()).toEqual(['xgroup-create s', 'xadd s', 'xgroup-createconsumer s']);
  });
});
