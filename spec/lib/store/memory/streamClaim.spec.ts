import { describe, expect, it } from 'vitest';
import { clockedStore } from './helpers.ts';

function withPending(start = 0) {
  const t = clockedStore(start);
  for (let i = 1; i <= 4; i++) t.run('XADD', 's', `${i}-0`, 'i', i);
  t.run('XGROUP', 'CREATE', 's', 'g', '0');
  t.run('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
  return t;
}

describe('XCLAIM and XAUTOCLAIM', () => {
  it('claims only entries idle for min-idle-time', () => {
    const { run, advance } = withPending();
    advance(1000);
    run('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '2');
    expect(run('XCLAIM', 's', 'g', 'bob', 500, '1-0', '3-0', 'JUSTID')).toEqual(['1-0']);
    expect(run('XCLAIM', 's', 'g', 'bob', 500, '3-0', 'IDLE', 0, 'JUSTID')).toEqual([]);
  });

  it('walks the PEL with XAUTOCLAIM, returning a cursor and dropping deleted entries', () => {
    const { run } = withPending();
    run('XDEL', 's', '2-0');
    expect(run('XAUTOCLAIM', 's', 'g', 'bob', 0, '0', 'COUNT', 2)).toEqual(['3-0', [['1-0', ['i', '1']]], ['2-0']]);
    expect(run('XAUTOCLAIM', 's', 'g', 'bob', 0, '3-0', 'JUSTID')).toEqual(['0-0', ['3-0', '4-0'], []]);
    expect(run('XPENDING', 's', 'g')).toEqual([3, '1-0', '4-0', [['bob', '3']]]);
  });
});
