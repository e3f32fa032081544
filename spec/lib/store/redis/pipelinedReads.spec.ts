import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashSlot } from '../../../../lib/cluster/slots.ts';
import { slotTable, type Topology } from '../../../../lib/cluster/topology.ts';
import { RedisReplyError } from '../../../../lib/errors.ts';
import { createRedisTopology } from '../../../../lib/cluster/redisTopology.ts';
import { RedisConnectionError, RedisStore } from '../../../../lib/store/redis/index.ts';
import type { KeyData } from '../../../../lib/store/ShardStore.ts';
import { startRedis } from '../../../../lib/testing/servers.ts';
import { deletePrefix, uniquePrefix } from './helpers.ts';
import { Redis } from 'ioredis';
import { readKeysByPipeline, type PipelineGuess } from '../../../../lib/store/redis/readKeys.ts';

// The 'pipeline' read strategy (the default) reads on a raw connection of the store's own once the store's
// command connection is ready: every store below sends a PING first, so that its reads take that path.

const prefix = uniquePrefix('piped');
let admin: RedisStore;
let piped: RedisStore;
let scripted: RedisStore;

beforeAll(async () => {
  admin = new RedisStore(inject('redisUrl'));
  piped = new RedisStore(inject('redisUrl'), { readStrategy: 'pipeline' });
  scripted = new RedisStore(inject('redisUrl'), { readStrategy: 'script' });
  await Promise.all([admin, piped, scripted].map((s) => s.call('PING')));
  const p = prefix;
  await admin.call('SET', `${p}string`, 'hello');
  await admin.call('HSET', `${p}hash`, 'name', 'Rick', '__proto__', 'x');
  await admin.call('RPUSH', `${p}list`, 'a', 'b');
  await admin.call('SADD', `${p}set`, 'x', 'y');
  await admin.call('ZADD', `${p}zset`, '1.5', 'one', 'inf', 'top');
  await admin.call('XADD', `${p}stream`, '1-1', 'f', 'v');
  for (let i = 0; i < 3; i++) {
    await admin.call('HSET', `${p}hash${i}`, 'i', String(i));
    await admin.call('SET', `${p}string${i}`, String(i));
    await admin.call('RPUSH', `${p}list${i}`, String(i));
  }
});

afterAll(async () => {
  await deletePrefix(admin, prefix);
  await Promise.all([admin, piped, scripted].map((s) => s.close()));
});

const sortSets = (data: KeyData[]): KeyData[] =>
  data.map((d) => (d.type === 'set' && d.value ? { ...d, value: [...d.value].sort() } : d));

