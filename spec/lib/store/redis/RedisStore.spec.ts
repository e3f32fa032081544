import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GearsError, RedisReplyError } from '../../../../lib/errors.ts';
import { fromBytes, toBytes } from '../../../../lib/store/bytes.ts';
import { RedisConnectionError, RedisStore } from '../../../../lib/store/redis/index.ts';
import type { KeyData } from '../../../../lib/store/ShardStore.ts';
import { deletePrefix, scanAll, uniquePrefix } from './helpers.ts';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

let store: RedisStore;
const prefix = uniquePrefix('store');

beforeAll(() => {
  store = new RedisStore(inject('redisUrl'));
});

afterAll(async () => {
  await deletePrefix(store, prefix);
  await store.close();
});

/** One key of every type under `p`. */
async function writeEveryType(p: string): Promise<void> {
  await store.call('SET', `${p}string`, 'hello');
  await store.call('HSET', `${p}hash`, 'name', 'Rick Sanchez', 'age', '70', '__proto__', 'x');
  await store.call('RPUSH', `${p}list`, 'a', 'b', 'a');
  await store.call('SADD', `${p}set`, 'x', 'y');
  await store.call('ZADD', `${p}zset`, '1.5', 'one', 'inf', 'top', '-inf', 'bottom');
  await store.call('XADD', `${p}stream`, '1-1', 'f', 'v');
}

describe('scan', () => {
  it('walks every key matching the glob, and only those of a TYPE when asked', async () => {
    const p = `${prefix}scan:`;
    await writeEveryType(p);
    await store.call('SET', `${prefix}other`, '1');
    const all = await scanAll(store, `${p}*`);
    expect(all).toEqual(['hash', 'list', 'set', 'stream', 'string', 'zset'].map((t) => p + t));
    expect(await scanAll(store, `${p}*`, 'hash')).toEqual([`${p}hash`]);
  });

  it('keeps key names exact: text as text, a name that is not UTF-8 as its escaped bytes, a real U+FFFD as itself', async () => {
    const p = `${prefix}scanbytes:`;
    const binary = Buffer.concat([Buffer.from(p), Buffer.from([0xff, 0xfe, 0x00, 0x80])]);
    await store.call('SET', binary, 'b');
    await store.call('SET', `${p}text-é`, 't');
    await store.call('SET', `${p}replacement-\ufffd`, 'r');
    const all = await scanAll(store, `${p}*`);
    expect(all).toEqual([`${p}replacement-\ufffd`, `${p}text-é`, fromBytes(binary)].sort());
    const escaped = all.filter((key) => !key.isWellFormed());
    expect(escaped.map((key) => toBytes(key))).toEqual([binary]);
    expect(await store.call('GET', escaped[0]!)).toBe('b');
  });

  it('returns cursor "0" at the end of the iteration', async () => {
    const page = await store.scan('0', { match: `${prefix}no-such-key:*`, count: 100_000 });
    expect(page).toEqual({ cursor: '0', keys: [] });
  });
});

