import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis, type Cluster } from 'ioredis';
import type * as IORedis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, GearsError, type Gears } from '../../lib/index.ts';
import { uniquePrefix } from '../support/backends.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let gears: Gears | undefined;
afterEach(async () => {
  await gears?.close();
  gears = undefined;
});

describe('connect({ redis }) refuses what is not Redis', () => {
  const shape = 'expected redis://[user:password@]host[:port][/db] or rediss://…';
  it.each([
    ['http://x', `connect(): 'http://x' is not a Redis URL (scheme 'http' is not redis or rediss); ${shape}`],
    [
      'localhost:6379',
      `connect(): 'localhost:6379' is not a Redis URL (scheme 'localhost' is not redis or rediss); ${shape}`,
    ],
    ['not a url', `connect(): 'not a url' is not a Redis URL (not a URL); ${shape}`],
    ['redis://', `connect(): 'redis://' is not a Redis URL (no host); ${shape}`],
    [
      'redis://u:secret@h:1/x',
      `connect(): 'redis://***@h:1/x' is not a Redis URL (database 'x' is not a number); ${shape}`,
    ],
    ['redis://h:99999', `connect(): 'redis://h:99999' is not a Redis URL (not a URL); ${shape}`],
  ])('%s: one GearsError, before any connection', async (url, message) => {
    await expect(connect(url)).rejects.toThrow(new GearsError(message));
    await expect(connect({ redis: url })).rejects.toThrow(new GearsError(message));
  });

  const prefix = "connect(): 'redis' must be a redis:// URL or an ioredis Redis or Cluster client, got";
  it.each([
    [
      { host: '127.0.0.1', port: 6379 },
      `${prefix} an object { host, port } (for connection options, pass new Redis({ host, port }) or a URL)`,
    ],
    [null, `${prefix} null`],
    [6379, `${prefix} number 6379`],
    [() => undefined, `${prefix} a function`],
    [new Map(), `${prefix} a Map {}`],
  ])('%o: a GearsError naming it', async (redis, message) => {
    await expect(connect({ redis: redis as never })).rejects.toThrow(new GearsError(message));
  });
});

describe('connect({ redis: client }) with a client of another copy of ioredis', () => {
  // A second, real copy of the installed ioredis: its classes fail `instanceof` against rxgears' copy, as
  // an application's ioredis 6 beside a nested 5 would (spec/package covers real 5 and 6 installs).
  const copy = join(root, 'node_modules', '.rxgears-spec-ioredis-copy');
  let Other: typeof Redis;
  let OtherCluster: typeof Cluster;
  beforeAll(() => {
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy, { recursive: true });
    cpSync(join(root, 'node_modules', 'ioredis'), join(copy, 'ioredis'), { recursive: true });
    const other = createRequire(join(copy, 'ioredis', 'package.json'))('./built/index.js') as typeof IORedis;
    Other = other.Redis;
    OtherCluster = other.Cluster;
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('uses a standalone client of the other copy as the connection (not as options)', async () => {
    const client = new Other(inject('redisUrl'));
    expect(client instanceof Redis).toBe(false);
    const p = uniquePrefix('copy');
    try {
      await client.set(`${p}:a`, '1');
      await client.set(`${p}:b`, '2');
      gears = await connect({ redis: client });
      expect(gears.topology.kind).toBe('redis');
      const { results, errors } = await gears
        .GB()
        .map((r) => r.key)
        .run(`${p}:*`);
      expect(errors).toEqual([]);
      expect([...results].sort()).toEqual([`${p}:a`, `${p}:b`]);
      await gears.close();
      gears = undefined;
      expect(await client.get(`${p}:a`)).toBe('1'); // still the user's, still open
      await client.del(`${p}:a`, `${p}:b`);
    } finally {
      client.disconnect();
    }
  });

  it('uses a Cluster client of the other copy as a Cluster', async () => {
    const [first] = inject('clusterUrls');
    const url = new URL(first!);
    const client = new OtherCluster([{ host: url.hostname, port: Number(url.port) }]);
    try {
      gears = await connect({ redis: client });
      expect(gears.topology.kind).toBe('cluster');
      expect(gears.shards).toHaveLength(3);
      expect((await gears.GB('ShardsIDReader').run()).results).toHaveLength(3);
    } finally {
      client.disconnect();
    }
  });
});