describe('readKeys on the raw pipelined path', () => {
  const names = ['string', 'hash', 'list', 'set', 'zset', 'stream', 'missing', 'hash0', 'hash1', 'hash2']
    .concat(['string0', 'string1', 'string2', 'list0', 'list1', 'list2'])
    .map((name) => prefix + name);

  it('reads any sequence of types, with any guess left by the batch before, as the read script does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom(...names), { maxLength: 20 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (batches, readValue) => {
          for (const keys of batches) {
            const [byScript, byPipeline] = await Promise.all([
              scripted.readKeys(keys, { readValue }),
              piped.readKeys(keys, { readValue }),
            ]);
            expect(sortSets(byPipeline)).toEqual(sortSets(byScript));
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('reads a key of another type than the guess (WRONGTYPE) the long way, and a vanished key as gone', async () => {
    const p = prefix;
    await piped.readKeys([`${p}hash0`]); // the guess is now 'hash'
    expect(await piped.readKeys([`${p}hash1`, `${p}string0`, `${p}stream`, `${p}gone`, `${p}hash2`])).toEqual([
      { key: `${p}hash1`, type: 'hash', value: { i: '1' } },
      { key: `${p}string0`, type: 'string', value: '0' },
      { key: `${p}stream`, type: 'stream', value: null },
      { key: `${p}gone`, type: 'none', value: null },
      { key: `${p}hash2`, type: 'hash', value: { i: '2' } },
    ]);
    for (const type of ['string', 'hash', 'list']) {
      await piped.readKeys([`${p}${type}0`]); // guess: this type
      await admin.call('SET', `${p}vanishing`, '1');
      await admin.call('DEL', `${p}vanishing`);
      expect(await piped.readKeys([`${p}vanishing`])).toEqual([{ key: `${p}vanishing`, type: 'none', value: null }]);
    }
  });

  it('keeps non-ASCII keys, fields and values as UTF-8, and big values whole', async () => {
    const key = `${prefix}ключ:é`;
    const big = 'x'.repeat(200_000);
    await admin.call('HSET', key, 'поле', 'значение ✓', 'big', big);
    const [data] = await piped.readKeys([key]);
    expect(data).toEqual({ key, type: 'hash', value: { поле: 'значение ✓', big } });
  });

  it("keeps fields named like Object.prototype's members as own fields, the prototype untouched", async () => {
    const key = `${prefix}protofields`;
    const fields = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];
    await admin.call('HSET', key, ...fields.flatMap((f) => [f, `v-${f}`]));
    const [data] = await piped.readKeys([key]);
    const value = data!.value as Record<string, string>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value).sort()).toEqual([...fields].sort());
    for (const field of fields) expect(Object.getOwnPropertyDescriptor(value, field)?.value).toBe(`v-${field}`);
  });

  it("reads the keys under the client's keyPrefix, as ioredis does, with SCAN's pattern left as it is", async () => {
    const keyPrefix = `${prefix}kp:`;
    const store = new RedisStore(inject('redisUrl'), { redisOptions: { keyPrefix } });
    try {
      await store.call('PING');
      await admin.call('HSET', `${keyPrefix}h`, 'name', 'Rick');
      await admin.call('SET', `${keyPrefix}ключ`, 'v');
      await admin.call('SET', 'h', 'not this one'); // the unprefixed name: never read
      expect(await store.readKeys(['h', 'ключ', 'gone'])).toEqual([
        { key: 'h', type: 'hash', value: { name: 'Rick' } },
        { key: 'ключ', type: 'string', value: 'v' },
        { key: 'gone', type: 'none', value: null },
      ]);
      expect(await store.readKeys(['h', 'ключ'], { readValue: false })).toEqual([
        { key: 'h', type: 'hash', value: null },
        { key: 'ключ', type: 'string', value: null },
      ]);
      const keys: string[] = [];
      let cursor = '0';
      do {
        const page = await store.scan(cursor, { match: `${keyPrefix}*` });
        keys.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== '0');
      expect(keys.sort()).toEqual([`${keyPrefix}h`, `${keyPrefix}ключ`].sort());
    } finally {
      await admin.call('DEL', 'h');
      await store.close();
    }
  });

  it('reads hashes whose field names repeat, change or differ in one letter, ASCII or not, as the read script does', async () => {
    // The pipelined reader reuses the field names of the hash before when the bytes match, and decodes an ASCII
    // batch's text differently from one holding other bytes: mixes of both, against the script's reads.
    const field = fc.constantFrom('name', 'nick', 'age', 'agé', 'ägé', '', 'n', '__proto__', 'toString');
    const value = fc.oneof(
      fc.constantFrom('', 'x', 'First Family12', 'é', 'ключ ✓'),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    );
    const hash = fc.uniqueArray(fc.tuple(field, value), { minLength: 1, maxLength: 5, selector: ([f]) => f });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hash, { minLength: 1, maxLength: 12 }), async (hashes) => {
        const keys = hashes.map((_, i) => `${prefix}fields:${run}:${i}`);
        run++;
        for (let i = 0; i < hashes.length; i++) await admin.call('HSET', keys[i]!, ...hashes[i]!.flat());
        await piped.readKeys([`${prefix}hash0`]); // the guess: hash
        const [byScript, byPipeline] = await Promise.all([scripted.readKeys(keys), piped.readKeys(keys)]);
        expect(byPipeline).toEqual(byScript);
        for (let i = 0; i < hashes.length; i++) {
          const fields = byPipeline[i]!.value as Record<string, string>;
          expect(Object.keys(fields).sort()).toEqual(hashes[i]!.map(([f]) => f).sort());
          for (const [f, v] of hashes[i]!) expect(Object.getOwnPropertyDescriptor(fields, f)?.value).toBe(v);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reads batches of thousands of keys, several at once, each in its order', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `${prefix}many:${i}`);
    for (let i = 0; i < keys.length; i += 500) {
      await admin.call('MSET', ...keys.slice(i, i + 500).flatMap((k) => [k, k.slice(prefix.length)]));
    }
    const reads = await Promise.all([0, 1000, 2000].map((start) => piped.readKeys(keys.slice(start, start + 1000))));
    expect(reads.flat().map((d) => d.value)).toEqual(keys.map((k) => k.slice(prefix.length)));
  });

  it('rejects with the reply of an error other than WRONGTYPE (a read the ACL refuses)', async () => {
    const user = `${prefix}nohgetall`.replace(/:/g, '-');
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-hgetall');
    const url = new URL(inject('redisUrl'));
    url.username = user;
    url.password = 'pw';
    const limited = new RedisStore(url.toString());
    try {
      await limited.call('PING');
      const error = await limited.readKeys([`${prefix}string0`, `${prefix}hash0`]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisReplyError);
      expect((error as Error).message).toMatch(/^NOPERM .*hgetall/);
      // The connection stays in step: the next read answers normally.
      expect(await limited.readKeys([`${prefix}string1`])).toEqual([
        { key: `${prefix}string1`, type: 'string', value: '1' },
      ]);
    } finally {
      await limited.close();
      await admin.call('ACL', 'DELUSER', user);
    }
  });

  it('reads again on a new connection when its connection was killed', async () => {
    await piped.readKeys([`${prefix}hash0`]);
    const clients = String(await admin.call('CLIENT', 'LIST')).split('\n');
    const raw = clients.filter((line) => / cmd=(hgetall|type) /.test(line)).map((line) => /\bid=(\d+)/.exec(line)![1]!);
    expect(raw.length).toBeGreaterThan(0);
    for (const id of raw) await admin.call('CLIENT', 'KILL', 'ID', id);
    expect(await piped.readKeys([`${prefix}hash1`])).toEqual([
      { key: `${prefix}hash1`, type: 'hash', value: { i: '1' } },
    ]);
  });

  it('rejects with a RedisConnectionError after the command timeout on a node that stopped answering', async () => {
    const server = await startRedis();
    const store = new RedisStore(server.url, { redisOptions: { commandTimeout: 300 } });
    try {
      await store.call('HSET', 'h', 'f', 'v');
      expect(await store.readKeys(['h'])).toEqual([{ key: 'h', type: 'hash', value: { f: 'v' } }]);
      server.process.kill('SIGSTOP');
      const error = await store.readKeys(['h']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisConnectionError);
      expect((error as Error).message).toMatch(/timed out/);
    } finally {
      server.process.kill('SIGCONT');
      await store.close();
      await server.stop();
    }
  });

  it('rejects after close', async () => {
    const store = new RedisStore(inject('redisUrl'));
    await store.call('PING');
    await store.close();
    await expect(store.readKeys([`${prefix}hash0`])).rejects.toBeInstanceOf(RedisConnectionError);
  });
});

