import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fromBytes, toBytes, wireArgs } from '../../../../lib/store/bytes.ts';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import type { RedisArg } from '../../../../lib/store/ShardStore.ts';

type Call = (command: string, ...args: RedisArg[]) => Promise<unknown>;

/** Replies with every bulk string as a store string (binary bytes included). */
function asStrings(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return fromBytes(reply);
  return Array.isArray(reply) ? reply.map(asStrings) : reply;
}

/** What a key holds, read so that two correct servers answer alike (hash-table order sorted away). */
async function contents(call: Call, key: string): Promise<unknown> {
  const type = String(await call('TYPE', key));
  const sortedPairs = (flat: unknown[]): string[] =>
    flat.flatMap((v, i) => (i % 2 === 0 ? [`${String(v)}=${String(flat[i + 1])}`] : [])).sort();
  switch (type) {
    case 'string':
      return [type, await call('GET', key)];
    case 'list':
      return [type, await call('LRANGE', key, '0', '-1')];
    case 'set':
      return [type, ((await call('SMEMBERS', key)) as string[]).sort()];
    case 'zset':
      return [type, await call('ZRANGE', key, '0', '-1', 'WITHSCORES')];
    case 'hash':
      return [type, sortedPairs((await call('HGETALL', key)) as unknown[])];
    case 'stream':
      return [type, await call('XRANGE', key, '-', '+'), await call('XINFO', 'GROUPS', key)];
  }
  return [type];
}

/** A byte string: text, an integer, raw bytes, or a long run (which LZF compresses). */
const element = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.uint8Array({ maxLength: 8 }).map((b) => fromBytes(Buffer.from(b))),
  fc.tuple(fc.constantFrom('ab', 'x', 'xyz1'), fc.integer({ min: 10, max: 400 })).map(([s, k]) => s.repeat(k)),
);
const score = fc.double({ noNaN: true, min: -1e300, max: 1e300 });

/** Commands building a value of each type under `k` (sizes on both sides of the listpack/intset limits). */
const writes: fc.Arbitrary<RedisArg[][]> = fc.oneof(
  element.map((v) => [['SET', 'k', v]]),
  fc.array(element, { minLength: 1, maxLength: 300 }).map((items) => [['RPUSH', 'k', ...items]]),
  fc.uniqueArray(element, { minLength: 1, maxLength: 200 }).map((members) => [['SADD', 'k', ...members]]),
  fc
    .uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 600 })
    .map((ints) => [['SADD', 'k', ...ints.map(String)]]),
  fc
    .uniqueArray(fc.tuple(element, score), { minLength: 1, maxLength: 200, selector: ([m]) => m })
    .map((pairs) => [['ZADD', 'k', ...pairs.flatMap(([m, s]) => [String(s), m])]]),
  fc
    .uniqueArray(fc.tuple(element, element), { minLength: 1, maxLength: 200, selector: ([f]) => f })
    .map((pairs) => [['HSET', 'k', ...pairs.flat()]]),
  fc
    .array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), element), { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 150,
    })
    .map((entries) => [
      ...entries.map((fields, i) => ['XADD', 'k', `${i + 1}-${i % 3}`, ...fields.flat()]),
      ['XGROUP', 'CREATE', 'k', 'g', '0'],
      ['XGROUP', 'CREATE', 'k', 'h', '$'],
    ]),
);

describe('DUMP and RESTORE against redis-server 7.0', () => {
  let redis: Redis;
  let store: MemoryStore;
  let redisCall: Call;
  let storeCall: Call;
  const prefix = `dump-spec:${process.pid}:`;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { lazyConnect: true });
    await redis.connect();
    store = new MemoryStore({ activeExpireInterval: 0 });
    redisCall = async (command, ...args) =>
      asStrings(await redis.callBuffer(command, ...(wireArgs(args) as (string | Buffer)[])));
    storeCall = (command, ...args) => store.call(command, ...args);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await store.close();
  });

  it("restores the store's DUMP on redis-server and redis-server's DUMP in the store, every type and encoding", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(writes, async (commands) => {
        const key = `${prefix}${run++}`;
        for (const [command, ...args] of commands) {
          const at = args.map((a) => (a === 'k' ? key : a));
          await redisCall(String(command), ...at);
          await storeCall(String(command), ...at);
        }
        const original = await contents(redisCall, key);
        expect(await contents(storeCall, key)).toEqual(original);
        const fromStore = toBytes((await storeCall('DUMP', key)) as string);
        const fromRedis = toBytes((await redisCall('DUMP', key)) as string);
        await redisCall('RESTORE', `${key}:r`, '0', fromBytes(fromStore));
        await storeCall('RESTORE', `${key}:r`, '0', fromBytes(fromRedis));
        expect(await contents(redisCall, `${key}:r`)).toEqual(original);
        expect(await contents(storeCall, `${key}:r`)).toEqual(original);
        await redisCall('DEL', key, `${key}:r`);
        await storeCall('DEL', key, `${key}:r`);
      }),
      { numRuns: 120 },
    );
  });
});
