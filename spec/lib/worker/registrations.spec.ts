import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { fileURLToPath } from 'node:url';
import { connect, type DriverGears, type Gears } from '../../../lib/index.ts';
import { gearModuleOf } from '../../../lib/worker/gearModule.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { serve } from '../../../lib/server/Server.ts';
import { Redis } from 'ioredis';
import { startRedis } from '../../../lib/testing/index.ts';
import { GearsWorker } from '../../../lib/worker/Worker.ts';
import { until } from '../../support/until.ts';
import { killAll, startWorker, stopWorkers, untilSpread, type WorkerProcess } from './workers.ts';

// 3 s, not less: on a busy 2-core machine a shorter lease lapses on healthy workers and tasks change hands.
const LEASE = 3000;
const GEARS = fileURLToPath(new URL('./fixtures/gears.mjs', import.meta.url));

afterAll(() => killAll());

/** A key under `prefix` that lands in `task`'s slots (`s<first>-<last>`). */
function keyIn(prefix: string, task: string, n: number): string {
  const [first, last] = task.slice(1).split('-').map(Number) as [number, number];
  for (let i = n * 1000; ; i++) {
    const key = `${prefix}{t${i}}`;
    const slot = hashSlot(key);
    if (slot >= first && slot <= last) return key;
  }
}

async function register(gears: Gears, source: string): Promise<string> {
  const outcome = await runScript(gears, source);
  if (outcome.kind !== 'register') throw new Error(`expected a registration, got ${outcome.kind}`);
  return outcome.registrationId;
}

/** field → count of the hash `key`. */
async function counts(local: Gears, key: string): Promise<Map<string, number>> {
  const reply = (await local.execute('HGETALL', key)) as string[];
  const map = new Map<string, number>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(reply[i]!, Number(reply[i + 1]));
  return map;
}

/** Waits until the driver's row for `id` sums `n` triggers over the workers. */
async function untilSummed(driver: Gears, id: string, n: number): Promise<void> {
  await until(
    () => driver.dumpRegistrations().find((r) => r.id === id)?.numTriggered === n,
    'stats summed over workers',
    30_000,
  );
}

/** Runs `body`; when it fails, prints each worker's last lines; always stops the workers, then `cleanup`. */
async function withWorkers(
  workers: WorkerProcess[],
  body: () => Promise<void>,
  cleanup: () => Promise<unknown>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    for (const w of workers) console.log(w.id, w.log.slice(-15).join('\n'));
    throw error;
  } finally {
    await stopWorkers(workers);
    await cleanup();
  }
}

