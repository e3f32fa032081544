import { describe, expect, it } from 'vitest';
import { clockedStore } from './helpers.ts';

function withPending(start = 0) {
  const t = clockedStore(start);
  for (let i = 1; i <= 4; i++) t.run('XADD', 's', `${i}-0`, 'i', i);
  t.run('XGROUP', 'CREATE', 's', 'g', '0');
  t.run('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
  return t;
}

describe('consumer-group commands', () => {
  it('reports idle times from the clock in XPENDING and filters on IDLE', () => {
    const { run, advance } = withPending();
    advance(500);
    run('XCLAIM', 's', 'g', 'bob', 0, '2-0');
    advance(100);
    expect(run('XPENDING', 's', 'g', 'IDLE', 300, '-', '+', 10)).toEqual([
      ['1-0', 'alice', 600, 1],
      ['3-0', 'alice', 600, 1],
      ['4-0', 'alice', 600, 1],
    ]);
    expect(run('XPENDING', 's', 'g', '-', '+', 10, 'bob')).toEqual([['2-0', 'bob', 100, 2]]);
    expect(run('XPENDING', 's', 'g')).toEqual([
      4,
      '1-0',
      '4-0',
      [
        ['alice', '3'],
        ['bob', '1'],
      ],
    ]);
  });

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

  it('reports entries-read and lag in XINFO GROUPS', () => {
    const { run } = withPending();
    run('XADD', 's', '5-0', 'i', 5);
    expect(run('XINFO', 'GROUPS', 's')).toEqual([
      ['name', 'g', 'consumers', 1, 'pending', 4, 'last-delivered-id', '4-0', 'entries-read', 4, 'lag', 1],
    ]);
  });

  it('deletes a consumer with its pending entries', () => {
    const { run, events } = withPending();
    events();
    expect(run('XGROUP', 'DELCONSUMER', 's', 'g', 'alice')).toBe(4);
    expect(run('XPENDING', 's', 'g')).toEqual([0, null, null, null]);
    run('XGROUP', 'CREATECONSUMER', 's', 'g', 'zed');
    run('XGROUP', 'SETID', 's', 'g', '0');
    run('XGROUP', 'DESTROY', 's', 'g');
    expect(events()).toEqual(['xgroup-delconsumer s', 'xgroup-createconsumer s', 'xgroup-setid s', 'xgroup-destroy s']);
  });

  it('re-delivers to a new consumer after SETID moves the group back', () => {
    const { run } = withPending();
    run('XGROUP', 'SETID', 's', 'g', '0');
    run('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', 1, 'STREAMS', 's', '>');
    expect(run('XPENDING', 's', 'g', '-', '+', 1)).toEqual([['1-0', 'bob', 0, 1]]);
  });
});
