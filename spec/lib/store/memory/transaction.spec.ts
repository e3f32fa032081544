import { describe, expect, it } from 'vitest';
import { RedisReplyError } from '../../../../lib/errors.ts';
import { clockedStore } from './helpers.ts';

describe('MemoryTransaction', () => {
  it('applies the writes when no watched key changed', async () => {
    const { store, run } = clockedStore();
    run('SET', 'n', '1');
    const tx = await store.transaction();
    expect(await tx.read(['n'], 'GET', ['n'])).toBe('1');
    expect(
      await tx.commit([
        ['SET', 'n', '2'],
        ['INCR', 'n'],
      ]),
    ).toEqual(['OK', 3]);
    expect(run('GET', 'n')).toBe('3');
  });

  it('aborts with null when a watched key was written meanwhile', async () => {
    const { store, run } = clockedStore();
    run('SET', 'n', '1');
    const tx = await store.transaction();
    await tx.read(['n'], 'GET', ['n']);
    run('INCR', 'n');
    expect(await tx.commit([['SET', 'n', '100']])).toBeNull();
    expect(run('GET', 'n')).toBe('2');
  });

  it('aborts when a watched key expired meanwhile', async () => {
    const { store, run, advance } = clockedStore();
    run('SET', 'n', '1', 'PX', 10);
    const tx = await store.transaction();
    await tx.read(['n'], 'GET', ['n']);
    advance(10);
    store.sweep();
    expect(await tx.commit([['SET', 'n', 'x']])).toBeNull();
  });

  it('returns a failing write’s error as its reply and still runs the others, like EXEC', async () => {
    const { store, run } = clockedStore();
    run('SET', 's', 'text');
    const tx = await store.transaction();
    const replies = await tx.commit([
      ['INCR', 's'],
      ['SET', 't', 'v'],
    ]);
    expect(replies?.[0]).toBeInstanceOf(RedisReplyError);
    expect(replies?.[1]).toBe('OK');
  });

  it('writes nothing on discard', async () => {
    const { store, run } = clockedStore();
    const tx = await store.transaction();
    await tx.read(['k'], 'GET', ['k']);
    await tx.discard();
    expect(run('EXISTS', 'k')).toBe(0);
  });
});
