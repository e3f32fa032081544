import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { shardTasks, controlShard } from '../../../lib/cluster/leases/tick.ts';
import { connect, type Gears } from '../../../lib/index.ts';
import { serve, type RxgearsServer } from '../../../lib/server/Server.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { runKeys, storeForKey } from '../../../lib/worker/protocol.ts';
import { until } from '../../support/until.ts';
import { multiset } from './sourcePipelines.ts';
import { killAll, startWorker, stopWorkers, untilSpread, type WorkerProcess } from './workers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SERVE = fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url));

afterAll(() => killAll());

/** A front door (`serve --app`) and a Redis client talking to it. */
interface Door {
  server: RxgearsServer;
  client: Redis;
}

async function openDoor(url: string, app: string): Promise<Door> {
  const server = await serve({ redis: url, app, port: 0 });
  return { server, client: new Redis({ port: server.port, lazyConnect: true }) };
}

async function closeDoor(door: Door): Promise<void> {
  door.client.disconnect();
  await door.server.close();
}

/** RG.DUMPEXECUTIONS as `id → status`. */
async function dump(door: Door): Promise<Map<string, string>> {
  const rows = (await door.client.call('RG.DUMPEXECUTIONS')) as string[][];
  return new Map(rows.map((row) => [row[1]!, row[3]!]));
}

/** A reply's error message (the promise must reject). */
async function errorOf(reply: Promise<unknown>): Promise<string> {
  return reply.then(
    (value) => `no error: ${JSON.stringify(value)}`,
    (error: Error) => error.message,
  );
}

/** Sets up an app: keys under `<app>:`, two workers sharing the 3 masters. */
async function appWithWorkers(local: Gears, url: string, app: string): Promise<WorkerProcess[]> {
  for (let i = 0; i < 40; i++) await local.execute('HSET', `${app}:${i}`, 'n', i % 4);
  const workers = [await startWorker(url, app, 'a'), await startWorker(url, app, 'b')];
  await untilSpread(workers, shardTasks(local.shards).length);
  return workers;
}

/** Every key of the app's execution `id` (hash, results) has a time to live, or is gone. */
async function expiring(local: Gears, app: string, id: string): Promise<void> {
  const keys = runKeys(app);
  const control = controlShard(local.shards, app).store;
  for (const [store, key] of [
    [control, keys.execution(id)],
    [control, keys.executions],
    [control, keys.seq],
    [storeForKey(local.shards)(keys.out(id)), keys.out(id)],
  ] as const) {
    const ttl = Number(await store.call('PTTL', key));
    expect(ttl === -2 || ttl > 0, `${key} has no time to live (${ttl})`).toBe(true);
  }
}

/** A gear that waits for a key nobody sets: the run cannot end by itself. */
const waiting = (app: string): string =>
  `GB().map(async (r) => { while ((await execute('GET', '${app}:never')) === null) await new Promise((res) => setTimeout(res, 20)); return r.key; }).run('${app}:*')`;

