import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterNodes, parseClusterShards } from '../../../../lib/cluster/clusterNodes.ts';
import { hashSlot } from '../../../../lib/cluster/slots.ts';
import type { Shard } from '../../../../lib/cluster/topology.ts';
import { RedisReplyError } from '../../../../lib/errors.ts';
import type { RedisReply } from '../../../../lib/store/ShardStore.ts';
import { connect, type Gears } from '../../../../lib/index.ts';
import {
  startRedis,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '../../../../lib/testing/servers.ts';
import { topologyChange } from '../../../../lib/worker/topologyChange.ts';
import { until } from '../../../support/until.ts';

// A Cluster of its own: a slot is left half migrated (MIGRATING on its master, IMPORTING on another), as
// `redis-cli --cluster reshard` leaves it between two MIGRATE batches.
let cluster: RedisClusterHandle;
/** A 4th node, joined as a master without slots by the last tests. */
let extra: RedisServerHandle;
let gears: Gears;
let admin: Map<string, Redis>;

const SLOT_KEYS = 300;
const slotKeys = Array.from({ length: SLOT_KEYS }, (_, i) => `rs:{t}:${i}`);
const otherKeys = Array.from({ length: 300 }, (_, i) => `rs:${i}`);
const slot = hashSlot('{t}');
let source: Shard;
let target: Shard;
let third: Shard;
/** The keys moved to the importing master. */
let moved: string[];

/** A key's value: strings for even numbers, hashes for odd ones (the reads then change type as they go). */
function expected(key: string): [string, string, unknown] {
  const n = Number(key.slice(key.lastIndexOf(':') + 1));
  return n % 2 === 0 ? [key, 'string', key] : [key, 'hash', { k: key }];
}

beforeAll(async () => {
  [cluster, extra] = await Promise.all([
    startRedisCluster(),
    startRedis({
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes-x.conf', '--cluster-node-timeout', '2000'],
    }),
  ]);
  gears = await connect(cluster.urls[0]!);
  admin = new Map();
  for (const url of cluster.urls) {
    const client = new Redis(url);
    admin.set(String(await client.call('CLUSTER', 'MYID')), client);
  }
  for (const key of [...slotKeys, ...otherKeys]) {
    const [, type] = expected(key);
    if (type === 'string') await gears.execute('SET', key, key);
    else await gears.execute('HSET', key, 'k', key);
  }
  source = gears.shards.find((s) => s.slots.some(([a, b]) => slot >= a && slot <= b))!;
  [target, third] = gears.shards.filter((s) => s !== source) as [Shard, Shard];
  const from = admin.get(source.id)!;
  const to = admin.get(target.id)!;
  await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
  await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
  moved = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, SLOT_KEYS / 2)) as string[];
  const { host, port } = to.options;
  await from.call('MIGRATE', host!, port!, '', 0, 5000, 'KEYS', ...moved);
}, 120_000);

afterAll(async () => {
  for (const client of admin?.values() ?? []) client.disconnect();
  await gears?.close();
  await extra?.stop();
  await cluster?.stop();
});

