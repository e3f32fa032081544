import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { connect, type Gears } from '../../../lib/index.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { runKeys } from '../../../lib/worker/protocol.ts';
import { until } from '../../support/until.ts';
import { multiset } from './sourcePipelines.ts';
import { killAll, startWorker, stopWorker, stopWorkers, untilSpread, type WorkerProcess } from './workers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DRIVER = fileURLToPath(new URL('./fixtures/driver.ts', import.meta.url));
const LEASE = 3000;
// The worker that is not killed or frozen gets a longer lease: on a starved 2-core machine a late tick would
// otherwise fence it too, and the error would name it instead of the worker the test stopped.

afterAll(() => killAll());

async function result(gears: Gears, source: string) {
  const outcome = await runScript(gears, source);
  if (outcome.kind !== 'run') throw new Error(`expected a run, got ${outcome.kind}`);
  return outcome.result;
}

/** A key under `prefix` that lands in `task`'s slots (`s<first>-<last>`). */
function keyIn(prefix: string, task: string): string {
  const [first, last] = task.slice(1).split('-').map(Number) as [number, number];
  for (let n = 0; ; n++) {
    const key = `${prefix}{t${n}}`;
    const slot = hashSlot(key);
    if (slot >= first && slot <= last) return key;
  }
}

/** Every key of the app's run `id` — its hash, results and exchange streams — expires by itself (or is gone). */
async function allExpire(local: Gears, app: string, id: string): Promise<void> {
  const keys = runKeys(app);
  for (const shard of local.shards) {
    const found = [
      ...((await shard.store.call('KEYS', `rxg:{x:${app}:${id}*`)) as string[]),
      ...((await shard.store.call('KEYS', `${keys.execution(id)}*`)) as string[]),
    ];
    for (const key of found) {
      const ttl = Number(await shard.store.call('PTTL', key));
      expect(ttl === -2 || ttl > 0, `${key} has no time to live (${ttl})`).toBe(true);
    }
  }
}

async function fill(local: Gears, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await local.execute('SET', `${prefix}${i}`, String(i));
}

/** The execution id in a worker's log line `run <id>: runs …`. */
function lastRunId(worker: WorkerProcess): string | undefined {
  const line = worker.log.filter((l) => / runs /.test(l)).at(-1);
  return line ? /run (\S+): runs/.exec(line)?.[1] : undefined;
}

