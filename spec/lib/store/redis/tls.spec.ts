/**
 * Redis over TLS (managed Redis services serve only TLS): a TLS-only redis-server and a TLS-only 3-master
 * Cluster (bus included), each with a throwaway certificate authority (`startRedis({ tls: true })`). Every path
 * rxgears reads on goes over TLS: ioredis' connections, the store's raw connections (batch reads, value reads of
 * events, stream group reads and acknowledgements), the Cluster's node discovery, and `rxgears serve --redis
 * rediss://…` trusting the authority through `NODE_EXTRA_CA_CERTS`.
 */
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears, type StreamRecord } from '../../../../lib/index.ts';
import {
  startRedis,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '../../../../lib/testing/index.ts';
import { redisCli, startServe } from '../../server/helpers.ts';
import { runScript } from '../../../../lib/server/rg/sandbox.ts';
import { shardTasks } from '../../../../lib/cluster/leases/tick.ts';
import { killAll, startWorker, stopWorkers, untilSpread } from '../../worker/workers.ts';
import { MASTER_NAME, startSentinelGroup } from '../../../support/sentinel.ts';
import { until } from '../../../support/until.ts';

/** Writes 300 hashes `tls:p:<i>` (age i % 7) and reads them back as counts per age with a batch run. */
async function countAges(gears: Gears, write: (key: string, age: number) => Promise<unknown>): Promise<void> {
  await Promise.all(Array.from({ length: 300 }, (_, i) => write(`tls:p:${i}`, i % 7)));
  const { results, errors } = await gears
    .GB()
    .map((r) => (r.value as Record<string, string>)['age']!)
    .countBy((age) => age)
    .run('tls:p:*');
  expect(errors).toEqual([]);
  const counts = new Map(results.map((r) => [r.key, r.value]));
  expect(counts).toEqual(new Map(Array.from({ length: 7 }, (_, a) => [String(a), a < 6 ? 43 : 42])));
}

/** A StreamReader registration (batches of 100) drains `streams` × 300 entries and leaves nothing pending. */
async function drainStreams(gears: Gears, streams: string[]): Promise<void> {
  const seen: string[] = [];
  const id = await gears
    .GB('StreamReader')
    .forEach((r: StreamRecord) => void seen.push(`${r.key}:${r.value['i']}`))
    .register({ prefix: 'tls:s:*', batch: 100, name: 'tls', trimStream: false });
  try {
    for (const stream of streams) {
      for (let i = 0; i < 300; i++) await gears.execute('XADD', stream, '*', 'i', String(i));
    }
    await until(() => seen.length >= streams.length * 300, 'every entry handled');
    for (const stream of streams) {
      await until(
        async () => ((await gears.execute('XPENDING', stream, 'rxgears:tls')) as [number])[0] === 0,
        `${stream}'s last batch acknowledged`,
      );
    }
    expect(seen.sort()).toEqual(streams.flatMap((s) => Array.from({ length: 300 }, (_, i) => `${s}:${i}`)).sort());
  } finally {
    gears.unregister(id);
  }
}

describe('Redis over TLS', { timeout: 60_000 }, () => {
  let server: RedisServerHandle;
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startRedis({ tls: true }), startRedisCluster({ tls: true })]);
  }, 60_000);
  afterAll(async () => {
    killAll();
    await Promise.all([server?.stop(), cluster?.stop()]);
  });

  it('serves only TLS: the URL is rediss://, and a plain connection gets no PONG', async () => {
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    await expect(redisCli(server.port, ['PING'])).rejects.toThrow();
  });

  it('standalone: batch reads, value reads of events and stream group reads all go over TLS', async () => {
    const client = new Redis(server.url, { tls: { ca: server.tls!.ca } });
    const gears = await connect({ redis: client });
    try {
      await countAges(gears, (key, age) => client.hset(key, 'age', String(age)));
      // A registration reading each changed hash (the store's raw connection).
      const values: string[] = [];
      const id = await gears
        .GB()
        .forEach((r) => void values.push((r.value as Record<string, string>)['v']!))
        .register({ prefix: 'tls:ev:*' });
      try {
        for (let i = 0; i < 20; i++) await client.hset(`tls:ev:${i}`, 'v', `x${i}`);
        await until(() => values.length === 20, 'every event with its value');
        expect(values.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`).sort());
      } finally {
        gears.unregister(id);
      }
      await drainStreams(gears, ['tls:s:a', 'tls:s:b']);
    } finally {
      await gears.close();
      client.disconnect();
    }
  });

  it('a client that does not trust the authority gets a precise error, not a hang', async () => {
    await expect(connect(server.url)).rejects.toThrow(/unreachable \(self-signed certificate in certificate chain\)/);
  });

  it('Cluster: node discovery, batch reads on every master and stream group reads go over TLS', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], {
      redisOptions: { tls: { ca: cluster.tls!.ca } },
    });
    const gears = await connect({ redis: client });
    try {
      expect(gears.shards).toHaveLength(3);
      await countAges(gears, (key, age) => client.hset(key, 'age', String(age)));
      // Streams on each master ({a}, {b}, {c} hash to slots of different masters: 15495, 3300, 7365).
      await drainStreams(gears, ['tls:s:{a}', 'tls:s:{b}', 'tls:s:{c}']);
    } finally {
      await gears.close();
      client.disconnect();
    }
  });

  it('rxgears worker --redis rediss://… (NODE_EXTRA_CA_CERTS) runs the parts of a driver over TLS', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], {
      redisOptions: { tls: { ca: cluster.tls!.ca } },
    });
    const local = await connect({ redis: client });
    const driver = await connect({ redis: client }, { app: 'tlsapp' });
    try {
      for (let i = 0; i < 60; i++) await client.set(`tls:w:${i}`, String(i));
      const worker = await startWorker(cluster.urls[0]!, 'tlsapp', 'a', [], 3000, {
        NODE_EXTRA_CA_CERTS: cluster.tls!.caFile,
      });
      await untilSpread([worker], shardTasks(local.shards).length);
      const outcome = await runScript(
        driver,
        "GB().map(r => Number(r.value)).aggregate(0, (a, n) => a + n, (a, b) => a + b).run('tls:w:*')",
      );
      expect(outcome.kind === 'run' && outcome.result).toEqual({ results: [1770], errors: [] });
      await stopWorkers([worker]);
    } finally {
      await driver.close();
      await local.close();
      client.disconnect();
    }
  });

  it('Sentinel: a client with enableTLSForSentinelMode reads on the master over TLS, beside ioredis', async () => {
    const group = await startSentinelGroup({ tls: true });
    const client = new Redis({
      sentinels: [group.sentinel],
      name: MASTER_NAME,
      enableTLSForSentinelMode: true,
      tls: { ca: group.tls!.ca },
    });
    const gears = await connect({ redis: client });
    try {
      await countAges(gears, (key, age) => client.hset(key, 'age', String(age)));
      await drainStreams(gears, ['tls:s:a']);
      // The stream was read on a raw connection of rxgears' own to the master (the node serves only TLS).
      const ioredisId = String(await client.client('ID'));
      const master = new Redis({ host: '127.0.0.1', port: await group.masterPort(), tls: { ca: group.tls!.ca } });
      try {
        const readers = String(await master.client('LIST'))
          .trim()
          .split('\n')
          .filter((line) => line.includes(' cmd=xreadgroup ') && !line.startsWith(`id=${ioredisId} `));
        expect(readers).toHaveLength(1);
      } finally {
        master.disconnect();
      }
    } finally {
      await gears.close();
      client.disconnect();
      await group.stop();
    }
  });

  it('rxgears serve --redis rediss://… trusts the authority of NODE_EXTRA_CA_CERTS and proxies over TLS', async () => {
    const served = await startServe(['--redis', server.url], { NODE_EXTRA_CA_CERTS: server.tls!.caFile });
    const { port } = served;
    try {
      expect(await redisCli(port, ['SET', 'tls:served', 'over tls'])).toEqual(['OK']);
      const direct = new Redis(server.url, { tls: { ca: server.tls!.ca } });
      try {
        expect(await direct.get('tls:served')).toBe('over tls');
      } finally {
        direct.disconnect();
      }
      expect(await redisCli(port, ['RG.JSEXECUTE', "GB().map(r => r.value).run('tls:served')"])).toEqual([
        'over tls',
        '',
      ]);
    } finally {
      expect(await served.stop()).toEqual([0, null]);
    }
  });
});