describe('batch reads of a slot half migrated (a reshard under way), on a library engine', () => {
  it('read every key once with its value: keys already moved are read on the importing master after ASKING', async () => {
    expect(Number(await admin.get(target.id)!.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(SLOT_KEYS / 2);
    const all = [...slotKeys, ...otherKeys].map(expected).sort();
    const read = await gears
      .GB()
      .map((r) => [r.key, r.type, r.value] as [string, string, unknown])
      .run('rs:*');
    expect(read.errors).toEqual([]);
    expect([...read.results].sort()).toEqual(all);
    // Key names only: TYPE after ASKING.
    const names = await gears
      .GB('KeysReader')
      .map((r) => r.key)
      .run('rs:*', { readValue: false });
    expect(names.errors).toEqual([]);
    expect([...names.results].sort()).toEqual([...slotKeys, ...otherKeys].sort());
    // A fresh engine (no type guessed yet: its first reads start with TYPE).
    const fresh = await connect(cluster.urls[1]!);
    try {
      const again = await fresh
        .GB()
        .map((r) => r.key)
        .run('rs:{t}:*');
      expect(again).toEqual({ results: expect.arrayContaining(slotKeys) as unknown, errors: [] });
      expect(again.results).toHaveLength(SLOT_KEYS);
    } finally {
      await fresh.close();
    }
  });

  it('fail the read naming the key, when a key left the node since SCAN listed it (ASK), or is not served there', async () => {
    const movedKey = moved[0]!;
    // The migrating master lists no moved key; asked for one (a key that moved after its SCAN page), it says ASK.
    const asked = await source.store.readKeys([slotKeys.find((k) => !moved.includes(k))!, movedKey]).catch((e) => e);
    expect(asked).toBeInstanceOf(RedisReplyError);
    expect((asked as Error).message).toMatch(
      new RegExp(
        `^Redis 127\\.0\\.0\\.1:${admin.get(source.id)!.options.port}: key 'rs:\\{t\\}:\\d+' is no longer served here ` +
          `\\(ASK ${slot} 127\\.0\\.0\\.1:${admin.get(target.id)!.options.port}\\): the cluster changed while it was read ` +
          '\\(a slot resharded, or a failover\\); the read fails rather than miss the key or read it twice$',
      ),
    );
    // A master that neither owns nor imports the slot: MOVED, and MOVED again after ASKING.
    const elsewhere = await third.store.readKeys([movedKey], { readValue: false }).catch((e) => e);
    expect(elsewhere).toBeInstanceOf(RedisReplyError);
    expect((elsewhere as Error).message).toContain(`key '${movedKey}' is no longer served here (MOVED ${slot} `);
  });

  it('read every key once after the migration ends, with the masters as first read (no refresh)', async () => {
    const from = admin.get(source.id)!;
    const to = admin.get(target.id)!;
    const rest = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, SLOT_KEYS)) as string[];
    await from.call('MIGRATE', to.options.host!, to.options.port!, '', 0, 5000, 'KEYS', ...rest);
    for (const client of [to, from, admin.get(third.id)!])
      await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
    const read = await gears
      .GB()
      .map((r) => [r.key, r.type, r.value] as [string, string, unknown])
      .run('rs:*');
    expect(read.errors).toEqual([]);
    expect([...read.results].sort()).toEqual([...slotKeys, ...otherKeys].map(expected).sort());
  });
});

