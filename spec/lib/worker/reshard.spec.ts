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

// A Cluster of its own, and a 4th node that joins it as a master: the test moves slots and keys.
let cluster: RedisClusterHandle;
let extra: RedisServerHandle;
let writer: Cluster;
const admin = new Map<string, Redis>();

beforeAll(async () => {
  [cluster, extra] = await Promise.all([
    startRedisCluster(),
    startRedis({
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes-x.conf', '--cluster-node-timeout', '2000'],
    }),
  ]);
  for (const node of cluster.nodes) {
    const client = new Redis(node.url);
    admin.set(String(await client.call('CLUSTER', 'MYID')), client);
  }
  writer = new Cluster([{ host: cluster.nodes[0]!.host, port: cluster.nodes[0]!.port }]);
}, 120_000);

afterAll(async () => {
  killAll();
  writer?.disconnect();
  for (const client of admin.values()) client.disconnect();
  await extra?.stop();
  await cluster?.stop();
});

/** The master id owning `slot`, as `node` sees it. */
async function ownerOf(node: Redis, slot: number): Promise<string | undefined> {
  const slots = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
  return slots.find(([a, b]) => slot >= a && slot <= b)?.[2][2];
}

/** The keys a run read (`map(r => r.key)`), sorted; fails on any error. */
async function keysRead(driver: Gears, pattern: string): Promise<string[]> {
  const outcome = await runScript(driver, `GB().map((r) => r.key).run('${pattern}')`);
  if (outcome.kind !== 'run') throw new Error(`expected a run, got ${outcome.kind}`);
  expect(outcome.result.errors).toEqual([]);
  return (outcome.result.results as string[]).sort();
}

