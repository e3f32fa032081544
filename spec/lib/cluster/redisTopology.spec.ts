import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { STANDALONE_SHARD_ID, slotTable, type Topology } from '../../../lib/cluster/topology.ts';
import { createRedisTopology } from '../../../lib/cluster/redisTopology.ts';
import { startRedisCluster } from '../../../lib/testing/servers.ts';
import { deletePrefix, scanAll, uniquePrefix } from '../store/redis/helpers.ts';

const run = promisify(execFile);

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** `CLUSTER MYID` of every node, by port. */
async function nodeIds(urls: readonly string[]): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  for (const url of urls) {
    const client = new Redis(url);
    ids.set(portOf(url), String(await client.call('CLUSTER', 'MYID')));
    client.disconnect();
  }
  return ids;
}

describe('standalone Redis', () => {
  it('is one shard with the all-zeros id and every slot', async () => {
    const topology = await createRedisTopology(inject('redisUrl'));
    try {
      expect(topology.kind).toBe('redis');
      expect(topology.shards).toHaveLength(1);
      const [shard] = topology.shards;
      expect(shard!.id).toBe(STANDALONE_SHARD_ID);
      expect(shard!.slots).toEqual([[0, 16383]]);
      expect(shard!.store.kind).toBe('redis');
      expect(await shard!.store.call('PING')).toBe('PONG');
      const before = topology.shards;
      await topology.refresh();
      expect(topology.shards).toBe(before);
    } finally {
      await topology.close();
      await topology.close();
    }
  });

  it('uses an ioredis client passed in and leaves it open', async () => {
    const client = new Redis(inject('redisUrl'));
    try {
      const topology = await createRedisTopology(client);
      expect(topology.shards.map((s) => s.id)).toEqual([STANDALONE_SHARD_ID]);
      expect(await topology.shards[0]!.store.call('ECHO', 'hi')).toBe('hi');
      await topology.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});

describe('Redis Cluster', () => {
  let topology: Topology;
  let ids: Map<number, string>;
  const urls = inject('clusterUrls');
  const prefix = uniquePrefix('topology');

  beforeAll(async () => {
    topology = await createRedisTopology(urls[0]!);
    ids = await nodeIds(urls);
  });
  afterAll(async () => {
    for (const shard of topology.shards) await deletePrefix(shard.store, `*}:${prefix}`);
    await topology.close();
  });

  it('is one shard per master, ids from CLUSTER MYID, ordered by slot', async () => {
    expect(topology.kind).toBe('cluster');
    expect(topology.shards.map((s) => s.slots)).toEqual([[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
    for (const shard of topology.shards) {
      expect(shard.id).toMatch(/^[0-9a-f]{40}$/);
      expect(await shard.store.call('CLUSTER', 'MYID')).toBe(shard.id);
    }
    expect(new Set(topology.shards.map((s) => s.id))).toEqual(new Set(ids.values()));
  });

  it('puts keys on the shard that owns their slot ({hashtag} honoured)', async () => {
    const table = slotTable(topology.shards);
    const names = ['person:1', 'person:2', 'person:3', 'person:4', 'person:5', 'foo'];
    for (const name of names) {
      const key = `{${name}}:${prefix}`;
      expect(hashSlot(key)).toBe(hashSlot(name));
      // Writing through the owner works; any other master would answer MOVED.
      await topology.shards[table[hashSlot(key)]!]!.store.call('SET', key, name);
    }
    const found = await Promise.all(topology.shards.map((s) => scanAll(s.store, `{*}:${prefix}`)));
    expect(found).toEqual([
      [`{person:1}:${prefix}`, `{person:5}:${prefix}`],
      [`{person:3}:${prefix}`, `{person:4}:${prefix}`],
      [`{foo}:${prefix}`, `{person:2}:${prefix}`],
    ]);
    // One script reads keys of several slots, as long as this master owns them all.
    expect(await topology.shards[0]!.store.readKeys(found[0]!)).toEqual([
      { key: `{person:1}:${prefix}`, type: 'string', value: 'person:1' },
      { key: `{person:5}:${prefix}`, type: 'string', value: 'person:5' },
    ]);
  });

  it('answers MOVED from a master that does not own the slot', async () => {
    await expect(topology.shards[1]!.store.call('GET', 'person:1')).rejects.toThrow(/^MOVED \d+ 127\.0\.0\.1:\d+$/);
  });

  it('refresh is idempotent: same shards, same stores, same array', async () => {
    const before = topology.shards;
    const stores = before.map((s) => s.store);
    await Promise.all([topology.refresh(), topology.refresh()]);
    await topology.refresh();
    expect(topology.shards).toBe(before);
    expect(topology.shards.map((s) => s.store)).toEqual(stores);
    expect(await topology.shards[0]!.store.call('PING')).toBe('PONG');
  });

  it('is detected from an ioredis Redis client connected to one node', async () => {
    const client = new Redis(urls[1]!);
    try {
      const fromClient = await createRedisTopology(client);
      expect(fromClient.kind).toBe('cluster');
      expect(fromClient.shards.map((s) => s.id)).toEqual(topology.shards.map((s) => s.id));
      await fromClient.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('uses an ioredis Cluster client passed in and leaves it open', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: portOf(urls[2]!) }]);
    try {
      const fromCluster = await createRedisTopology(cluster);
      expect(fromCluster.kind).toBe('cluster');
      expect(fromCluster.shards.map((s) => s.id)).toEqual(topology.shards.map((s) => s.id));
      await fromCluster.close();
      expect(await cluster.set(`{person:1}:${prefix}:c`, '1')).toBe('OK');
      expect(await cluster.del(`{person:1}:${prefix}:c`)).toBe(1);
    } finally {
      cluster.disconnect();
    }
  });

  it('connects to every master with the user and password of the URL', async () => {
    const user = `rx${prefix.replace(/[^a-z0-9]/gi, '')}`;
    const acl = async (...args: string[]): Promise<void> => {
      for (const url of urls) {
        const client = new Redis(url);
        await client.call('ACL', ...args);
        client.disconnect();
      }
    };
    await acl('SETUSER', user, 'on', '>s3cret', '~*', '&*', '+@all');
    try {
      const { hostname, port } = new URL(urls[0]!);
      const secured = await createRedisTopology(`redis://${user}:s3cret@${hostname}:${port}`);
      try {
        expect(secured.shards).toHaveLength(3);
        for (const shard of secured.shards) expect(await shard.store.call('ACL', 'WHOAMI')).toBe(user);
      } finally {
        await secured.close();
      }
    } finally {
      await acl('DELUSER', user);
    }
  });
});

describe('Redis Cluster refresh after a reshard', () => {
  it('takes the new slots, keeps the stores of the masters it knew and orders shards by first slot', async () => {
    const cluster = await startRedisCluster();
    const topology = await createRedisTopology(cluster.urls[0]!);
    try {
      const before = topology.shards;
      const [first, second] = before;
      const seed = `${cluster.nodes[0]!.host}:${cluster.nodes[0]!.port}`;
      await run('redis-cli', [
        '--cluster',
        'reshard',
        seed,
        '--cluster-from',
        first!.id,
        '--cluster-to',
        second!.id,
        '--cluster-slots',
        '100',
        '--cluster-yes',
      ]);
      await topology.refresh();
      expect(topology.shards).not.toBe(before);
      // The master that received slots 0-99 now owns slot 0, so it comes first.
      expect(topology.shards.map((s) => s.id)).toEqual([second!.id, first!.id, before[2]!.id]);
      expect(topology.shards.map((s) => s.store)).toEqual([second!.store, first!.store, before[2]!.store]);
      expect(topology.shards.map((s) => s.slots)).toEqual([
        [
          [0, 99],
          [5461, 10922],
        ],
        [[100, 5460]],
        [[10923, 16383]],
      ]);
      expect(topology.shards[2]).toBe(before[2]);
      await topology.refresh();
      const after = topology.shards;
      await topology.refresh();
      expect(topology.shards).toBe(after);
    } finally {
      await topology.close();
      await cluster.stop();
    }
  });
});
