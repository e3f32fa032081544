/**
 * Bytes are bytes through the engine's path of `rxgears serve` (issue 11): a hooked command's arguments reach
 * its gear as store strings (UTF-8 text, other bytes as lone surrogates: lib/store/bytes.ts) and go on —
 * through `callNext`, through `execute`, as the forwarded command — as the bytes the client sent; the replies
 * come back byte for byte. Also the engine's cross-slot path (MGET, DEL, KEYS, SCAN taken from the raw path by a
 * hook that applies to no key). Random byte strings, on every backend, read back directly and through the proxy.
 */
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { callNext, execute, type Gears } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';
import { fromBytes, toBytes } from '../../../lib/store/bytes.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../../support/backends.ts';

/** Strings a gear saw, as the bytes they stand for. */
const bytesOf = (value: unknown): Buffer => toBytes(String(value));

describe.each(allBackends())('binary arguments through hooked commands on $name', (backend) => {
  const prefix = uniquePrefix('binhook');
  let gears: Gears;
  let server: RxgearsServer;
  let proxy: Redis;
  let direct: Redis | Cluster | undefined;
  const seen: unknown[][] = [];

  /** A string value read straight from the store (Redis itself, or the embedded store), as bytes. */
  async function readDirect(command: 'GET' | 'HGET', ...args: Buffer[]): Promise<Buffer | null> {
    if (direct) {
      const reply = await direct.callBuffer(command, ...args);
      return reply === null ? null : (reply as Buffer);
    }
    const reply = await gears.execute(command, ...args.map(fromBytes));
    return reply === null ? null : toBytes(String(reply));
  }

  beforeAll(async () => {
    gears = await backend.connect();
    server = await createServer(gears, { port: 0, deploymentsKey: false });
    proxy = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    if (backend.name === 'redis') direct = new Redis(inject('redisUrl'));
    if (backend.name === 'cluster') direct = new Cluster([inject('clusterUrls')[0]!]);
    // SET: the gear notes what it saw and passes the arguments on through the chain.
    await gears
      .GB('CommandReader')
      .map(async (args) => {
        seen.push(args);
        return callNext(...args.slice(1));
      })
      .register({ hook: 'set', mode: 'sync' });
    // HSET: the gear writes with execute() instead, the strings it saw as they are.
    await gears
      .GB('CommandReader')
      .map(async ([, key, field, value]) => execute('HSET', key!, field!, value!))
      .register({ hook: 'hset', mode: 'sync' });
    // GET: the reply of callNext (a binary value) is the command's reply.
    await gears
      .GB('CommandReader')
      .map(async ([, key]) => callNext(key!))
      .register({ hook: 'get', mode: 'sync' });
    // Hooks that apply to no key: the commands leave the raw path for the engine's (split per key on a cluster).
    for (const hook of ['mget', 'del', 'keys', 'scan']) {
      await gears
        .GB('CommandReader')
        .map(() => 'never')
        .register({ hook, keyPrefix: 'no-such-prefix:', mode: 'sync' });
    }
  });

  afterAll(async () => {
    proxy?.disconnect();
    direct?.disconnect();
    if (gears) {
      for (const r of gears.dumpRegistrations()) gears.unregister(r.id);
      await deleteKeys(gears, `${prefix}*`);
    }
    await server?.close();
    await gears?.close();
  });

  it('SET, HSET and GET hooked: the gear sees lossless strings, the store gets and returns the bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 30 }), fc.uint8Array({ maxLength: 200 }), async (keyBytes, raw) => {
        const key = Buffer.concat([Buffer.from(prefix), keyBytes]);
        const value = Buffer.from(raw);
        seen.length = 0;
        expect(await proxy.set(key, value)).toBe('OK');
        expect(seen).toHaveLength(1);
        const [command, seenKey, seenValue] = seen[0]!;
        expect(String(command).toLowerCase()).toBe('set');
        expect(typeof seenKey).toBe('string');
        expect(bytesOf(seenKey)).toEqual(key);
        expect(bytesOf(seenValue)).toEqual(value);
        expect(await readDirect('GET', key)).toEqual(value);
        expect(await proxy.getBuffer(key)).toEqual(value);

        const hash = Buffer.concat([Buffer.from(`${prefix}h:`), keyBytes]);
        await proxy.del(hash); // a key already drawn before: the field is new again
        expect(await proxy.hset(hash, value, key)).toBe(1);
        expect(await readDirect('HGET', hash, value)).toEqual(key);
        expect(await proxy.hgetBuffer(hash, value)).toEqual(key);
      }),
      { numRuns: 40 },
    );
    const four = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    await proxy.set(Buffer.from(`${prefix}four`), four);
    expect(await readDirect('GET', Buffer.from(`${prefix}four`))).toEqual(four);
  });

  it('MGET, DEL, KEYS and SCAN on the engine path keep random binary keys and values byte for byte', async () => {
    const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 24 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyBytes, { minLength: 2, maxLength: 6, selector: (k) => Buffer.from(k).toString('hex') }),
        fc.uint8Array({ maxLength: 64 }),
        async (rawKeys, raw) => {
          const runPrefix = `${prefix}x${run++}:`;
          const keys = rawKeys.map((k) => Buffer.concat([Buffer.from(runPrefix), k]));
          const valueOf = (i: number): Buffer => Buffer.concat([Buffer.from(raw), Buffer.from([i])]);
          for (const [i, key] of keys.entries()) expect(await proxy.set(key, valueOf(i))).toBe('OK');
          const missing = Buffer.concat([Buffer.from(runPrefix), Buffer.from([0xff, 0xfe, 0x00])]);
          expect(await proxy.mgetBuffer(...keys, missing)).toEqual([...keys.map((_, i) => valueOf(i)), null]);
          const hex = (list: Buffer[]): string[] => list.map((k) => k.toString('hex')).sort();
          expect(hex(await proxy.keysBuffer(`${runPrefix}*`))).toEqual(hex(keys));
          const scanned: Buffer[] = [];
          let cursor = '0';
          do {
            const [next, found] = await proxy.scanBuffer(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000);
            cursor = next.toString();
            scanned.push(...found);
          } while (cursor !== '0');
          expect(hex(scanned)).toEqual(hex(keys));
          expect(await proxy.del(...keys)).toBe(keys.length);
          for (const key of keys) expect(await readDirect('GET', key)).toBeNull();
        },
      ),
      { numRuns: 20 },
    );
  });
});
