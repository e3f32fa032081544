import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { until } from '../../../support/until.ts';
import type { ShardStore } from '../../../../lib/store/ShardStore.ts';
import { deletePrefix, storesUnderTest, uniquePrefix, type Caller } from './runner.ts';

// The typed methods of ShardStore (scan, readKeys, xrange, blocking reads through call) checked against what
// the same data gives through plain Redis commands on the oracle.
describe.each(storesUnderTest)('the $name store’s typed reads agree with Redis', ({ name, open }) => {
  let oracle: Redis;
  let other: Redis;
  let store: ShardStore;
  let prefix: string;
  const redisCall: Caller = (command, ...args) => oracle.call(command, ...args);

  const both = async (...cmd: (string | number)[]): Promise<void> => {
    const [command, ...args] = cmd.map((a) => (typeof a === 'string' ? a.replaceAll('{p}', prefix) : a));
    await oracle.call(String(command), ...args);
    await store.call(String(command), ...args);
  };

  beforeAll(async () => {
    oracle = new Redis(inject('redisUrl'), { db: 8 });
    other = new Redis(inject('redisUrl'), { db: 8 });
    store = await open();
    prefix = uniquePrefix(`${name}-api`);
    await both('SET', '{p}s', 'v');
    await both('HSET', '{p}h', 'b', '2', 'a', '1');
    await both('RPUSH', '{p}l', 'x', 'y', 'x');
    await both('SADD', '{p}set', '3', '1', '2');
    await both('ZADD', '{p}z', '2.5', 'b', '1', 'a', '1', 'c');
    for (let i = 1; i <= 5; i++) await both('XADD', '{p}x', `${i}-1`, 'f', `v${i}`, 'g', 'w');
  });

  afterAll(async () => {
    await deletePrefix(redisCall, prefix);
    await store.close();
    oracle.disconnect();
    other.disconnect();
  });

  it('scans the same keys as KEYS lists, by type too', async () => {
    const scanned = async (type?: string): Promise<string[]> => {
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const page = await store.scan(cursor, { match: `${prefix}*`, count: 2, ...(type ? { type } : {}) });
        cursor = page.cursor;
        page.keys.forEach((k) => keys.add(k));
      } while (cursor !== '0');
      return [...keys].sort();
    };
    expect(await scanned()).toEqual(((await oracle.call('KEYS', `${prefix}*`)) as string[]).sort());
    expect(await scanned('zset')).toEqual([`${prefix}z`]);
  });

  it('reads each type as the Redis commands give it', async () => {
    const keys = ['s', 'h', 'l', 'set', 'z', 'x', 'none'].map((k) => prefix + k);
    const data = await store.readKeys(keys);
    const zset = (await oracle.call('ZRANGE', `${prefix}z`, 0, -1, 'WITHSCORES')) as string[];
    const hash = (await oracle.call('HGETALL', `${prefix}h`)) as string[];
    expect(data.map((d) => d.type)).toEqual(
      await Promise.all(keys.map(async (k) => (await oracle.call('TYPE', k)) as string)),
    );
    expect(data[0]!.value).toBe(await oracle.call('GET', `${prefix}s`));
    expect(data[1]!.value).toEqual(Object.fromEntries(hash.flatMap((v, i) => (i % 2 ? [] : [[v, hash[i + 1]]]))));
    expect(data[2]!.value).toEqual(await oracle.call('LRANGE', `${prefix}l`, 0, -1));
    expect([...(data[3]!.value as string[])].sort()).toEqual(
      ((await oracle.call('SMEMBERS', `${prefix}set`)) as string[]).sort(),
    );
    expect(data[4]!.value).toEqual(zset.flatMap((m, i) => (i % 2 ? [] : [{ member: m, score: Number(zset[i + 1]) }])));
    expect(data[5]!.value).toBeNull();
    expect(data[6]).toEqual({ key: `${prefix}none`, type: 'none', value: null });
  });

  it('reads stream ranges as XRANGE gives them, COUNT 0 or less giving none', async () => {
    for (const [start, end, count] of [
      ['-', '+', undefined],
      ['(2-1', '4', 2],
      ['-', '+', 0],
      ['-', '+', -1],
    ] as const) {
      const reply = (await oracle.call(
        'XRANGE',
        `${prefix}x`,
        start,
        end,
        ...(count === undefined ? [] : ['COUNT', count]),
      )) as [string, string[]][] | null;
      const expected = (reply ?? []).map(([id, fields]) => ({
        id,
        value: Object.fromEntries(fields.flatMap((f, i) => (i % 2 ? [] : [[f, fields[i + 1]]]))),
      }));
      expect(await store.xrange(`${prefix}x`, start, end, count)).toEqual(expected);
    }
  });

  it('resolves blocked XREAD and XREADGROUP with the entry a later XADD brings, as Redis does', async () => {
    await both('XGROUP', 'CREATE', '{p}x', 'g', '$');
    const key = `${prefix}x`;
    const readers = (call: Caller) =>
      Promise.all([
        call('XREAD', 'BLOCK', 5000, 'STREAMS', key, '$'),
        call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 5000, 'STREAMS', key, '>'),
      ]);
    const fromRedis = readers((command, ...args) => other.call(command, ...args).then((r) => r));
    // Write once the oracle connection is blocked on Redis (its two reads queue on one connection).
    const oracleInfo = new Redis(inject('redisUrl'), { db: 8 });
    const blockedOnRedis = async () =>
      Number(/blocked_clients:(\d+)/.exec(String(await oracleInfo.call('INFO', 'clients')))?.[1] ?? 0);
    await until(async () => (await blockedOnRedis()) >= 1, 'the oracle connection blocked on Redis');
    oracleInfo.disconnect();
    const oracleWriter = new Redis(inject('redisUrl'), { db: 8 });
    await oracleWriter.call('XADD', key, '9-1', 'new', 'entry');
    oracleWriter.disconnect();
    const fromStore = readers((command, ...args) => store.call(command, ...args));
    if (name !== 'memory') {
      // The Redis store blocks on connections of its own: write once both readers are blocked on its server.
      const blocked = async () =>
        Number(/blocked_clients:(\d+)/.exec(String(await store.call('INFO', 'clients')))?.[1] ?? 0);
      await until(async () => (await blocked()) >= 2, 'both readers blocked on the store’s Redis');
    }
    await store.call('XADD', key, '9-1', 'new', 'entry');
    expect(await fromStore).toEqual(await fromRedis);
  });
});
