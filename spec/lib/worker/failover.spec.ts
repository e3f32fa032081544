import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { connect, type Gears } from '../../../lib/index.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import {
  startRedis,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '../../../lib/testing/servers.ts';
import { until } from '../../support/until.ts';
import { killAll, startWorker, stopWorker, untilSpread } from './workers.ts';

const run = promisify(execFile);

// A Cluster of its own, its first master (slots 0-5460) with a replica: the test fails it over.
let cluster: RedisClusterHandle;
let replica: RedisServerHandle;
let writer: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
  replica = await startRedis({
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes-r.conf', '--cluster-node-timeout', '2000'],
  });
  const seed = cluster.nodes[0]!;
  await run('redis-cli', [
    '--cluster',
    'add-node',
    `${replica.host}:${replica.port}`,
    `${seed.host}:${seed.port}`,
    '--cluster-slave',
    '--cluster-master-id',
    await myId(seed.url),
  ]);
  const client = new Redis(replica.url);
  try {
    await until(
      async () => /master_link_status:up/.test(String(await client.call('INFO', 'replication'))),
      'the replica to sync with its master',
      30_000,
    );
  } finally {
    client.disconnect();
  }
  await until(
    async () => (await slotZero()).every((nodes) => nodes.length === 2),
    'every node to list the replica',
    30_000,
  );
  writer = new Cluster([{ host: seed.host, port: seed.port }]);
}, 120_000);

afterAll(async () => {
  killAll();
  writer?.disconnect();
  await replica?.stop();
  await cluster?.stop();
});

async function myId(url: string): Promise<string> {
  const client = new Redis(url);
  try {
    return String(await client.call('CLUSTER', 'MYID'));
  } finally {
    client.disconnect();
  }
}

/** A key under `prefix` whose slot is in `[first, last]`. */
function keyIn(prefix: string, first: number, last: number, n: number): string {
  for (let i = n * 1000; ; i++) {
    const key = `${prefix}{${i}}`;
    if (hashSlot(key) >= first && hashSlot(key) <= last) return key;
  }
}

/** Every node's `CLUSTER SLOTS` entry of slot 0: `[start, end, master, …replicas]`, each `[host, port, id]`. */
async function slotZero(): Promise<[string, number, string][][]> {
  const entries: [string, number, string][][] = [];
  for (const node of [...cluster.nodes, replica]) {
    const client = new Redis(node.url);
    try {
      const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, ...[string, number, string][]][];
      const [, , ...nodes] = slots.find(([a]) => a === 0)!;
      entries.push(nodes);
    } finally {
      client.disconnect();
    }
  }
  return entries;
}

/**
 * `CLUSTER FAILOVER` on the replica of slot 0's master; resolves once every node names it as the master and
 * its former master as its replica. Returns the ids of the old and the new master.
 */
async function failOver(): Promise<{ from: string; to: string }> {
  const [master, standby] = (await slotZero())[0]!;
  const promoted = new Redis({ host: standby![0], port: standby![1] });
  try {
    const [from, to] = [master![2], standby![2]];
    await promoted.call('CLUSTER', 'FAILOVER');
    await until(
      async () => (await slotZero()).every((nodes) => nodes[0]?.[2] === to && nodes[1]?.[2] === from),
      'every node to see the promoted master and its replica',
      30_000,
    );
    return { from, to };
  } finally {
    promoted.disconnect();
  }
}

/** An app name whose control keys do (or do not) live on slot 0's master, and the in-flight run's id there. */
function appName(controlOnFailed: boolean, initiator: string): string {
  for (;;) {
    const app = `fo-${randomBytes(4).toString('hex')}`;
    const control = hashSlot(`{rxg:${app}}`);
    // The in-flight run is the app's third id (after two registrations): its results stream on slot 0's master.
    const out = hashSlot(`rxg:{x:${app}:${initiator}-3}:out`);
    if (controlOnFailed ? control <= 5460 : control > 10922 && out <= 5460) return app;
  }
}