describe('failures of worker processes and drivers (real 3-master Cluster, child processes)', () => {
  it(
    'a worker SIGKILLed mid-run: the run settles naming the worker and the shard; the next run succeeds on the survivor',
    { timeout: 180_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `kill-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const driver = await connect(url, { app });
      const tasks = shardTasks(local.shards);
      try {
        const a = await startWorker(url, app, 'a', ['--allow-require'], 2 * LEASE);
        const b = await startWorker(url, app, 'b', ['--allow-require'], LEASE);
        await untilSpread([a, b], tasks.length);
        const prefix = `${app}:`;
        await fill(local, prefix, 300);
        const bTask = [...b.held][0]!;
        const trigger = keyIn(prefix, bTask);
        await local.execute('SET', trigger, '-1');
        // b kills itself when its part reads the trigger (from inside the gear, mid-run).
        const killing = `GB().map((r) => { if (r.key === '${trigger}') process.kill(process.pid, 'SIGKILL'); return r.value; }).run('${prefix}*')`;
        const failed = await result(driver, killing);
        await b.exited;
        const shard = local.shards[tasks.indexOf(bTask)]!.id;
        expect(failed.errors).toContainEqual(expect.stringContaining(`worker b lost shard ${shard} (task ${bTask})`));
        await allExpire(local, app, lastRunId(a)!);

        // The survivor takes b's tasks once b's lease lapsed; the same gear, without the trigger, equals one process.
        await local.execute('DEL', trigger);
        await untilSpread([a], tasks.length);
        // … and prunes b from the app's members and workers hash (b never left cleanly).
        const keys = runKeys(app);
        await until(
          async () => JSON.stringify(await local.execute('HKEYS', keys.workers)) === '["a"]',
          'b pruned from the workers hash',
        );
        expect(await local.execute('SMEMBERS', keys.members)).toEqual(['a']);
        expect(JSON.parse(String(await local.execute('HGET', keys.workers, 'a')))).toMatchObject({ leaseMs: 2 * LEASE });
        const plain = `GB().map((r) => r.value).countBy((v) => Number(v) % 7).run('${prefix}*')`;
        expect(multiset(await result(driver, plain))).toEqual(multiset(await result(local, plain)));
        await stopWorker(a);
        // a left cleanly: nothing of the app's members is left, only the epoch counters.
        expect(await local.execute('EXISTS', keys.workers, keys.members)).toBe(0);
      } finally {
        await driver.close();
        await local.close();
      }
    },
  );

  it(
    'a worker frozen past its lease (SIGSTOP): the run fails naming it; woken (SIGCONT), it stops its own tasks, its part ends, and the next run on both equals one process',
    { timeout: 180_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `stop-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const driver = await connect(url, { app });
      const tasks = shardTasks(local.shards);
      try {
        const a = await startWorker(url, app, 'a', ['--allow-require'], 2 * LEASE);
        const b = await startWorker(url, app, 'b', ['--allow-require'], LEASE);
        await untilSpread([a, b], tasks.length);
        const prefix = `${app}:`;
        await fill(local, prefix, 300);
        const bTask = [...b.held][0]!;
        const trigger = keyIn(prefix, bTask);
        await local.execute('SET', trigger, '-1');
        const freezing = `GB().map((r) => { if (r.key === '${trigger}') process.kill(process.pid, 'SIGSTOP'); return r.value; }).repartition((v) => v).count().run('${prefix}*')`;
        const failed = await result(driver, freezing);
        expect(failed.errors).toContainEqual(expect.stringContaining('worker b lost shard'));
        const id = lastRunId(a)!;
        await local.execute('DEL', trigger);

        b.child.kill('SIGCONT');
        // It fences itself (its lease lapsed while it was stopped) and its part of the failed run ends.
        await until(() => b.log.some((l) => /^rxgears worker: lost s/.test(l)), 'b to see it lost its lease', 30_000);
        await until(() => b.log.some((l) => l.includes(`run ${id}: ended`)), 'b’s stale part to end', 30_000);
        await allExpire(local, app, id);

        await untilSpread([a, b], tasks.length);
        const plain = `GB().map((r) => r.value).repartition((v) => v).countBy((v) => Number(v) % 5).run('${prefix}*')`;
        expect(multiset(await result(driver, plain))).toEqual(multiset(await result(local, plain)));
        await stopWorkers([a, b]);
      } finally {
        await driver.close();
        await local.close();
      }
    },
  );

  it(
    'a driver SIGKILLed mid-run: its workers abort the run within a lease and every key of it expires',
    { timeout: 180_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `drv-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const tasks = shardTasks(local.shards);
      try {
        const a = await startWorker(url, app, 'a', [], 2 * LEASE);
        const b = await startWorker(url, app, 'b', [], LEASE);
        await untilSpread([a, b], tasks.length);
        const prefix = `${app}:`;
        await fill(local, prefix, 50);
        // A gear that waits for a key nobody sets: the run cannot end by itself.
        const waiting = `GB().map(async (r) => { while ((await execute('GET', '${app}:never')) === null) await new Promise((res) => setTimeout(res, 20)); return r.key; }).run('${prefix}*')`;
        const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, url, app, waiting], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        await until(
          () => lastRunId(a) !== undefined && lastRunId(b) !== undefined,
          'both workers to run their parts',
          60_000,
        );
        const id = lastRunId(a)!;
        child.kill('SIGKILL');
        await exited;
        for (const worker of [a, b])
          await until(
            () => worker.log.some((l) => l.includes(`run ${id}: ended`)),
            `${worker.id} to abort its part`,
            30_000,
          );
        const control = local.shards.find((s) =>
          s.slots.some(([f, l]) => {
            const slot = hashSlot(`{rxg:${app}}`);
            return slot >= f && slot <= l;
          }),
        )!.store;
        const [status, reason] = (await control.call(
          'HMGET',
          runKeys(app).execution(id),
          'status',
          'reason',
        )) as string[];
        expect(status).toBe('aborted');
        expect(reason).toContain('driver');
        await allExpire(local, app, id);
        await stopWorkers([a, b]);
      } finally {
        await local.close();
      }
    },
  );
});
