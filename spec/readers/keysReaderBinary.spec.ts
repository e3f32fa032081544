/**
 * KeysReader over keys whose names (and values) are not UTF-8 (issue 11): a key comes as its store string
 * (UTF-8 text, other bytes as lone surrogates: lib/store/bytes.ts), `toBytes(record.key)` is the key's bytes,
 * and `execute()` with that string writes the same key — on every backend, batch runs and registrations alike.
 */
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execute, fromBytes, toBytes, type Gears } from '../../lib/index.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../support/backends.ts';
import { until } from '../support/until.ts';

const hex = (list: Buffer[]): string[] => list.map((b) => b.toString('hex')).sort();

describe.each(allBackends())('KeysReader over binary key names on $name', (backend) => {
  const prefix = uniquePrefix('binkeys');
  let gears: Gears;
  let direct: Redis | Cluster | undefined;

  /** Writes straight to the store: Redis itself with Buffers, or the embedded store through the engine. */
  async function write(command: string, ...args: Buffer[]): Promise<void> {
    if (direct) await direct.callBuffer(command, ...args);
    else await gears.execute(command, ...args.map(fromBytes));
  }

  async function readString(key: Buffer): Promise<Buffer | null> {
    if (direct) return direct.getBuffer(key);
    const value = await gears.execute('GET', fromBytes(key));
    return value === null ? null : toBytes(String(value));
  }

  beforeAll(async () => {
    gears = await backend.connect();
    if (backend.name === 'redis') direct = new Redis(inject('redisUrl'));
    if (backend.name === 'cluster') direct = new Cluster([inject('clusterUrls')[0]!]);
  });

  afterAll(async () => {
    direct?.disconnect();
    if (gears) {
      for (const r of gears.dumpRegistrations()) gears.unregister(r.id);
      await deleteKeys(gears, `${prefix}*`);
      await gears.close();
    }
  });

  it('reads random binary keys and values without corruption, and writes back to the same bytes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 20 }), {
          minLength: 1,
          maxLength: 5,
          selector: (k) => Buffer.from(k).toString('hex'),
        }),
        fc.uint8Array({ maxLength: 40 }),
        async (names, raw) => {
          const runPrefix = `${prefix}r${run++}:`;
          const keys = names.map((name) => Buffer.concat([Buffer.from(`${runPrefix}s:`), name]));
          const hashKey = Buffer.concat([Buffer.from(`${runPrefix}h:`), Buffer.from([0xff])]);
          const value = Buffer.from(raw);
          for (const key of keys) await write('SET', key, value);
          await write('HSET', hashKey, value, value);
          const { results, errors } = await gears
            .GB('KeysReader')
            .map((r) => ({ key: r.key, type: r.type, value: r.value }))
            .run(`${runPrefix}*`);
          expect(errors).toEqual([]);
          const strings = results.filter((r) => r.type === 'string');
          expect(hex(strings.map((r) => toBytes(r.key)))).toEqual(hex(keys));
          for (const r of strings) expect(toBytes(String(r.value))).toEqual(value);
          const hash = results.find((r) => r.type === 'hash')!;
          expect(toBytes(hash.key)).toEqual(hashKey);
          const fields = hash.value as Record<string, string>;
          expect(Object.entries(fields).map(([f, v]) => [toBytes(f), toBytes(v)])).toEqual([[value, value]]);
          // A write with the record's key string reaches the key the reader read.
          await gears
            .GB('KeysReader')
            .filter((r) => r.type === 'string')
            .foreach(async (r) => void (await execute('APPEND', r.key, fromBytes(Buffer.from([0x80, 0x21])))))
            .run(`${runPrefix}*`);
          for (const key of keys) expect(await readString(key)).toEqual(Buffer.concat([value, Buffer.from([0x80, 0x21])]));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('a registration gets the event of a binary key with its exact bytes', async () => {
    const seen: string[] = [];
    await gears
      .GB('KeysReader')
      .foreach((r) => void seen.push(r.key))
      .register({ prefix: `${prefix}ev:*`, mode: 'async_local', readValue: false });
    const key = Buffer.concat([Buffer.from(`${prefix}ev:`), Buffer.from([0xc3, 0x28, 0xff, 0x00, 0xe2, 0x82])]);
    await write('SET', key, Buffer.from([0xfe]));
    await until(() => seen.length > 0, 'the registration to see the write');
    expect(toBytes(seen[0]!)).toEqual(key);
  });
});