describe('readKeys through ioredis (a connection not ready yet, a Sentinel failover)', () => {
  const names = ['string', 'hash', 'list', 'set', 'zset', 'stream', 'missing', 'hash0', 'hash1', 'hash2']
    .concat(['string0', 'string1', 'string2', 'list0', 'list1', 'list2', 'binary', 'binaryhash', 'replacement'])
    .map((name) => prefix + name);
  let client: Redis;

  beforeAll(async () => {
    client = new Redis(inject('redisUrl'));
    const p = prefix;
    // Bytes that are not UTF-8 (ioredis' text replies show them as U+FFFD: read again as bytes), and U+FFFD itself.
    await client.set(`${p}binary`, Buffer.from([0x61, 0xff, 0xfe]));
    await client.hset(`${p}binaryhash`, Buffer.from([0xc3]), Buffer.from([0x80, 0x80]), 'plain', 'text');
    await client.set(`${p}replacement`, 'a\ufffdb');
  });

  afterAll(() => client.disconnect());

  it('reads any sequence of types, guessing from the batch before, as the read script does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom(...names), { maxLength: 20 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (batches, readValue) => {
          const guess: PipelineGuess = { type: undefined };
          for (const keys of batches) {
            const [byScript, byPipeline] = await Promise.all([
              scripted.readKeys(keys, { readValue }),
              readKeysByPipeline(client, keys, readValue, guess),
            ]);
            expect(sortSets(byPipeline)).toEqual(sortSets(byScript));
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('reads a key of another type than the guess the long way, and keeps bytes that are not UTF-8', async () => {
    const p = prefix;
    const guess: PipelineGuess = { type: 'hash' };
    const read = await readKeysByPipeline(
      client,
      [`${p}hash1`, `${p}binary`, `${p}gone`, `${p}binaryhash`],
      true,
      guess,
    );
    expect(read).toEqual([
      { key: `${p}hash1`, type: 'hash', value: { i: '1' } },
      { key: `${p}binary`, type: 'string', value: 'a\udcff\udcfe' },
      { key: `${p}gone`, type: 'none', value: null },
      { key: `${p}binaryhash`, type: 'hash', value: { '\udcc3': '\udc80\udc80', plain: 'text' } },
    ]);
    expect(guess.type).toBe('string'); // the last key read with a value: `binary`, the long way
  });
});

describe('readKeys on a Cluster master', () => {
  let topology: Topology;
  const clusterPrefix = uniquePrefix('piped-cluster');

  beforeAll(async () => {
    topology = await createRedisTopology(inject('clusterUrls')[0]!);
    await Promise.all(topology.shards.map((s) => s.store.call('PING')));
  });
  afterAll(async () => {
    for (const shard of topology.shards) await deletePrefix(shard.store, `*}:${clusterPrefix}`);
    await topology.close();
  });

  it('reads keys of several slots this master owns, and rejects naming MOVED for a key another master owns (ASKING does not help)', async () => {
    const table = slotTable(topology.shards);
    const keys = ['person:1', 'person:5', 'person:3'].map((name) => `{${name}}:${clusterPrefix}`);
    for (const key of keys) await topology.shards[table[hashSlot(key)]!]!.store.call('HSET', key, 'k', key);
    const owner = topology.shards[table[hashSlot(keys[0]!)]!]!.store;
    expect(table[hashSlot(keys[1]!)]).toBe(table[hashSlot(keys[0]!)]);
    expect(table[hashSlot(keys[2]!)]).not.toBe(table[hashSlot(keys[0]!)]);
    expect(await owner.readKeys(keys.slice(0, 2))).toEqual(
      keys.slice(0, 2).map((key) => ({ key, type: 'hash', value: { k: key } })),
    );
    // A key whose slot is elsewhere (as after a reshard between SCAN and the read), with and without a guess:
    // read again after ASKING, it is still MOVED (this master does not import the slot).
    for (const readValue of [true, false]) {
      const error = await owner.readKeys(keys, { readValue }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisReplyError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Redis 127\\.0\\.0\\.1:\\d+: key '\\{person:3\\}:${clusterPrefix}' is no longer served here ` +
            `\\(MOVED ${hashSlot(keys[2]!)} 127\\.0\\.0\\.1:\\d+\\): the cluster changed while it was read`,
        ),
      );
    }
    expect(await owner.readKeys([keys[1]!])).toEqual([{ key: keys[1], type: 'hash', value: { k: keys[1] } }]);
  });
});
