import { afterEach, describe, expect, it } from 'vitest';
import { RedisReplyError } from '../../../../lib/errors.ts';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import { timeoutArg } from '../../../../lib/store/memory/blocking.ts';

describe('blocking pops on the memory store', () => {
  let store: MemoryStore;
  afterEach(() => store.close());

  it('parks BLPOP until a push creates the key, serving clients in the order they blocked', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const first = store.call('BLPOP', 'a', 'b', 0);
    const second = store.call('BRPOP', 'b', 0);
    expect(store.blockedCount).toBe(2);
    await store.call('RPUSH', 'b', 'x', 'y');
    await expect(first).resolves.toEqual(['b', 'x']);
    await expect(second).resolves.toEqual(['b', 'y']);
    expect(store.blockedCount).toBe(0);
    expect(await store.call('EXISTS', 'b')).toBe(0);
  });

  it('is not woken by a key of another type, nor by a push undone in the same transaction', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const waiting = store.call('BZPOPMIN', 'z', 0);
    await store.call('SET', 'z', 'string');
    await store.call('DEL', 'z');
    const tx = await store.transaction();
    await tx.commit([
      ['ZADD', 'z', '1', 'm'],
      ['DEL', 'z'],
    ]);
    expect(store.blockedCount).toBe(1);
    await store.call('ZADD', 'z', '2', 'n', '1', 'm');
    await expect(waiting).resolves.toEqual(['z', 'm', '1']);
  });

  it('serves BLMOVE, BZMPOP and BLMPOP when their keys appear', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const move = store.call('BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', 0);
    const zmpop = store.call('BZMPOP', 0, 2, 'z1', 'z2', 'MAX', 'COUNT', 2);
    const lmpop = store.call('BLMPOP', 0, 1, 'l', 'RIGHT', 'COUNT', 5);
    await store.call('RPUSH', 'src', 'v');
    await store.call('ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c');
    await store.call('RPUSH', 'l', '1', '2');
    await expect(move).resolves.toBe('v');
    await expect(zmpop).resolves.toEqual(['z2', [['c', '3'], ['b', '2']]]);
    await expect(lmpop).resolves.toEqual(['l', ['2', '1']]);
    expect(await store.call('LRANGE', 'dst', 0, -1)).toEqual(['v']);
  });

  it('answers a blocked BRPOPLPUSH whose destination became another type with WRONGTYPE, keeping the element', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const move = store.call('BRPOPLPUSH', 'src', 'dst', 0);
    await store.call('SET', 'dst', 'x');
    await store.call('RPUSH', 'src', 'v');
    await expect(move).rejects.toThrow(/^WRONGTYPE/);
    expect(await store.call('LRANGE', 'src', 0, -1)).toEqual(['v']);
  });

  it('replies the timeout reply after the timeout, and at once from callSync (as inside MULTI)', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    await expect(store.call('BLPOP', 'none', '0.01')).resolves.toBeNull();
    expect(store.callSync('BZPOPMAX', 'none', 0)).toBeNull();
    expect(store.callSync('BLMOVE', 'none', 'dst', 'LEFT', 'LEFT', 0)).toBeNull();
    expect(store.blockedCount).toBe(0);
  });

  it('ends a parked command on abort: the timeout reply, or the abort reason when it is an error', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const quiet = new AbortController();
    const loud = new AbortController();
    const a = store.callAbortable(quiet.signal, 'BLPOP', 'k', 0);
    const b = store.callAbortable(loud.signal, 'XREAD', 'BLOCK', 0, 'STREAMS', 's', '$');
    expect(store.blockedCount).toBe(2);
    quiet.abort();
    loud.abort(new RedisReplyError('UNBLOCKED client unblocked via CLIENT UNBLOCK'));
    await expect(a).resolves.toBeNull();
    await expect(b).rejects.toThrow('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(store.blockedCount).toBe(0);
    // An aborted client takes nothing: the element stays for the next reader.
    await store.call('RPUSH', 'k', 'v');
    expect(await store.call('LPOP', 'k')).toBe('v');
  });

  it('parses timeouts as Redis does: seconds as a double, rounded up to milliseconds', () => {
    expect(timeoutArg('0')).toBe(0);
    expect(timeoutArg('1e-10')).toBe(1);
    expect(timeoutArg('1.5')).toBe(1500);
    expect(timeoutArg('-0.0001')).toBe(0);
    expect(() => timeoutArg('-1')).toThrow('ERR timeout is negative');
    expect(() => timeoutArg('inf')).toThrow('ERR timeout is negative');
    expect(() => timeoutArg('abc')).toThrow('ERR timeout is not a float or out of range');
  });
});