describe('a master failed over to its replica (CLUSTER FAILOVER), under workers and a driver', () => {
  it.each([
    ['the control keys on the failed master', true],
    ["the control keys elsewhere, the run's results stream on the failed master", false],
  ])(
    'with %s: a run spanning it fails naming the change; runs after it count every key; KeysReader and StreamReader registrations fire on the promoted master',
    { timeout: 180_000 },
    async (_, controlOnFailed) => {
      const url = cluster.urls[1]!;
      const app = appName(controlOnFailed, (await slotZero())[0]![0]![2]);
      const driver: Gears = await connect(url, { app });
      const worker = await startWorker(url, app, 'a');
      const log = (): string => worker.log.slice(-30).join('\n');
      try {
        await untilSpread([worker], 3);
        const data = Array.from({ length: 300 }, (_, i) => `${app}:{k${i}}`);
        for (const key of data) await writer.set(key, '1');
        const seen = `${app}:seen`;
        const got = `${app}:got`;
        for (const source of [
          `GB().foreach((r) => execute('SADD', '${seen}', r.key)).register({ prefix: '${app}:ev:*', eventTypes: ['set'] })`,
          `GB('StreamReader').foreach((r) => execute('SADD', '${got}', r.id)).register({ prefix: '${app}:s:*', batch: 1 })`,
        ]) {
          const outcome = await runScript(driver, source);
          expect(outcome.kind).toBe('register');
        }
        // Both on the first master's slots.
        const stream = keyIn(`${app}:s:`, 0, 5460, 0);
        const ids: string[] = [];
        const add = async (): Promise<void> => void ids.push(String(await writer.xadd(stream, '*', 'n', ids.length)));
        for (let i = 0; i < 5; i++) await add();
        await writer.set(keyIn(`${app}:ev:`, 0, 5460, 0), '1');
        await until(async () => (await writer.scard(got)) === 5, 'stream entries before the failover', 30_000);
        await until(async () => (await writer.scard(seen)) === 1, 'a key event before the failover', 30_000);

        // A run in flight: its gear waits for a key (on the third master) the test sets after the failover.
        const go = keyIn(`${app}:go`, 10923, 16383, 0);
        const waiting = `GB().map(async (r) => { while ((await execute('GET', '${go}')) === null) await new Promise((res) => setTimeout(res, 20)); return r.key; }).count().run('${app}:{k*')`;
        const running = runScript(driver, waiting);
        await until(() => worker.log.some((l) => / runs /.test(l)), 'the worker to run its part', 60_000);

        const id = /run (\S+): runs/.exec(worker.log.find((l) => / runs /.test(l))!)![1]!;
        expect(id).toMatch(/-3$/);
        const { from, to } = await failOver();
        // Written before anyone re-planned: the stream keeps them for the promoted master's reader.
        for (let i = 0; i < 5; i++) await add();
        await writer.set(go, '1');
        const outcome = await running;
        expect(outcome.kind === 'run' && outcome.result.errors.join('\n')).toContain(
          `cluster topology changed: 5461 slot(s) moved (first 0-5460 from master ${from.slice(0, 12)} to ${to.slice(0, 12)}); ` +
            `master(s) added: ${to.slice(0, 12)}; master(s) gone: ${from.slice(0, 12)}, during execution ${id}: its results may be incomplete`,
        );

        // Runs after it: the driver re-reads the masters before the run, the worker at its next tick.
        await until(() => worker.log.some((l) => l.includes('plans tasks ')), 'the worker to re-plan', 30_000);
        const counted = await runScript(driver, `GB().count().run('${app}:{k*')`);
        expect(counted.kind === 'run' && counted.result).toEqual({ results: [data.length], errors: [] });

        // Registrations listen on the promoted master: every stream entry is handled (those written during the
        // change too), and key events fire again (those written while listeners moved may be lost).
        for (let i = 0; i < 5; i++) await add();
        await until(async () => (await writer.scard(got)) === ids.length, 'every stream entry handled', 60_000);
        expect((await writer.smembers(got)).sort()).toEqual([...ids].sort());
        let probe = 0;
        await until(
          async () => {
            const key = keyIn(`${app}:ev:probe`, 0, 5460, probe++);
            await writer.set(key, '1');
            await new Promise((r) => setTimeout(r, 50));
            return (await writer.sismember(seen, key)) === 1;
          },
          'key events on the promoted master',
          60_000,
        );
        const after = Array.from({ length: 20 }, (_, n) => keyIn(`${app}:ev:after`, 0, 5460, n));
        for (const key of after) await writer.set(key, '1');
        await until(
          async () => (await writer.smismember(seen, ...after)).every((x) => x === 1),
          'every key event after the failover',
          30_000,
        );
      } catch (error) {
        console.log(log());
        throw error;
      } finally {
        await stopWorker(worker);
        await driver.close();
      }
    },
  );

  it(
    'a run started right after it, before the worker looked at the cluster again, counts every key (the run names its masters)',
    { timeout: 120_000 },
    async () => {
      const url = cluster.urls[1]!;
      const app = `fo-${randomBytes(4).toString('hex')}`;
      const driver: Gears = await connect(url, { app });
      // A long lease: the worker's own look at the cluster (every lease/3) comes long after the run.
      const worker = await startWorker(url, app, 'a', [], 60_000);
      try {
        await untilSpread([worker], 3);
        const data = Array.from({ length: 300 }, (_, i) => `${app}:{k${i}}`);
        for (const key of data) await writer.set(key, '1');
        const { from, to } = await failOver();
        const counted = await runScript(driver, `GB().count().run('${app}:{k*')`);
        expect(counted.kind === 'run' && counted.result).toEqual({ results: [data.length], errors: [] });
        expect(worker.log.some((l) => l.includes(`from master ${from.slice(0, 12)} to ${to.slice(0, 12)}`))).toBe(true);
      } catch (error) {
        console.log(worker.log.slice(-30).join('\n'));
        throw error;
      } finally {
        await stopWorker(worker);
        await driver.close();
      }
    },
  );
});
