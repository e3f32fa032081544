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
