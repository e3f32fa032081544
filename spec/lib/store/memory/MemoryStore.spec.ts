import { filter, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RedisReplyError } from '../../../../lib/errors.ts';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import { clockedStore } from './helpers.ts';

describe('MemoryStore', () => {
  it('is a memory ShardStore whose call() resolves replies and rejects error replies with RedisReplyError', async () => {
    const store = new MemoryStore();
    expect(store.kind).toBe('memory');
    await expect(store.call('SET', 'k', 'v')).resolves.toBe('OK');
    await expect(store.call('get', 'k')).resolves.toBe('v');
    const error = await store.call('INCR', 'k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisReplyError);
    expect((error as Error).message).toBe('ERR value is not an integer or out of range');
    await store.close();
  });

  it('answers an unknown command with an error reply, never a crash', async () => {
    const store = new MemoryStore();
    await expect(store.call('FOO', 'a')).rejects.toThrow("ERR unknown command 'FOO', with args beginning with: 'a' ");
    expect(() => store.callSync('')).toThrow(RedisReplyError);
    await store.close();
  });

  it('accepts numbers and Buffers as arguments', () => {
    const { run } = clockedStore();
    run('SET', Buffer.from('key'), 42);
    expect(run('GET', 'key')).toBe('42');
    expect(run('INCRBY', 'key', Buffer.from('8'))).toBe(50);
  });

  it('expires keys lazily on access with the injected clock, raising expired', () => {
    const { run, advance, events } = clockedStore();
    run('SET', 'k', 'v', 'PX', 1000);
    events();
    advance(999);
    expect(run('GET', 'k')).toBe('v');
    advance(1);
    expect(run('GET', 'k')).toBeNull();
    expect(events()).toEqual(['expired k']);
  });

  it('sweeps expired keys nobody reads, so their expired events fire', () => {
    const { store, run, advance, events } = clockedStore();
    run('SET', 'a', '1', 'PX', 10);
    run('SET', 'b', '1', 'PX', 20);
    run('SET', 'c', '1');
    events();
    advance(15);
    expect(store.sweep()).toBe(1);
    expect(events()).toEqual(['expired a']);
    advance(10);
    expect(store.sweep()).toBe(1);
    expect(run('DBSIZE')).toBe(1);
  });

  it('sweeps at most the given number of keys per call', () => {
    const { store, run, advance } = clockedStore();
    for (let i = 0; i < 5; i++) run('SET', `k${i}`, 'v', 'PX', 1);
    advance(1);
    expect(store.sweep(2)).toBe(2);
    expect(store.sweep()).toBe(3);
  });

  it('does not expire a key whose TTL was removed or extended since', () => {
    const { store, run, advance } = clockedStore();
    run('SET', 'a', '1', 'PX', 10);
    run('PERSIST', 'a');
    run('SET', 'b', '1', 'PX', 10);
    run('PEXPIRE', 'b', 100);
    advance(50);
    expect(store.sweep()).toBe(0);
    expect(run('EXISTS', 'a', 'b')).toBe(2);
  });

  it('runs the active sweep on a timer and stops it on close', async () => {
    const store = new MemoryStore({ activeExpireInterval: 5 });
    const expired = firstValueFrom(store.keyspaceEvents().pipe(filter((e) => e.event === 'expired')));
    store.callSync('SET', 'k', 'v', 'PX', 1);
    await expect(expired).resolves.toEqual({ key: 'k', event: 'expired' });
    await store.close();
    await store.close();
  });

  it('delivers keyspace events after the command, in order, even when a listener runs commands', () => {
    const store = new MemoryStore({ activeExpireInterval: 0 });
    const seen: string[] = [];
    store.keyspaceEvents().subscribe((e) => {
      seen.push(`${e.event} ${e.key}`);
      if (e.key === 'a') store.callSync('SET', 'b', '1');
    });
    store.callSync('MSET', 'a', '1', 'c', '1');
    expect(seen).toEqual(['set a', 'set c', 'set b']);
  });

  it('completes the keyspace events on close', async () => {
    const store = new MemoryStore();
    const all = firstValueFrom(store.keyspaceEvents().pipe(toArray()));
    store.callSync('SET', 'k', 'v');
    await store.close();
    await expect(all).resolves.toEqual([{ key: 'k', event: 'set' }]);
  });

  it('reads typed values in one batch, with type none for missing keys', async () => {
    const { store, run } = clockedStore();
    run('SET', 's', 'v');
    run('HSET', 'h', 'a', '1', 'b', '2');
    run('RPUSH', 'l', 'x', 'y');
    run('SADD', 'set', '3', '1', '2');
    run('ZADD', 'z', '2', 'b', '1.5', 'a');
    run('XADD', 'x', '1-1', 'f', 'v');
    const data = await store.readKeys(['s', 'h', 'l', 'set', 'z', 'x', 'none']);
    expect(data).toEqual([
      { key: 's', type: 'string', value: 'v' },
      { key: 'h', type: 'hash', value: { a: '1', b: '2' } },
      { key: 'l', type: 'list', value: ['x', 'y'] },
      { key: 'set', type: 'set', value: ['1', '2', '3'] },
      {
        key: 'z',
        type: 'zset',
        value: [
          { member: 'a', score: 1.5 },
          { member: 'b', score: 2 },
        ],
      },
      { key: 'x', type: 'stream', value: null },
      { key: 'none', type: 'none', value: null },
    ]);
    expect(await store.readKeys(['h', 'none'], { readValue: false })).toEqual([
      { key: 'h', type: 'hash', value: null },
      { key: 'none', type: 'none', value: null },
    ]);
  });

  it('returns copies from readKeys, so a reader cannot change the stored data', async () => {
    const { store, run } = clockedStore();
    run('ZADD', 'z', '1', 'a');
    const [data] = await store.readKeys(['z']);
    (data!.value as { score: number }[])[0]!.score = 99;
    expect(run('ZSCORE', 'z', 'a')).toBe('1');
  });

  it('reads stream ranges as entries with field objects', async () => {
    const { store, run } = clockedStore();
    run('XADD', 'x', '1-1', 'a', '1', 'b', '2');
    run('XADD', 'x', '2-1', 'a', '3');
    expect(await store.xrange('x', '-', '+')).toEqual([
      { id: '1-1', value: { a: '1', b: '2' } },
      { id: '2-1', value: { a: '3' } },
    ]);
    expect(await store.xrange('x', '(1-1', '+', 1)).toEqual([{ id: '2-1', value: { a: '3' } }]);
    expect(await store.xrange('none', '-', '+')).toEqual([]);
    run('SET', 's', 'v');
    await expect(store.xrange('s', '-', '+')).rejects.toThrow(/^WRONGTYPE/);
    await expect(store.xrange('x', 'bad', '+')).rejects.toThrow(
      'ERR Invalid stream ID specified as stream command argument',
    );
  });

  it('scans every key exactly in pages, filtered by MATCH and TYPE', async () => {
    const { store, run } = clockedStore();
    for (let i = 0; i < 100; i++) run('SET', `k:${i}`, 'v');
    run('HSET', 'h:1', 'f', 'v');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const page = await store.scan(cursor, { match: 'k:*', count: 7 });
      cursor = page.cursor;
      keys.push(...page.keys);
    } while (cursor !== '0');
    expect(keys.sort()).toEqual(Array.from({ length: 100 }, (_, i) => `k:${i}`).sort());
    expect((await store.scan('0', { type: 'hash', count: 1000 })).keys).toEqual(['h:1']);
    await expect(store.scan('x')).rejects.toThrow('ERR invalid cursor');
    await expect(store.scan('0', { count: 0 })).rejects.toThrow('ERR syntax error');
  });

  it('returns every key present for a whole SCAN even while others are added and deleted', async () => {
    const { store, run } = clockedStore();
    for (let i = 0; i < 500; i++) run('SET', `stay:${i}`, 'v');
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const page = await store.scan(cursor, { count: 10 });
      cursor = page.cursor;
      for (const key of page.keys) seen.add(key);
      // Grow the table (rehash to bigger sizes), then shrink it, in the middle of the iteration.
      if (round < 20) for (let i = 0; i < 200; i++) run('SET', `tmp:${round}:${i}`, 'v');
      else if (round < 40) for (let i = 0; i < 200; i++) run('DEL', `tmp:${round - 20}:${i}`);
      round++;
    } while (cursor !== '0');
    for (let i = 0; i < 500; i++) expect(seen.has(`stay:${i}`)).toBe(true);
  });

  it('blocks XREAD through call() until an XADD arrives', async () => {
    const store = new MemoryStore();
    store.callSync('XADD', 's', '1-1', 'a', '1');
    const read = store.call('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$');
    store.callSync('XADD', 'other', '1-1', 'a', '1');
    store.callSync('XADD', 's', '2-1', 'b', '2');
    await expect(read).resolves.toEqual([['s', [['2-1', ['b', '2']]]]]);
    await store.close();
  });

  it('answers a blocked read with null when its timeout passes, and callSync never blocks', async () => {
    const store = new MemoryStore();
    store.callSync('XADD', 's', '1-1', 'a', '1');
    await expect(store.call('XREAD', 'BLOCK', 5, 'STREAMS', 's', '$')).resolves.toBeNull();
    expect(store.callSync('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$')).toBeNull();
    await store.close();
  });

  it('serves blocked XREADGROUP consumers in the order they blocked, one entry each', async () => {
    const store = new MemoryStore();
    store.callSync('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    const first = store.call('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', 1, 'BLOCK', 0, 'STREAMS', 's', '>');
    const second = store.call('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', 1, 'BLOCK', 0, 'STREAMS', 's', '>');
    store.callSync('XADD', 's', '1-1', 'a', '1');
    await expect(first).resolves.toEqual([['s', [['1-1', ['a', '1']]]]]);
    store.callSync('XADD', 's', '2-1', 'a', '2');
    await expect(second).resolves.toEqual([['s', [['2-1', ['a', '2']]]]]);
    expect(store.callSync('XPENDING', 's', 'g')).toEqual([
      2,
      '1-1',
      '2-1',
      [
        ['c1', '1'],
        ['c2', '1'],
      ],
    ]);
    await store.close();
  });

  it('fails a blocked XREADGROUP when its stream or group goes away', async () => {
    const store = new MemoryStore();
    store.callSync('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    const gone = store.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 0, 'STREAMS', 's', '>');
    store.callSync('DEL', 's');
    await expect(gone).rejects.toThrow('UNBLOCKED the stream key no longer exists');
    store.callSync('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    const destroyed = store.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 0, 'STREAMS', 's', '>');
    store.callSync('XGROUP', 'DESTROY', 's', 'g');
    await expect(destroyed).rejects.toThrow(/^NOGROUP/);
    await store.close();
  });

  it('rejects reads still blocked when the store closes', async () => {
    const store = new MemoryStore();
    const read = store.call('XREAD', 'BLOCK', 0, 'STREAMS', 's', '$');
    await store.close();
    await expect(read).rejects.toThrow('closed');
  });
});
