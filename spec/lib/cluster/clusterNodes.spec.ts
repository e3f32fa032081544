import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  parseClusterNodes,
  parseClusterShards,
  parseClusterSlots,
  readClusterMasters,
} from '../../../lib/cluster/clusterNodes.ts';
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

  it('fall back to CLUSTER NODES when CLUSTER SHARDS is an unknown subcommand, and to CLUSTER SLOTS when NODES is refused', async () => {
    const fromShards = parseClusterShards((await client.call('CLUSTER', 'SHARDS')) as RedisReply, '127.0.0.1', false);
    const read = async (refused: string[]): Promise<[string[], unknown]> => {
      const asked: string[] = [];
      const masters = await readClusterMasters(
        async (command, ...args) => {
          asked.push(args[0]!);
          // A Redis 6.2 answers SHARDS with an error (an ACL may refuse NODES); the rest comes from the real cluster.
          if (refused.includes(args[0]!))
            throw new RedisReplyError(`ERR unknown subcommand '${args[0]}'. Try CLUSTER HELP.`);
          return (await client.call(command, ...args)) as RedisReply;
        },
        '127.0.0.1',
        false,
      );
      return [asked, masters];
    };
    expect(await read(['SHARDS'])).toEqual([['SHARDS', 'NODES'], fromShards]);
    expect(await read(['SHARDS', 'NODES'])).toEqual([['SHARDS', 'NODES', 'SLOTS'], fromShards]);
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

  it('read CLUSTER NODES as CLUSTER SHARDS: masters without slots last unless failed, a migration no slot of its own', () => {
    const [a, b, c, d, e, f] = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => x.repeat(40));
    const reply = [
      `${a} 127.0.0.1:7000@17000,host-a myself,master - 0 0 1 connected 5461-16383 0 [93->-${c}]`,
      `${b} 127.0.0.1:7001@17001 slave ${a} 0 1 2 connected`,
      `${c} 127.0.0.1:7002@17002 master - 0 1 3 connected`,
      `${d} 127.0.0.1:7003@17003 master,fail - 0 1 4 connected`,
      `${e} 127.0.0.1:7004@17004 handshake - 0 1 0 connected`,
      `${f} :7005@17005 master - 0 1 5 connected 1-5460`,
      '',
    ].join('\n');
    expect(parseClusterNodes(reply, '10.0.0.5')).toEqual([
      {
        id: a,
        host: '127.0.0.1',
        port: 7000,
        slots: [
          [0, 0],
          [5461, 16383],
        ],
      },
      { id: f, host: '10.0.0.5', port: 7005, slots: [[1, 5460]] },
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