describe('batch reads of the first slot a reshard gives to a master that had none, on a library engine', () => {
  const tag = '{u}';
  const newSlot = hashSlot(tag);
  const newKeys = Array.from({ length: 200 }, (_, i) => `rn:${tag}:${i}`);
  const elsewhere = Array.from({ length: 100 }, (_, i) => `rn:${i}`);
  const all = [...newKeys, ...elsewhere].sort();
  let addedId: string;
  let owner: Redis;
  let added: Redis;
  afterAll(() => added?.disconnect());

  it('read every key once while it migrates: the master without slots is read too (keys already moved, after ASKING)', async () => {
    const run = promisify(execFile);
    const seed = `${cluster.nodes[0]!.host}:${cluster.nodes[0]!.port}`;
    await run('redis-cli', ['--cluster', 'add-node', `${extra.host}:${extra.port}`, seed]);
    added = new Redis(extra.url);
    addedId = String(await added.call('CLUSTER', 'MYID'));
    await until(
      async () => {
        // Exits non-zero while the nodes disagree.
        const { stdout } = await run('redis-cli', ['--cluster', 'check', seed]).catch(() => ({ stdout: '' }));
        if (!/All nodes agree/.test(stdout) || !stdout.includes(addedId)) return false;
        // And the 4th node knows every other (SETSLOT IMPORTING names one), past the handshake.
        const nodes = String(await added.call('CLUSTER', 'NODES'));
        const info = String(await added.call('CLUSTER', 'INFO'));
        return (
          info.includes('cluster_state:ok') &&
          [...admin.keys()].every((id) => nodes.includes(`${id} `)) &&
          !nodes.includes('handshake')
        );
      },
      'every node to know the 4th master, and it every node',
      30_000,
    );
    for (const key of [...newKeys, ...elsewhere]) await gears.execute('SET', key, key);
    const ownerId = gears.shards.find((s) => s.slots.some(([a, b]) => newSlot >= a && newSlot <= b))!.id;
    owner = admin.get(ownerId)!;
    await added.call('CLUSTER', 'SETSLOT', newSlot, 'IMPORTING', ownerId);
    await owner.call('CLUSTER', 'SETSLOT', newSlot, 'MIGRATING', addedId);
    const half = (await owner.call('CLUSTER', 'GETKEYSINSLOT', newSlot, newKeys.length / 2)) as string[];
    await owner.call('MIGRATE', extra.host, extra.port, '', 0, 5000, 'KEYS', ...half);
    expect(Number(await added.call('DBSIZE'))).toBe(newKeys.length / 2);

    // The masters as the cluster gives them now: the 4th has no slot yet (CLUSTER SLOTS does not list it).
    await gears.refreshCluster();
    const read = await gears
      .GB()
      .map((r) => r.key)
      .run('rn:*');
    expect(read.errors).toEqual([]);
    expect([...read.results].sort()).toEqual(all);
    // It comes last, and RG.INFOCLUSTER (shards with their slot ranges) does not list it.
    expect(gears.shards.map((s) => s.slots.length > 0)).toEqual([true, true, true, false]);
    expect(gears.shards[3]!.id).toBe(addedId);
    expect(gears.infoCluster().shards.map((s) => s.id)).not.toContain(addedId);
    // Where CLUSTER SHARDS is unknown (Redis 6.2), CLUSTER NODES gives the same masters, on either side of the
    // migration (their own line shows it: `[slot->-id]`, `[slot-<-id]`).
    for (const node of [owner, added]) {
      const shards = parseClusterShards((await node.call('CLUSTER', 'SHARDS')) as RedisReply, '127.0.0.1', false);
      expect(shards.map((m) => m.id)).toEqual(gears.shards.map((s) => s.id));
      expect(parseClusterNodes((await node.call('CLUSTER', 'NODES')) as RedisReply, '127.0.0.1')).toEqual(shards);
    }
    // Workers and drivers compare their plan with the cluster the same way: no change (no re-plan again).
    expect(await topologyChange(gears.topology)).toBeUndefined();
    // A fresh engine reads the masters the same way.
    const fresh = await connect(cluster.urls[1]!);
    try {
      const counted = await fresh.GB().count().run('rn:*');
      expect(counted).toEqual({ results: [all.length], errors: [] });
    } finally {
      await fresh.close();
    }
  });

  it("read every key once when the slot became the 4th master's, before and after a refresh", async () => {
    const rest = (await owner.call('CLUSTER', 'GETKEYSINSLOT', newSlot, newKeys.length)) as string[];
    await owner.call('MIGRATE', extra.host, extra.port, '', 0, 5000, 'KEYS', ...rest);
    for (const client of [added, ...admin.values()]) await client.call('CLUSTER', 'SETSLOT', newSlot, 'NODE', addedId);
    const before = await gears
      .GB()
      .map((r) => r.key)
      .run('rn:*');
    expect(before.errors).toEqual([]);
    expect([...before.results].sort()).toEqual(all);
    await gears.refreshCluster();
    expect(gears.shards.find((s) => s.id === addedId)?.slots).toEqual([[newSlot, newSlot]]);
    const after = await gears.GB().count().run('rn:*');
    expect(after).toEqual({ results: [all.length], errors: [] });
  });
});
