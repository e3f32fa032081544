import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseClusterShards, parseClusterSlots, readClusterMasters } from '../../../lib/cluster/clusterNodes.ts';
import type { RedisReply } from '../../../lib/store/ShardStore.ts';
import { RedisReplyError } from '../../../lib/errors.ts';

describe('cluster masters', () => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(inject('clusterUrls')[0]!);
  });
  afterAll(() => client.disconnect());

  it('read the same from CLUSTER SHARDS and from CLUSTER SLOTS (the Redis 6.2 fallback)', async () => {
    const shards = parseClusterShards((await client.call('CLUSTER', 'SHARDS')) as RedisReply, '127.0.0.1', false);
    const slots = parseClusterSlots((await client.call('CLUSTER', 'SLOTS')) as RedisReply, '127.0.0.1');
    expect(shards.map((m) => m.slots)).toEqual([[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
    expect(slots).toEqual(shards);
    const ports = inject('clusterUrls').map((url) => Number(new URL(url).port));
    expect(shards.map((m) => m.port).sort()).toEqual([...ports].sort());
    expect(shards.every((m) => m.host === '127.0.0.1' && /^[0-9a-f]{40}$/.test(m.id))).toBe(true);
  });

  it('fall back to CLUSTER SLOTS when CLUSTER SHARDS is an unknown subcommand', async () => {
    const asked: string[] = [];
    const masters = await readClusterMasters(
      async (command, ...args) => {
        asked.push(args[0]!);
        // A Redis 6.2 answers SHARDS with an error; SLOTS comes from the real cluster.
        if (args[0] === 'SHARDS') throw new RedisReplyError("ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.");
        return (await client.call(command, ...args)) as RedisReply;
      },
      '127.0.0.1',
      false,
    );
    expect(asked).toEqual(['SHARDS', 'SLOTS']);
    expect(masters).toHaveLength(3);
  });

  it('keep masters without slots, after the others, unless they failed', () => {
    // CLUSTER SHARDS as Redis 7.0 gives it (RESP2 pairs), trimmed to the fields read.
    const node = (id: string, port: number, role: string, health: string): RedisReply => [
      'id',
      id,
      'port',
      port,
      'ip',
      '127.0.0.1',
      'endpoint',
      '127.0.0.1',
      'role',
      role,
      'health',
      health,
    ];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(40)) as [string, string, string, string];
    const reply: RedisReply = [
      ['slots', [], 'nodes', [node(c, 7002, 'master', 'online')]],
      ['slots', [], 'nodes', [node(d, 7003, 'master', 'failed')]],
      ['slots', [100, 200, 0, 99], 'nodes', [node(b, 7001, 'master', 'online'), node(a, 7004, 'replica', 'online')]],
      ['slots', [201, 16383], 'nodes', [node(a, 7000, 'master', 'failed')]],
    ];
    expect(parseClusterShards(reply, '127.0.0.1', false)).toEqual([
      {
        id: b,
        host: '127.0.0.1',
        port: 7001,
        slots: [
          [0, 99],
          [100, 200],
        ],
      },
      // A failed master keeps its slots (its reads fail, saying so); one without slots is no part of the data.
      { id: a, host: '127.0.0.1', port: 7000, slots: [[201, 16383]] },
      // The first slot a reshard gives it may be migrating to it, with keys there already.
      { id: c, host: '127.0.0.1', port: 7002, slots: [] },
    ]);
  });

  it('use the address of the node asked when a node does not know its own endpoint', () => {
    const reply: RedisReply = [[0, 16383, ['', 7000, 'a'.repeat(40)]]];
    expect(parseClusterSlots(reply, '10.0.0.5')).toEqual([
      { id: 'a'.repeat(40), host: '10.0.0.5', port: 7000, slots: [[0, 16383]] },
    ]);
  });
});