describe('resharding under workers and a driver (2 tasks per master)', () => {
  it(
    'a slot half migrated between masters is read once per key; after a 4th master is added and given slots with their keys, runs read every key once',
    { timeout: 180_000 },
    async () => {
      const url = cluster.urls[0]!;
      // Control keys on the third master (slots 10923-16383), which no step moves.
      let app: string;
      do app = `rs-${randomBytes(4).toString('hex')}`;
      while (hashSlot(`{rxg:${app}}`) <= 10922);
      const driver = await connect(url, { app, tasksPerMaster: 2 });
      const worker = await startWorker(url, app, 'a', ['--tasks-per-master', '2']);
      try {
        await untilSpread([worker], 6);
        // Keys all over the slots, many of them in slots 0-99 (moved to the 4th master below) and in slot {t}.
        const keys = Array.from({ length: 600 }, (_, i) => `${app}:{k${i}}`);
        for (let i = 0; keys.length < 800; i++) if (hashSlot(`${app}:{a${i}}`) < 100) keys.push(`${app}:{a${i}}`);
        for (let i = 0; i < 200; i++) keys.push(`${app}:{t}:${i}`, `${app}:{n}:${i}`);
        for (const key of keys) await writer.set(key, key);
        const all = [...keys].sort();
        expect(await keysRead(driver, `${app}:*`)).toEqual(all);

        // Slot {t} half migrated from its master to another (MIGRATING / IMPORTING, half its keys moved).
        const slot = hashSlot('{t}');
        const source = (await ownerOf(admin.values().next().value!, slot))!;
        const target = [...admin.keys()].find((id) => id !== source)!;
        const from = admin.get(source)!;
        const to = admin.get(target)!;
        await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source);
        await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target);
        const half = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
        await from.call('MIGRATE', to.options.host!, to.options.port!, '', 0, 5000, 'KEYS', ...half);
        expect(await keysRead(driver, `${app}:*`)).toEqual(all);
        // The migration ends: the slot changes master, workers and driver re-plan, runs read every key once.
        const rest = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, 200)) as string[];
        await from.call('MIGRATE', to.options.host!, to.options.port!, '', 0, 5000, 'KEYS', ...rest);
        for (const client of admin.values()) await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', target);
        expect(await keysRead(driver, `${app}:*`)).toEqual(all);

        // A 4th master joins and takes slots 0-99 with their keys (redis-cli's add-node and reshard).
        const seed = `${cluster.nodes[0]!.host}:${cluster.nodes[0]!.port}`;
        await run('redis-cli', ['--cluster', 'add-node', `${extra.host}:${extra.port}`, seed]);
        const added = new Redis(extra.url);
        admin.set(String(await added.call('CLUSTER', 'MYID')), added);
        const addedId = String(await added.call('CLUSTER', 'MYID'));
        const first = (await ownerOf(from, 0))!;
        await until(
          async () => {
            // Exits non-zero while the nodes disagree.
            const { stdout } = await run('redis-cli', ['--cluster', 'check', seed]).catch(() => ({ stdout: '' }));
            const info = String(await added.call('CLUSTER', 'INFO'));
            // And the 4th node knows every other, past the handshake (SETSLOT IMPORTING below names one).
            const nodes = String(await added.call('CLUSTER', 'NODES'));
            return (
              /All nodes agree/.test(stdout) &&
              stdout.includes(addedId) &&
              info.includes('cluster_state:ok') &&
              [...admin.keys()].every((id) => nodes.includes(`${id} `)) &&
              !nodes.includes('handshake')
            );
          },
          'every node to know the 4th master, and it every node',
          30_000,
        );

        // Its first slot ({n}) half migrated: the keys already moved are on a master CLUSTER SLOTS does not list
        // yet. Driver and worker plan a task for it (a master without slots), read there after ASKING.
        const newSlot = hashSlot('{n}');
        const holderId = (await ownerOf(added, newSlot))!;
        const holder = admin.get(holderId)!;
        await added.call('CLUSTER', 'SETSLOT', newSlot, 'IMPORTING', holderId);
        await holder.call('CLUSTER', 'SETSLOT', newSlot, 'MIGRATING', addedId);
        const moved = (await holder.call('CLUSTER', 'GETKEYSINSLOT', newSlot, 100)) as string[];
        await holder.call('MIGRATE', extra.host, extra.port, '', 0, 5000, 'KEYS', ...moved);
        expect(Number(await added.call('DBSIZE'))).toBe(100);
        expect(await keysRead(driver, `${app}:*`)).toEqual(all);
        await until(
          () => worker.held.size === 7,
          'the worker to hold the 7 tasks of 4 masters, one without slots',
          30_000,
        );
        expect(worker.held).toContain(`node-${addedId}`);
        expect(worker.log.join('\n')).toContain(`cluster topology changed: master(s) added: ${addedId.slice(0, 12)}`);
        // The migration ends: {n} is the 4th master's.
        const left = (await holder.call('CLUSTER', 'GETKEYSINSLOT', newSlot, 200)) as string[];
        await holder.call('MIGRATE', extra.host, extra.port, '', 0, 5000, 'KEYS', ...left);
        for (const client of admin.values()) await client.call('CLUSTER', 'SETSLOT', newSlot, 'NODE', addedId);
        expect(await keysRead(driver, `${app}:*`)).toEqual(all);

        await run('redis-cli', [
          '--cluster',
          'reshard',
          seed,
          '--cluster-from',
          first,
          '--cluster-to',
          addedId,
          '--cluster-slots',
          '100',
          '--cluster-yes',
        ]);
        await until(
          async () => {
            for (const client of admin.values()) if ((await ownerOf(client, 0)) !== addedId) return false;
            return true;
          },
          'every node to see slots 0-99 on the 4th master',
          30_000,
        );
        expect(Number(await added.call('DBSIZE'))).toBeGreaterThanOrEqual(400);
        expect(await keysRead(driver, `${app}:*`)).toEqual(all);
        await until(() => worker.held.size === 8, 'the worker to hold the 8 tasks of 4 masters', 30_000);
        const counted = await runScript(driver, `GB().count().run('${app}:*')`);
        expect(counted.kind === 'run' && counted.result).toEqual({ results: [keys.length], errors: [] });
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