describe('registrations on worker processes (3-master Cluster)', () => {
  const url = (): string => inject('clusterUrls')[0]!;

  it(
    'a KeysReader registration handles each event once in steady state, resumes after a worker dies, and an idle 4th worker takes over',
    { timeout: 240_000 },
    async () => {
      const app = `rk-${randomBytes(4).toString('hex')}`;
      const local = await connect(url());
      const driver = await connect(url(), { app });
      const tasks = shardTasks(local.shards);
      const workers: WorkerProcess[] = [];
      const seen = `${app}:seen`;
      try {
        for (let i = 0; i < 4; i++) workers.push(await startWorker(url(), app, `w${i}`, [], LEASE));
        await until(() => workers.reduce((n, w) => n + w.held.size, 0) === 3, 'the 3 tasks held', 60_000);
        const idle = workers.filter((w) => w.held.size === 0);
        expect(idle).toHaveLength(1);

        const id = await register(
          driver,
          `GB().foreach((r) => execute('HINCRBY', '${seen}', r.key, 1)).register({ prefix: '${app}:k:*', eventTypes: ['set'] })`,
        );
        // Steady state: every event once, right after register() returned.
        const keys: string[] = [];
        for (let n = 0; n < 60; n++) keys.push(keyIn(`${app}:k:`, tasks[n % 3]!, n));
        for (const key of keys) await local.execute('SET', key, '1');
        await until(async () => (await counts(local, seen)).size === keys.length, 'every event handled', 60_000);
        const handled = await counts(local, seen);
        expect([...handled.values()].every((c) => c === 1)).toBe(true);
        await until(
          () => driver.dumpRegistrations().find((r) => r.id === id)?.numTriggered === keys.length,
          'stats summed over workers',
          30_000,
        );
        expect(driver.dumpRegistrations()).toHaveLength(1);

        // A worker holding a task dies: the idle one takes the task, and events there resume.
        const victim = workers.find((w) => w.held.size > 0)!;
        const task = [...victim.held][0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        const killedAt = performance.now();
        let written = 0;
        let resumedAfter: number | undefined;
        const lost: string[] = [];
        while (resumedAfter === undefined) {
          const key = keyIn(`${app}:k:after:`, task, written++);
          const at = performance.now();
          await local.execute('SET', key, '1');
          await new Promise((r) => setTimeout(r, 50));
          if ((await local.execute('HGET', seen, key)) !== null) resumedAfter = at - killedAt;
          else lost.push(key);
          if (performance.now() - killedAt > 60_000) throw new Error('events did not resume');
        }
        // Late handling of an earlier write counts as handled, not lost.
        const finalSeen = await counts(local, seen);
        const reallyLost = lost.filter((k) => !finalSeen.has(k));
        console.log(
          `keyspace handover after SIGKILL (lease ${LEASE} ms): resumed ${Math.round(resumedAfter)} ms after the kill; ` +
            `${reallyLost.length} of ${written} events written meanwhile lost`,
        );
        await until(() => idle[0]!.held.size === 1, 'the idle worker to take the task', 30_000);
        expect(workers.filter((w) => w !== victim).reduce((n, w) => n + w.held.size, 0)).toBe(3);

        // pause reaches every worker: events are dropped; unregister stops them for good.
        await (driver.pauseRegistrations([id]) as unknown as Promise<void>);
        expect(driver.dumpRegistrations()[0]!.status).toBe('PAUSED');
        const paused = keyIn(`${app}:k:paused:`, tasks[1]!, 0);
        await local.execute('SET', paused, '1');
        await (driver.unpauseRegistrations([id]) as unknown as Promise<void>);
        const back = keyIn(`${app}:k:back:`, tasks[2]!, 0);
        await local.execute('SET', back, '1');
        await until(async () => (await local.execute('HGET', seen, back)) !== null, 'events after unpause', 30_000);
        expect(await local.execute('HGET', seen, paused)).toBeNull();
        await (driver.unregister(id) as unknown as Promise<void>);
        expect(driver.dumpRegistrations()).toHaveLength(0);
        const gone = keyIn(`${app}:k:gone:`, tasks[0]!, 0);
        await local.execute('SET', gone, '1');
        await new Promise((r) => setTimeout(r, 300));
        expect(await local.execute('HGET', seen, gone)).toBeNull();
      } catch (error) {
        for (const w of workers) console.log(w.id, w.log.slice(-15).join('\n'));
        throw error;
      } finally {
        await driver.close();
        await stopWorkers(workers);
        await local.close();
      }
    },
  );

  it(
    "routes triggers to the owner of the key's task, and refuses what cannot reach the workers",
    { timeout: 120_000 },
    async () => {
      const app = `rt-${randomBytes(4).toString('hex')}`;
      const local = await connect(url());
      const driver = await connect(url(), { app });
      const workers: WorkerProcess[] = [];
      try {
        for (let i = 0; i < 2; i++) workers.push(await startWorker(url(), app, `w${i}`, [], LEASE));
        await until(
          () => workers.every((w) => w.held.size > 0) && workers.reduce((n, w) => n + w.held.size, 0) === 3,
          'the 3 tasks shared',
          60_000,
        );
        const id = await register(
          driver,
          `GB('CommandReader').map((r) => r.join(':')).register({ trigger: 'T', mode: 'async_local' })`,
        );
        expect(await driver.trigger('T', 'a')).toEqual(['T:a']);
        expect(await driver.triggerOnKey('T', `${app}:k`, 'b')).toEqual([`T:${app}:k:b`]);
        await expect(driver.trigger('nope')).rejects.toThrow("unknown trigger 'nope'");
        await expect(register(driver, `GB('CommandReader').register({ trigger: 'T' })`)).rejects.toThrow(
          'trigger already registered',
        );
        // An inline closure cannot travel to the workers.
        await expect(
          driver
            .GB()
            .map((r) => r.key)
            .register(),
        ).rejects.toThrow(/gear is not shippable/);
        await expect(driver.unregister('nope') as unknown as Promise<void>).rejects.toThrow(
          "registration 'nope' does not exist",
        );
        await until(
          () => driver.dumpRegistrations().find((r) => r.id === id)?.numTriggered === 2,
          'trigger stats summed',
          30_000,
        );
        await (driver.unregister(id) as unknown as Promise<void>);
        await expect(driver.trigger('T', 'a')).rejects.toThrow("unknown trigger 'T'");
      } finally {
        await driver.close();
        await stopWorkers(workers);
        await local.close();
      }
    },
  );

  it(
    'rxgears serve --app restarting takes its deployments back from the app registry: no second registration',
    { timeout: 120_000 },
    async () => {
      const app = `rd-${randomBytes(4).toString('hex')}`;
      const deploymentsKey = `${app}:deployments`;
      const local = await connect(url());
      const workers: WorkerProcess[] = [];
      const open = async (): Promise<{ close(): Promise<void>; call(...args: string[]): Promise<unknown> }> => {
        const server = await serve({ redis: url(), app, port: 0, deploymentsKey });
        const client = new Redis({ port: server.port, maxRetriesPerRequest: 1 });
        return {
          call: (...args) => client.call(args[0]!, ...args.slice(1)),
          close: async () => {
            client.disconnect();
            await server.close();
          },
        };
      };
      const seen = `${app}:seen`;
      let door = await open();
      try {
        workers.push(await startWorker(url(), app, 'w0', [], LEASE));
        await until(() => workers[0]!.held.size === 3, 'the worker holds the 3 tasks', 60_000);
        const source = `GB().foreach((r) => execute('HINCRBY', '${seen}', r.key, 1)).register({ prefix: '${app}:k:*', eventTypes: ['set'] })`;
        expect(await door.call('RG.JSEXECUTE', source, 'ID', 'counter')).toBe('OK');
        const rows = async (): Promise<string[][]> => (await door.call('RG.DUMPREGISTRATIONS')) as string[][];
        const [before] = await rows();
        expect(await rows()).toHaveLength(1);

        await door.close();
        door = await open();
        // The same one registration, listed under the same deployment; events handled once.
        expect((await rows()).map((r) => r[1])).toEqual([before![1]]);
        const sessions = (await door.call('RG.JSDUMPSESSIONS')) as unknown[][];
        expect(sessions).toEqual([
          ['ID', 'counter', 'sessionDescription', null, 'restoreError', null, 'registrations', [before![1]]],
        ]);
        const key = `${app}:k:1`;
        await local.execute('SET', key, '1');
        await until(async () => (await local.execute('HGET', seen, key)) !== null, 'the event handled', 30_000);
        // RG.UNREGISTER of the deployment after the restart reaches the workers.
        expect(await door.call('RG.UNREGISTER', 'counter')).toBe('OK');
        await until(async () => (await rows()).length === 0, 'the registration gone', 30_000);
        await door.close();
        door = await open();
        expect(await rows()).toEqual([]);
        expect(await door.call('RG.JSDUMPSESSIONS')).toEqual([]);
        expect(await local.execute('HGET', seen, key)).toBe('1');
      } catch (error) {
        for (const w of workers) console.log(w.id, w.log.slice(-15).join('\n'));
        throw error;
      } finally {
        await door.close();
        await stopWorkers(workers);
        await local.execute('DEL', deploymentsKey);
        await local.close();
      }
    },
  );

  it(
    "command hooks through a front door run on the worker holding the key's task, the client waiting for the reply",
    { timeout: 120_000 },
    async () => {
      const app = `rh-${randomBytes(4).toString('hex')}`;
      const local = await connect(url());
      const tasks = shardTasks(local.shards);
      const workers: WorkerProcess[] = [];
      const server = await serve({ redis: url(), app, port: 0, deploymentsKey: `${app}:deployments` });
      const client = new Redis({ port: server.port, maxRetriesPerRequest: 1 });
      try {
        for (let i = 0; i < 2; i++) workers.push(await startWorker(url(), app, `w${i}`, [], LEASE));
        await untilSpread(workers, tasks.length, 60_000);
        const hook = `GB('CommandReader').map(async ([, k, f, v]) => callNext(k, f, v + '+hooked')).register({ hook: 'hset', mode: 'sync' })`;
        const watch = `GB().foreach(() => overrideReply('no such user')).register({ prefix: '${app}:u:*', eventTypes: ['keymiss'], commands: ['get'], mode: 'sync' })`;
        expect(await client.call('RG.JSEXECUTE', hook)).toBe('OK');
        expect(await client.call('RG.JSEXECUTE', watch)).toBe('OK');
        // A key on every master: each HSET is overridden by the worker that owns it.
        for (const [n, task] of tasks.entries()) {
          const key = keyIn(`${app}:h:`, task, n);
          expect(await client.hset(key, 'f', 'v')).toBe(1);
          expect(await local.execute('HGET', key, 'f')).toBe('v+hooked');
        }
        expect(await client.get(`${app}:u:42`)).toBe('no such user');
        await local.execute('SET', `${app}:u:1`, 'Rick');
        expect(await client.get(`${app}:u:1`)).toBe('Rick');
        // Inside MULTI too, at its place in the transaction.
        const inTx = await client
          .multi()
          .set(`${app}:{m}a`, '1')
          .hset(`${app}:{m}h`, 'f', 'w')
          .hget(`${app}:{m}h`, 'f')
          .exec();
        expect(inTx).toEqual([
          [null, 'OK'],
          [null, 1],
          [null, 'w+hooked'],
        ]);
        const ran = workers.flatMap((w) => w.log).filter((line) => /answering/.test(line));
        expect(ran).toEqual([]);
      } catch (error) {
        for (const w of workers) console.log(w.id, w.log.slice(-15).join('\n'));
        throw error;
      } finally {
        client.disconnect();
        await server.close();
        await stopWorkers(workers);
        await local.execute('DEL', `${app}:deployments`);
        await local.close();
      }
    },
  );

  it(
    'a registration of a gear module (named gear every worker loads) handles events on every master once',
    { timeout: 120_000 },
    async () => {
      const app = `rg-${randomBytes(4).toString('hex')}`;
      const local = await connect(url());
      const tasks = shardTasks(local.shards);
      const gears = gearModuleOf(await import(GEARS), 'gears.mjs');
      const driver = await connect(url(), { app, gears });
      const workers: WorkerProcess[] = [];
      await withWorkers(
        workers,
        async () => {
          for (let i = 0; i < 2; i++) workers.push(await startWorker(url(), app, `w${i}`, ['--gears', GEARS], LEASE));
          await untilSpread(workers, tasks.length, 60_000);
          const id = await (driver as DriverGears).gear('seen').register({ prefix: `${app}:k:*`, eventTypes: ['set'] });
          const keys = tasks.flatMap((task, n) => [
            keyIn(`${app}:k:`, task, 2 * n),
            keyIn(`${app}:k:`, task, 2 * n + 1),
          ]);
          for (const key of keys) await local.execute('SET', key, '1');
          for (const key of keys)
            await until(async () => (await local.execute('HGET', `${key}:seen`, 'n')) !== null, `${key} seen`, 30_000);
          for (const key of keys) expect(await local.execute('HGET', `${key}:seen`, 'n')).toBe('1');
          await untilSummed(driver, id, keys.length);
          expect(driver.dumpRegistrations()).toHaveLength(1);
          await (driver.unregister(id) as unknown as Promise<void>);
        },
        async () => {
          await driver.close();
          await local.close();
        },
      );
    },
  );

  it(
    'a worker restarted with its stable --id within its lease takes its own tasks back, at the same epoch',
    { timeout: 180_000 },
    async () => {
      // A long lease: the restart (a new node process on a loaded machine) must come back before it lapses,
      // which is the case this test is about; after it lapses the others take the tasks (first test).
      const lease = 20_000;
      const app = `rs-${randomBytes(4).toString('hex')}`;
      const local = await connect(url());
      const tasks = shardTasks(local.shards);
      const workers: WorkerProcess[] = [];
      try {
        // Started together: they join in one tick or two, where one after the other each join is a handover of
        // two ticks (release, then acquire) of a 20 s lease's.
        workers.push(...(await Promise.all([0, 1, 2].map((i) => startWorker(url(), app, `w${i}`, [], lease)))));
        await untilSpread(workers, tasks.length, 120_000);
        const victim = workers[1]!;
        const own = [...victim.held];
        const epochs = own.map((task) => victim.log.find((l) => l.includes(`holds ${task} at epoch`))!);
        const others = [workers[0]!, workers[2]!];
        const seenBefore = others.map((o) => o.log.length);
        victim.child.kill('SIGKILL');
        await victim.exited;
        const back = await startWorker(url(), app, victim.id, [], lease);
        workers.push(back);
        await until(() => own.every((task) => back.held.has(task)), 'the restarted worker holds its tasks', 60_000);
        for (const [i, task] of own.entries()) {
          const epoch = /at epoch (\d+)/.exec(epochs[i]!)![1];
          expect(back.log.some((l) => l.includes(`holds ${task} at epoch ${epoch}`))).toBe(true);
        }
        // Nobody else held them meanwhile.
        for (const [i, other] of others.entries()) {
          const since = other.log.slice(seenBefore[i]);
          for (const task of own) expect(since.some((l) => l.includes(`holds ${task} at`))).toBe(false);
        }
      } catch (error) {
        for (const w of workers) console.log(w.id, w.log.slice(-15).join('\n'));
        throw error;
      } finally {
        await stopWorkers(workers);
        await local.close();
      }
    },
  );
});

describe('registrations on an idle worker', () => {
  it(
    'waits for registration changes and calls in XREAD BLOCK instead of polling Redis',
    { timeout: 60_000 },
    async () => {
      // A server of its own: its command counts are this worker's alone.
      const server = await startRedis();
      const gears = await connect(server.url);
      const redis = new Redis(server.url);
      const app = `idle-${randomBytes(3).toString('hex')}`;
      const worker = new GearsWorker({ gears, app, id: 'w0', leaseMs: LEASE });
      const calls = async (command: string): Promise<number> => {
        const stats = await redis.info('commandstats');
        return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      };
      try {
        await worker.start();
        // Idle from the first lease tick on; two more ticks (one transaction each) span the measured interval.
        await until(async () => (await calls('exec')) >= 1, 'the first lease tick', 30_000);
        const [xreads, ticks, started] = [await calls('xread'), await calls('exec'), performance.now()];
        await until(async () => (await calls('exec')) >= ticks + 2, 'two more lease ticks', 30_000);
        const elapsed = performance.now() - started;
        const read = (await calls('xread')) - xreads;
        // Two followers (the run log; the registrations' log and calls together), each at most a non-blocking
        // and a blocking read per wait of min(500 ms, lease / 3), however loaded the machine; polling every
        // 50 ms made ~40 reads a second.
        const waits = elapsed / Math.min(500, LEASE / 3) + 1;
        expect(read).toBeGreaterThan(0);
        expect(read).toBeLessThanOrEqual(2 * 2 * Math.ceil(waits));
      } finally {
        await worker.stop();
        await gears.close();
        redis.disconnect();
        await server.stop();
      }
    },
  );
});
