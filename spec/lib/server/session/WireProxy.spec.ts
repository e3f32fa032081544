import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { deleteKeys, uniquePrefix } from '../../../support/backends.ts';
import { exchange } from '../helpers.ts';

interface WireBackend {
  name: string;
  url: () => string;
  direct: () => Redis | Cluster;
}

const backends: WireBackend[] = [
  { name: 'a real Redis', url: () => inject('redisUrl'), direct: () => new Redis(inject('redisUrl')) },
  {
    name: 'a real Redis Cluster',
    url: () => inject('clusterUrls')[0]!,
    direct: () => new Cluster([inject('clusterUrls')[0]!]),
  },
];

describe.each(backends)('the raw proxy over $name', (backend) => {
  const prefix = uniquePrefix('wire');
  let gears: Gears;
  let server: RxgearsServer;
  let proxy: Redis;
  let direct: Redis | Cluster;

  beforeAll(async () => {
    gears = await connect({ redis: backend.url() });
    server = await createServer(gears, { port: 0, deploymentsKey: false });
    proxy = new Redis({ port: server.port, maxRetriesPerRequest: 1 });
    direct = backend.direct();
  });

  afterAll(async () => {
    proxy?.disconnect();
    direct?.disconnect();
    if (gears) await deleteKeys(gears, `${prefix}*`);
    await server?.close();
    await gears?.close();
  });

  it('passes random binary keys and values through byte for byte, read back directly and through the proxy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 300 }), async (keyBytes, value) => {
        const key = Buffer.concat([Buffer.from(prefix), keyBytes]);
        expect(await proxy.set(key, Buffer.from(value))).toBe('OK');
        expect(await direct.getBuffer(key)).toEqual(Buffer.from(value));
        expect(await proxy.getBuffer(key)).toEqual(Buffer.from(value));
      }),
      { numRuns: 60 },
    );
    const four = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    await proxy.set(`${prefix}four`, four);
    expect(await direct.strlen(`${prefix}four`)).toBe(4);
  });

  it('answers a pipeline byte for byte as Redis itself does: 64-bit integers, errors, nil, binary bulk', async () => {
    const script = (p: string): string[][] => [
      ['SET', `${p}{n}`, '9223372036854775806'],
      ['INCR', `${p}{n}`],
      ['INCR', `${p}{n}`],
      ['GET', `${p}{n}`],
      ['HSET', `${p}{n}h`, 'a', '1', 'b', '2'],
      ['HGETALL', `${p}{n}h`],
      ['LPUSH', `${p}{n}h`, 'x'],
      ['GET', `${p}{n}missing`],
      ['ZADD', `${p}{n}z`, '1.5', 'm'],
      ['ZSCORE', `${p}{n}z`, 'm'],
      ['OBJECT', 'ENCODING', `${p}{n}h`],
    ];
    const viaProxy = await exchange(server.port, script(`${prefix}p`));
    // Straight to the node that owns the keys (all of them share the {n} tag): a cluster node's MOVED names it.
    let port = Number(new URL(backend.url()).port);
    const moved = /^-MOVED \d+ [^:]+:(\d+)/.exec((await exchange(port, [['GET', `${prefix}d{n}`]])).toString());
    if (moved) port = Number(moved[1]);
    const viaRedis = await exchange(port, script(`${prefix}d`));
    expect(viaProxy.toString('latin1')).toBe(viaRedis.toString('latin1'));
    expect(viaProxy.toString()).toContain(':9223372036854775807\r\n');
    expect(viaProxy.toString()).toContain('-ERR increment or decrement would overflow\r\n');
  });

  it('keeps random binary keys and values byte for byte in commands over several slots: MGET, EXISTS, KEYS, SCAN, DEL', async () => {
    const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 24 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyBytes, { minLength: 2, maxLength: 8, selector: (k) => Buffer.from(k).toString('hex') }),
        fc.uint8Array({ maxLength: 64 }),
        async (rawKeys, value) => {
          const run = `${prefix}x${Math.random().toString(36).slice(2, 8)}:`;
          const keys = rawKeys.map((k) => Buffer.concat([Buffer.from(run), k]));
          for (const [i, key] of keys.entries()) await direct.set(key, Buffer.concat([Buffer.from(value), Buffer.from([i])]));
          const missing = Buffer.concat([Buffer.from(run), Buffer.from([0xff, 0xfe, 0x00])]);
          const values = await proxy.mgetBuffer(...keys, missing);
          expect(values).toEqual([...keys.map((_, i) => Buffer.concat([Buffer.from(value), Buffer.from([i])])), null]);
          expect(await proxy.exists(...keys, missing)).toBe(keys.length);
          const listed = await proxy.keysBuffer(`${run}*`);
          const hex = (list: Buffer[]): string[] => list.map((k) => k.toString('hex')).sort();
          expect(hex(listed)).toEqual(hex(keys));
          const scanned: Buffer[] = [];
          let cursor = '0';
          do {
            const [next, found] = await proxy.scanBuffer(cursor, 'MATCH', `${run}*`, 'COUNT', 1000);
            cursor = next.toString();
            scanned.push(...found);
          } while (cursor !== '0');
          expect(hex(scanned)).toEqual(hex(keys));
          expect(await proxy.del(...keys)).toBe(keys.length);
          for (const key of keys) expect(await direct.exists(key)).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps a client\'s pipelined replies in order when its keys live on different nodes', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `${prefix}order:${i}`);
    const pipeline = proxy.pipeline();
    keys.forEach((key, i) => pipeline.set(key, String(i)).get(key));
    const results = (await pipeline.exec())!;
    expect(results.filter((_, i) => i % 2 === 1).map(([, v]) => v)).toEqual(keys.map((_, i) => String(i)));
  });

  it('speaks RESP3 after HELLO 3 with Redis\' own shapes: a map for HGETALL, a double for ZSCORE', async () => {
    await proxy.hset(`${prefix}{r3}h`, 'f', 'v');
    await proxy.zadd(`${prefix}{r3}z`, '2.5', 'm');
    const reply = await exchange(server.port, [
      ['HELLO', '3'],
      ['HGETALL', `${prefix}{r3}h`],
      ['ZSCORE', `${prefix}{r3}z`, 'm'],
      ['GET', `${prefix}{r3}missing`],
    ]);
    const text = reply.toString();
    expect(text).toContain('%1\r\n$1\r\nf\r\n$1\r\nv\r\n,2.5\r\n_\r\n');
  });
});