describe('RG execution commands from any front door of an app (two serve --app, workers, 3-master Cluster)', () => {
  it(
    'a run started UNBLOCKING on one door is listed, read, waited for and dropped from the other; ids are unique; MaxExecutions bounds the list',
    { timeout: 180_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `doors-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const [one, two] = [await openDoor(url, app), await openDoor(url, app)];
      try {
        const workers = await appWithWorkers(local, url, app);
        const source = `GB().map((r) => r.value.n).countBy((n) => n).run('${app}:*')`;
        const expected = (await runScript(local, source)) as { kind: 'run'; result: { results: unknown[] } };

        const id = String(await one.client.call('RG.JSEXECUTE', source, 'UNBLOCKING'));
        const fromTwo = (await two.client.call('RG.GETRESULTSBLOCKING', id)) as [string[], string[]];
        const fromOne = (await one.client.call('RG.GETRESULTSBLOCKING', id)) as [string[], string[]];
        expect(fromTwo[1]).toEqual([]);
        expect(fromTwo[0].length).toBe(expected.result.results.length);
        expect([...fromTwo[0]].sort()).toEqual([...fromOne[0]].sort());
        expect(await two.client.call('RG.GETRESULTS', id)).toEqual(fromTwo);
        await until(async () => (await dump(two)).get(id) === 'done', `${id} done on the other door`);
        expect((await dump(one)).get(id)).toBe('done');
        const info = (await two.client.call('RG.GETEXECUTION', id)) as unknown[];
        expect(JSON.stringify(info)).toContain('"done"');
        await expiring(local, app, id);

        // Started on both doors at once: distinct ids, each seen from the other door.
        const [x, y] = (await Promise.all([
          one.client.call('RG.JSEXECUTE', source, 'UNBLOCKING'),
          two.client.call('RG.JSEXECUTE', source, 'UNBLOCKING'),
        ])) as [string, string];
        expect(new Set([id, x, y]).size).toBe(3);
        const [ry, rx] = [
          (await one.client.call('RG.GETRESULTSBLOCKING', y)) as [string[], string[]],
          (await two.client.call('RG.GETRESULTSBLOCKING', x)) as [string[], string[]],
        ];
        expect(multiset({ results: ry[0], errors: ry[1] })).toEqual(multiset({ results: rx[0], errors: rx[1] }));
        expect(ry[0].length).toBe(expected.result.results.length);

        // Dropped on one door: gone on both, results too.
        expect(await two.client.call('RG.DROPEXECUTION', id)).toBe('OK');
        expect((await dump(one)).has(id)).toBe(false);
        expect(await errorOf(one.client.call('RG.GETRESULTS', id))).toContain('execution plan does not exist');
        expect(await errorOf(two.client.call('RG.DROPEXECUTION', id))).toContain('execution plan does not exist');
        expect(Number(await local.execute('EXISTS', runKeys(app).out(id)))).toBe(0);

        // A blocking RG.JSEXECUTE is listed while it runs only: not after its reply.
        const blocking = (await one.client.call('RG.JSEXECUTE', source)) as [unknown[], unknown[]];
        expect(blocking[0].length).toBe(expected.result.results.length);
        expect([...(await dump(two)).keys()].sort()).toEqual([x, y].sort());

        // MaxExecutions (the starting door's) bounds the list: the oldest finished ones go, on every door.
        expect(await one.client.call('RG.CONFIGSET', 'MaxExecutions', '2')).toEqual(['OK']);
        const z = String(await one.client.call('RG.JSEXECUTE', source, 'UNBLOCKING'));
        await one.client.call('RG.GETRESULTSBLOCKING', z);
        const kept = [...(await dump(two)).keys()];
        expect(kept).toHaveLength(2);
        expect(kept).toContain(z);
        await stopWorkers(workers);
      } finally {
        await closeDoor(one);
        await closeDoor(two);
        await local.close();
      }
    },
  );

  it(
    "aborted from the other door: listed aborted at once, the starting door's run and the workers' parts stop",
    { timeout: 180_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `abort-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const [one, two] = [await openDoor(url, app), await openDoor(url, app)];
      try {
        const workers = await appWithWorkers(local, url, app);
        const id = String(await one.client.call('RG.JSEXECUTE', waiting(app), 'UNBLOCKING'));
        await until(
          () => workers.every((w) => w.log.some((l) => l.includes(`run ${id}: runs`))),
          'both workers to run their parts',
          60_000,
        );
        expect((await dump(two)).get(id)).toBe('running');
        expect(await errorOf(two.client.call('RG.GETRESULTS', id))).toContain('execution is still running');
        expect(await errorOf(two.client.call('RG.DROPEXECUTION', id))).toContain('abort it first');
        expect(await errorOf(two.client.call('RG.ABORTEXECUTION', 'nope-1'))).toContain(
          'execution plan does not exist',
        );

        expect(await two.client.call('RG.ABORTEXECUTION', id)).toBe('OK');
        expect((await dump(two)).get(id)).toBe('aborted');
        // The starting door stops its run within a tick; its blocking wait then answers.
        const [, errors] = (await one.client.call('RG.GETRESULTSBLOCKING', id)) as [unknown[], string[]];
        expect(errors).toEqual([]);
        for (const worker of workers)
          await until(
            () => worker.log.some((l) => l.includes(`run ${id}: ended`)),
            `${worker.id} to stop its part`,
            30_000,
          );
        expect(await two.client.call('RG.DROPEXECUTION', id)).toBe('OK');
        await stopWorkers(workers);
      } finally {
        await closeDoor(one);
        await closeDoor(two);
        await local.close();
      }
    },
  );

  it(
    'a front door SIGKILLed mid-run: the other door lists its run aborted within a lease, with why, and never running forever',
    { timeout: 180_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `dead-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const two = await openDoor(url, app);
      try {
        const workers = await appWithWorkers(local, url, app);
        const child = spawn(process.execPath, ['--import', 'tsx', SERVE, '--redis', url, '--app', app, '--port', '0'], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const port = await new Promise<number>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (data: Buffer) => {
            out += data.toString();
            const listening = /listening on \S+:(\d+)/.exec(out);
            if (listening) resolve(Number(listening[1]));
          });
          void exited.then(() => reject(new Error(`serve exited early: ${out}`)));
        });
        const doomed = new Redis({ port, lazyConnect: true });
        const id = String(await doomed.call('RG.JSEXECUTE', waiting(app), 'UNBLOCKING'));
        doomed.disconnect();
        await until(async () => (await dump(two)).get(id) === 'running', `${id} listed running on the other door`);
        child.kill('SIGKILL');
        await exited;
        await until(async () => (await dump(two)).get(id) === 'aborted', `${id} to be marked aborted`, 30_000);
        const [, errors] = (await two.client.call('RG.GETRESULTS', id)) as [unknown[], string[]];
        expect(errors.join()).toContain(`the driver of execution ${id} is gone`);
        for (const worker of workers)
          await until(
            () => worker.log.some((l) => l.includes(`run ${id}: ended`)),
            `${worker.id} to stop its part`,
            30_000,
          );
        await expiring(local, app, id);
        await stopWorkers(workers);
      } finally {
        await closeDoor(two);
        await local.close();
      }
    },
  );
});
