import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { connect, type Gears } from '../../../lib/index.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { startRedisCluster, type RedisClusterHandle } from '../../../lib/testing/servers.ts';
import { runKeys } from '../../../lib/worker/protocol.ts';
import { until } from '../../support/until.ts';
import { killAll, startWorker, stopWorker, untilSpread } from './workers.ts';

// A cluster of its own: these tests move slots.
let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);
afterAll(async () => {
  killAll();
  await cluster?.stop();
});

/** An app name whose control keys live on the third master (slots 10923-16383), which no test moves. */
function appName(prefix: string): string {
  for (;;) {
    const app = `${prefix}-${randomBytes(4).toString('hex')}`;
    if (hashSlot(`{rxg:${app}}`) > 10922) return app;
  }
}

/** `CLUSTER SETSLOT slot NODE to` on every master (the slot holds no key): the slot changes master. */
async function moveSlot(slot: number, to: string): Promise<void> {
  for (const url of cluster.urls) {
    const client = new Redis(url, { lazyConnect: true });
    try {
      expect(Number(await client.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(0);
      await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', to);
    } finally {
      client.disconnect();
    }
  }
}

describe('topology changes under a driver (a Cluster of its own)', () => {
  it(
    'a slot moved during a run fails that run naming the change; then driver and worker re-plan their tasks and the next runs count every key, no restart',
    { timeout: 180_000 },
    async () => {
      const url = cluster.urls[0]!;
      const app = appName('topo');
      const local: Gears = await connect(url);
      const driver = await connect(url, { app });
      const [first, second] = local.shards.map((s) => s.id) as [string, string];
      try {
        for (let i = 0; i < 30; i++) await local.execute('SET', `${app}:{k${i}}`, String(i));
        const worker = await startWorker(url, app, 'a');
        const tasksBefore = shardTasks(local.shards);
        await untilSpread([worker], tasksBefore.length);
        // A key on the third master the gear waits for: the run ends when the test sets it.
        let n = 0;
        while (hashSlot(`${app}:go{${n}}`) <= 10922) n++;
        const go = `${app}:go{${n}}`;
        const waiting = `GB().map(async (r) => { while ((await execute('GET', '${go}')) === null) await new Promise((res) => setTimeout(res, 20)); return r.key; }).count().run('${app}:{k*')`;
        const running = runScript(driver, waiting);
        await until(() => worker.log.some((l) => / runs /.test(l)), 'the worker to run its part', 60_000);
        const id = /run (\S+): runs/.exec(worker.log.find((l) => / runs /.test(l))!)![1]!;
        // A slot of the first master that none of the run's keys (results, exchange streams) nor the data use.
        const exchanges = [0, 1, 2, 3].flatMap((step) =>
          [0, 1, 2].map((to) => runKeys(app).exchange(`${id}:${step}`, to)),
        );
        const data = Array.from({ length: 30 }, (_, i) => `${app}:{k${i}}`);
        const used = new Set([runKeys(app).out(id), ...exchanges, ...data].map(hashSlot));
        let slot = 0;
        while (used.has(slot)) slot++;
        await moveSlot(slot, second);
        await local.execute('SET', go, '1');
        const outcome = await running;
        expect(outcome.kind === 'run' && outcome.result.errors.join('\n')).toContain(
          `cluster topology changed: 1 slot(s) moved (first ${slot}-${slot} from master ${first.slice(0, 12)} to ${second.slice(0, 12)}), during execution ${id}: its results may be incomplete`,
        );

        // The next run, on the same driver and worker, none restarted: both re-planned their tasks from the
        // masters as they are now (new task ids, new lease epochs), and the run counts every key.
        const counted = `GB().count().run('${app}:{k*')`;
        const after = await runScript(driver, counted);
        expect(after.kind === 'run' && after.result).toEqual({ results: [30], errors: [] });
        expect(
          worker.log.some((l) =>
            l.includes(
              `moved (first ${slot}-${slot} from master ${first.slice(0, 12)} to ${second.slice(0, 12)}): re-plans its tasks`,
            ),
          ),
        ).toBe(true);
        await local.refreshCluster();
        const planned = shardTasks(local.shards);
        expect(planned).not.toEqual(tasksBefore);
        await until(
          () => [...worker.held].sort().join() === [...planned].sort().join(),
          'the worker to hold the tasks of the new plan',
          30_000,
        );
        expect(driver.infoCluster().shards).toEqual(local.infoCluster().shards);
        // A driver started after the change plans the same tasks: its runs go to the same worker.
        const fresh = await connect(url, { app });
        try {
          const { topologyChange } = await import('../../../lib/worker/topologyChange.ts');
          expect(await topologyChange(fresh.topology)).toBeUndefined();
          const again = await runScript(fresh, counted);
          expect(again.kind === 'run' && again.result).toEqual({ results: [30], errors: [] });
        } finally {
          await fresh.close();
        }
        await stopWorker(worker);
      } finally {
        await driver.close();
        await local.close();
      }
    },
  );
});