describe.each(['script', 'pipeline'] as const)('readKeys with the %s strategy', (readStrategy) => {
  let reader: RedisStore;
  const p = `${prefix}read:${readStrategy}:`;
  beforeAll(async () => {
    reader = new RedisStore(inject('redisUrl'), { readStrategy });
    await writeEveryType(p);
  });
  afterAll(() => reader.close());

  it('reads the type and value of every type, in the order of the keys', async () => {
    const keys = ['zset', 'missing', 'string', 'hash', 'list', 'set', 'stream'].map((t) => p + t);
    const hash: Record<string, string> = { name: 'Rick Sanchez', age: '70' };
    Object.defineProperty(hash, '__proto__', { value: 'x', enumerable: true, configurable: true, writable: true });
    const expected: KeyData[] = [
      {
        key: `${p}zset`,
        type: 'zset',
        value: [
          { member: 'bottom', score: -Infinity },
          { member: 'one', score: 1.5 },
          { member: 'top', score: Infinity },
        ],
      },
      { key: `${p}missing`, type: 'none', value: null },
      { key: `${p}string`, type: 'string', value: 'hello' },
      { key: `${p}hash`, type: 'hash', value: hash },
      { key: `${p}list`, type: 'list', value: ['a', 'b', 'a'] },
      { key: `${p}set`, type: 'set', value: expect.arrayContaining(['x', 'y']) as unknown as string[] },
      { key: `${p}stream`, type: 'stream', value: null },
    ];
    const read = await reader.readKeys(keys);
    expect(read).toEqual(expected);
    const readHash = read[3]!.value as Record<string, string>;
    expect(Object.keys(readHash)).toEqual(['name', 'age', '__proto__']);
    expect(Object.getPrototypeOf(readHash)).toBe(Object.prototype);
  });

  it('reads only the types with readValue: false', async () => {
    const read = await reader.readKeys([`${p}hash`, `${p}nope`, `${p}stream`], { readValue: false });
    expect(read).toEqual([
      { key: `${p}hash`, type: 'hash', value: null },
      { key: `${p}nope`, type: 'none', value: null },
      { key: `${p}stream`, type: 'stream', value: null },
    ]);
  });

  it('reads a large batch in one call', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `${p}many:${i}`);
    await store.call('MSET', ...keys.flatMap((k, i) => [k, String(i)]));
    const read = await reader.readKeys(keys);
    expect(read.map((d) => d.value)).toEqual(keys.map((_, i) => String(i)));
  });

  it('resolves an empty batch to an empty array', async () => {
    expect(await reader.readKeys([])).toEqual([]);
  });
});

