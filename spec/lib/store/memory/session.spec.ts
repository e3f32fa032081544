import { afterEach, describe, expect, it } from 'vitest';
import type { RedisReplyError } from '../../../../lib/errors.ts';
import { MemorySession, MemoryStore, NULL_ARRAY, Status } from '../../../../lib/store/memory/index.ts';

const status = (text: string): Status => new Status(text);
const message = (reply: unknown): string => (reply as RedisReplyError).message;

describe('MemorySession (one client on the embedded store)', () => {
  let store: MemoryStore;
  afterEach(() => store.close());

  function session(): MemorySession {
    return new MemorySession(store);
  }

  it('queues commands between MULTI and EXEC and runs them as one step, errors in place', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const s = session();
    expect(await s.handle('MULTI', 'multi', [])).toEqual(status('OK'));
    expect(await s.handle('SET', 'set', ['a', '1'])).toEqual(status('QUEUED'));
    expect(await s.handle('INCR', 'incr', ['a'])).toEqual(status('QUEUED'));
    expect(await s.handle('LPUSH', 'lpush', ['a', 'x'])).toEqual(status('QUEUED'));
    expect(await store.call('GET', 'a')).toBeNull();
    const replies = (await s.handle('EXEC', 'exec', [])) as unknown[];
    expect(replies.slice(0, 2)).toEqual(['OK', 2]);
    expect(message(replies[2])).toMatch(/^WRONGTYPE/);
    expect(s.inMulti).toBe(false);
  });

  it('refuses nesting, EXEC/DISCARD without MULTI and WATCH inside MULTI with Redis errors', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const s = session();
    expect(message(await s.handle('EXEC', 'exec', []))).toBe('ERR EXEC without MULTI');
    expect(message(await s.handle('DISCARD', 'discard', []))).toBe('ERR DISCARD without MULTI');
    await s.handle('MULTI', 'multi', []);
    expect(message(await s.handle('MULTI', 'multi', []))).toBe('ERR MULTI calls can not be nested');
    expect(message(await s.handle('WATCH', 'watch', ['k']))).toBe('ERR WATCH inside MULTI is not allowed');
    expect(await s.handle('DISCARD', 'discard', [])).toEqual(status('OK'));
  });

  it('discards the whole transaction at EXEC after an error while queueing (EXECABORT)', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const s = session();
    await s.handle('MULTI', 'multi', []);
    await s.handle('SET', 'set', ['a', '1']);
    expect(message(await s.handle('NOSUCH', 'nosuch', ['x']))).toMatch(/^ERR unknown command 'nosuch'/);
    expect(message(await s.handle('GET', 'get', []))).toBe("ERR wrong number of arguments for 'get' command");
    expect(message(await s.handle('EXEC', 'exec', []))).toBe(
      'EXECABORT Transaction discarded because of previous errors.',
    );
    expect(await store.call('EXISTS', 'a')).toBe(0);
  });

  it('answers EXEC with a null array when a WATCHed key was written, deleted, expired or flushed', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const s = session();
    const attempt = async (change: () => Promise<unknown>): Promise<unknown> => {
      await store.call('SET', 'w', '1');
      await s.handle('WATCH', 'watch', ['w', 'other']);
      await change();
      await s.handle('MULTI', 'multi', []);
      await s.handle('PING', 'ping', []);
      return s.handle('EXEC', 'exec', []);
    };
    expect(await attempt(() => Promise.resolve())).toEqual(['PONG']);
    expect(await attempt(() => store.call('SET', 'w', '2'))).toBe(NULL_ARRAY);
    expect(await attempt(() => store.call('DEL', 'w'))).toBe(NULL_ARRAY);
    expect(await attempt(() => store.call('EXPIRE', 'w', '10'))).toBe(NULL_ARRAY);
    expect(await attempt(() => store.call('FLUSHALL'))).toBe(NULL_ARRAY);
    // A key that does not exist is not touched by FLUSHALL; UNWATCH forgets every key.
    await s.handle('WATCH', 'watch', ['missing']);
    await store.call('FLUSHALL');
    await s.handle('MULTI', 'multi', []);
    expect(await s.handle('EXEC', 'exec', [])).toEqual([]);
    await s.handle('WATCH', 'watch', ['w']);
    await s.handle('UNWATCH', 'unwatch', []);
    await store.call('SET', 'w', '3');
    await s.handle('MULTI', 'multi', []);
    expect(await s.handle('EXEC', 'exec', [])).toEqual([]);
  });

  it('parks a blocking command until served, and ends it on CLIENT UNBLOCK or when the client goes away', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const a = session();
    const b = session();
    const served = a.handle('BLPOP', 'blpop', ['q', '0']);
    expect(a.isBlocked).toBe(true);
    await store.call('RPUSH', 'q', 'v');
    expect(await served).toEqual(['q', 'v']);
    const unblocked = b.handle('BZPOPMIN', 'bzpopmin', ['z', '0']);
    expect(b.unblock(true)).toBe(true);
    expect(message(await unblocked)).toBe('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(b.unblock(false)).toBe(false);
    const gone = b.handle('BLPOP', 'blpop', ['q', '0']);
    b.close();
    expect(await gone).toBeNull();
    await store.call('RPUSH', 'q', 'kept');
    expect(await store.call('LRANGE', 'q', 0, -1)).toEqual(['kept']);
  });

  it('runs blocking commands inside MULTI without blocking, and wakes blocked clients only after EXEC', async () => {
    store = new MemoryStore({ activeExpireInterval: 0 });
    const a = session();
    const b = session();
    await a.handle('MULTI', 'multi', []);
    await a.handle('BLPOP', 'blpop', ['none', '0']);
    // As in Redis, a blocking pop in MULTI that finds nothing answers a null array.
    expect(await a.handle('EXEC', 'exec', [])).toEqual([NULL_ARRAY]);
    const waiting = b.handle('BLPOP', 'blpop', ['k', '0']);
    await a.handle('MULTI', 'multi', []);
    await a.handle('RPUSH', 'rpush', ['k', 'x']);
    await a.handle('DEL', 'del', ['k']);
    expect(await a.handle('EXEC', 'exec', [])).toEqual([1, 1]);
    expect(store.blockedCount).toBe(1);
    b.close();
    expect(await waiting).toBeNull();
  });
});
