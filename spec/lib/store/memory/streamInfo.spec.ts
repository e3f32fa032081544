import { describe, expect, it } from 'vitest';
import { clockedStore, errorOf } from './helpers.ts';

function withPending(start = 0) {
  const t = clockedStore(start);
  for (let i = 1; i <= 4; i++) t.run('XADD', 's', `${i}-0`, 'i', i);
  t.run('XGROUP', 'CREATE', 's', 'g', '0');
  t.run('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
  return t;
}

describe('XINFO', () => {
  it('reports entries-read and lag in XINFO GROUPS', () => {
    const { run } = withPending();
    run('XADD', 's', '5-0', 'i', 5);
    expect(run('XINFO', 'GROUPS', 's')).toEqual([
      ['name', 'g', 'consumers', 1, 'pending', 4, 'last-delivered-id', '4-0', 'entries-read', 4, 'lag', 1],
    ]);
  });

  it('lists consumers by name with pending counts and idle time from the clock', () => {
    const { run, advance } = withPending();
    run('XGROUP', 'CREATECONSUMER', 's', 'g', 'aaron');
    advance(250);
    expect(run('XINFO', 'CONSUMERS', 's', 'g')).toEqual([
      ['name', 'aaron', 'pending', 0, 'idle', 250],
      ['name', 'alice', 'pending', 4, 'idle', 250],
    ]);
  });

  it('answers no such key and NOGROUP like Redis', () => {
    const { run } = withPending();
    expect(errorOf(() => run('XINFO', 'GROUPS', 'none'))).toBe('ERR no such key');
    expect(errorOf(() => run('XINFO', 'CONSUMERS', 's', 'nope'))).toBe(
      "NOGROUP No such consumer group 'nope' for key name 's'",
    );
  });
});