describe('readKeys: the script and the pipeline guess each key has the type of the key before it', () => {
  // The guess is checked by the read itself (WRONGTYPE → TYPE + read; empty reply → the key is gone), so any
  // order of types must read the same with both strategies, and each key as its own type.
  const p = `${prefix}guess:`;
  let piped: RedisStore;
  let scripted: RedisStore;
  beforeAll(async () => {
    piped = new RedisStore(inject('redisUrl'), { readStrategy: 'pipeline' });
    scripted = new RedisStore(inject('redisUrl'), { readStrategy: 'script' });
    await writeEveryType(p);
    for (let i = 0; i < 3; i++) {
      await store.call('HSET', `${p}hash${i}`, 'i', String(i));
      await store.call('SET', `${p}string${i}`, String(i));
      await store.call('RPUSH', `${p}list${i}`, String(i));
    }
  });
  afterAll(async () => {
    await piped.close();
    await scripted.close();
  });

  const names = ['string', 'hash', 'list', 'set', 'zset', 'stream', 'missing', 'hash0', 'hash1', 'hash2']
    .concat(['string0', 'string1', 'list0', 'list1', 'list2'])
    .map((name) => p + name);
  const sortSets = (data: KeyData[]): KeyData[] =>
    data.map((d) => (d.type === 'set' && d.value ? { ...d, value: [...d.value].sort() } : d));

  it('reads any sequence of types, runs and alternations, like TYPE + read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...names), { maxLength: 25 }),
        fc.boolean(),
        async (keys, readValue) => {
          const [script, pipeline] = await Promise.all([
            scripted.readKeys(keys, { readValue }),
            piped.readKeys(keys, { readValue }),
          ]);
          expect(sortSets(script)).toEqual(sortSets(pipeline));
          expect(script.map((d) => d.type)).toEqual(
            keys.map((k) => (k.endsWith('missing') ? 'none' : /(string|hash|list|set|zset|stream)\d*$/.exec(k)![1])),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reports a key that was deleted as gone, after a guess of any type', async () => {
    for (const type of ['string', 'hash', 'list']) {
      const keys = [`${p}${type}0`, `${p}${type}-deleted`];
      for (const reader of [scripted, piped]) {
        expect(await reader.readKeys(keys)).toEqual([
          expect.objectContaining({ key: keys[0], type }),
          { key: keys[1], type: 'none', value: null },
        ]);
      }
    }
  });
});

describe('xrange', () => {
  it('returns entries with their fields as a record, honouring COUNT', async () => {
    const key = `${prefix}xrange`;
    await store.call('XADD', key, '1-1', 'name', 'a', 'n', '1');
    await store.call('XADD', key, '2-0', 'name', 'b');
    expect(await store.xrange(key, '-', '+')).toEqual([
      { id: '1-1', value: { name: 'a', n: '1' } },
      { id: '2-0', value: { name: 'b' } },
    ]);
    expect(await store.xrange(key, '(1-1', '+', 1)).toEqual([{ id: '2-0', value: { name: 'b' } }]);
  });

  it('returns an empty array for a missing key', async () => {
    expect(await store.xrange(`${prefix}no-stream`, '-', '+')).toEqual([]);
  });

  it('rejects with the Redis error for a bad id', async () => {
    await expect(store.xrange(`${prefix}xrange`, 'nope', '+')).rejects.toThrow(
      new RedisReplyError('ERR Invalid stream ID specified as stream command argument'),
    );
  });
});

describe('call', () => {
  it('replies with strings, integers, null and arrays as RESP2 gives them', async () => {
    const key = `${prefix}call`;
    expect(await store.call('set', key, 'v')).toBe('OK');
    expect(await store.call('GET', key)).toBe('v');
    expect(await store.call('GET', `${key}:missing`)).toBeNull();
    expect(await store.call('INCRBY', `${key}:n`, 5)).toBe(5);
    expect(await store.call('rpush', `${key}:l`, Buffer.from('é'), 'b')).toBe(2);
    expect(await store.call('LRANGE', `${key}:l`, 0, -1)).toEqual(['é', 'b']);
    expect(await store.call('ECHO', Buffer.from([0x66, 0x6f]))).toBe('fo');
  });

  it('keeps HGETALL flat, whatever the case of the command name', async () => {
    const key = `${prefix}call:h`;
    await store.call('hset', key, 'f', 'v');
    expect(await store.call('hgetall', key)).toEqual(['f', 'v']);
    expect(await store.call('HGETALL', key)).toEqual(['f', 'v']);
  });

  it('keeps nested arrays (XRANGE, SCAN)', async () => {
    const key = `${prefix}call:x`;
    await store.call('XADD', key, '5-1', 'a', 'b');
    expect(await store.call('XRANGE', key, '-', '+')).toEqual([['5-1', ['a', 'b']]]);
  });

  it('rejects with a RedisReplyError carrying the exact Redis message and the ioredis error as cause', async () => {
    const key = `${prefix}call:wrong`;
    await store.call('SET', key, 'v');
    const error: unknown = await store.call('LPUSH', key, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisReplyError);
    expect(error).toBeInstanceOf(GearsError);
    expect((error as RedisReplyError).message).toBe(WRONGTYPE);
    expect((error as RedisReplyError).name).toBe('RedisReplyError');
    expect(((error as RedisReplyError).cause as Error).message).toBe(WRONGTYPE);
  });

  it('passes the exact text of other error replies, unknown commands included', async () => {
    await expect(store.call('INCR', `${prefix}call`)).rejects.toThrow('ERR value is not an integer or out of range');
    const unknown = await store.call('nosuchcommand', 'a').catch((e: unknown) => e);
    expect((unknown as RedisReplyError).message).toBe("ERR unknown command 'nosuchcommand', with args beginning with: 'a' ");
    await expect(store.call('GET')).rejects.toThrow("ERR wrong number of arguments for 'get' command");
  });

  it('refuses commands that would change the shared connection', async () => {
    for (const command of ['MULTI', 'watch', 'SELECT', 'subscribe']) {
      await expect(store.call(command, '1')).rejects.toThrow(/changes the state of the connection/);
    }
  });

  it('runs a blocking command on its own connection, without holding up the others', async () => {
    const key = `${prefix}call:queue`;
    const popped = store.call('BLPOP', key, 10);
    // The shared connection still answers while BLPOP waits, and feeds the waiting BLPOP.
    expect(await store.call('RPUSH', key, 'job')).toBe(1);
    expect(await popped).toEqual([key, 'job']);
  });
});

describe('close', () => {
  it('is idempotent, and later commands reject with a RedisConnectionError', async () => {
    const own = new RedisStore(inject('redisUrl'));
    expect(await own.call('PING')).toBe('PONG');
    await Promise.all([own.close(), own.close()]);
    await own.close();
    await expect(own.call('PING')).rejects.toBeInstanceOf(RedisConnectionError);
    await expect(own.readKeys(['k'])).rejects.toThrow(/the store is closed/);
  });
});
