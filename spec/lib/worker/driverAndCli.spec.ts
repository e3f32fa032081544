import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { shardTasks } from '../../../lib/cluster/leases/tick.ts';
import { connect, defineGears, GearsError, type DriverGears } from '../../../lib/index.ts';
import { gearModuleOf } from '../../../lib/worker/gearModule.ts';
import { serve } from '../../../lib/server/Server.ts';
import { runScript } from '../../../lib/server/rg/sandbox.ts';
import { multiset } from './sourcePipelines.ts';
import { killAll, startWorker, stopWorker, stopWorkers, untilSpread } from './workers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const WORKER = `${FIXTURES}worker.ts`;

afterAll(() => killAll());

/** `rxgears worker <args>` run to its end: exit code and stderr. */
function workerCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => void (stderr += data.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('rxgears worker: bad input is one line and exit code 1', () => {
  const url = (): string => inject('redisUrl');
  it.each([
    [['--app', 'a'], 'worker: --redis URL is required'],
    [['--redis', 'URL'], 'worker: --app NAME is required'],
    [['--redis', 'URL', '--app', 'a b'], "worker: --app 'a b' must be letters, digits"],
    [['--redis', 'URL', '--app', 'a', '--id', 'x:y'], "worker: --id 'x:y' must be letters"],
    [['--redis', 'URL', '--app', 'a', '--lease', '10'], '--lease must be an integer from 300'],
    [['--redis', 'URL', '--app', 'a', '--tasks-per-master', '0'], '--tasks-per-master must be an integer from 1 to 64'],
    [['--redis', 'URL', '--app', 'a', '--gears', 'nowhere.js'], 'worker: cannot load nowhere.js'],
    [['--redis', 'URL', '--app', 'a', '--gears', 'NOTGEARS'], 'is not a gear module'],
    [['--redis', 'URL', '--app', 'a', 'extra'], "worker: unexpected argument 'extra'"],
  ])('%j', { timeout: 60_000 }, async (args, message) => {
    const filled = args.map((a) => (a === 'URL' ? url() : a === 'NOTGEARS' ? `${FIXTURES}notGears.ts` : a));
    const { code, stderr } = await workerCli(filled);
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('connect(url, { app }) checks its options', () => {
  it('refuses app without Redis, gears without app, a gears that is no module, a bad app name', async () => {
    await expect(connect({ app: 'a' })).rejects.toThrow("'app' and 'gears' need Redis");
    await expect(connect(inject('redisUrl'), { gears: defineGears({}) })).rejects.toThrow("'gears' needs 'app'");
    await expect(connect(inject('redisUrl'), { app: 'a', gears: {} as never })).rejects.toThrow(
      'must be a gear module',
    );
    await expect(connect(inject('redisUrl'), { app: 'a b' })).rejects.toThrow("app name 'a b' must be");
    expect(() => defineGears({ x: 1 as never })).toThrow("gear 'x' must be a function");
    await expect(connect(inject('redisUrl'), { tasksPerMaster: 2 })).rejects.toThrow(
      "'tasksPerMaster' is for a driver of worker processes",
    );
    await expect(connect(inject('redisUrl'), { app: 'a', tasksPerMaster: 1.5 })).rejects.toThrow(
      new GearsError('tasksPerMaster must be an integer from 1 to 64, got 1.5'),
    );
  });

  it('refuses what cannot ship, before anything is written: inline closures (run and register), collect: false', async () => {
    const driver = (await connect(inject('redisUrl'), {
      app: `refuse-${randomBytes(3).toString('hex')}`,
    })) as DriverGears;
    try {
      await expect(
        driver
          .GB()
          .map((r) => r.key)
          .run(),
      ).rejects.toThrow(/gear is not shippable.*source text.*gear module/);
      await expect(
        driver
          .GB()
          .map((r) => r.key)
          .run(),
      ).rejects.toBeInstanceOf(GearsError);
      await expect(driver.GB().register()).rejects.toThrow('gear is not shippable');
      await expect(runScript(driver, "GB().run('x*', { collect: false })")).rejects.toThrow("'collect: false'");
      expect(() => driver.gear('lengths')).toThrow('was given no gear module');
      expect(await driver.execute('KEYS', `rxg:*${driver.app}*`)).toEqual([]);
    } finally {
      await driver.close();
    }
  });
});

describe('gear modules and front doors (3-master Cluster, worker child processes)', () => {
  it(
    'a named gear runs on workers that load the same module, and is refused by one whose gear differs',
    { timeout: 120_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `mod-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const gearModule = gearModuleOf(await import(`${FIXTURES}gears.mjs`), 'gears.mjs');
      const driver = (await connect(url, { app, gears: gearModule })) as DriverGears;
      const tasks = shardTasks(local.shards).length;
      try {
        for (let i = 0; i < 40; i++) await local.execute('SET', `${app}:${i}`, 'x'.repeat(i % 5));
        const a = await startWorker(url, app, 'a', ['--gears', `${FIXTURES}gears.mjs`]);
        await untilSpread([a], tasks);
        const expected = await gearModule.gears.lengths!(local.GB).run(`${app}:*`);
        expect(multiset(await driver.gear('lengths').run(`${app}:*`))).toEqual(multiset(expected));
        expect(() => driver.gear('nope')).toThrow("no gear 'nope' in the gear module (it has lengths, keys, seen)");

        const b = await startWorker(url, app, 'b', ['--gears', `${FIXTURES}gearsChanged.mjs`]);
        await untilSpread([a, b], tasks);
        const refused = await driver.gear('lengths').run(`${app}:*`);
        expect(refused.errors).toContainEqual(expect.stringContaining("gear 'lengths' differs on worker b"));
        await stopWorkers([b, a]);
      } finally {
        await driver.close();
        await local.close();
      }
    },
  );

  it(
    "a driver whose tasksPerMaster differs from its workers' gets a run error saying so",
    { timeout: 120_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `split-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const driver = await connect(url, { app });
      try {
        const worker = await startWorker(url, app, 'a', ['--tasks-per-master', '2']);
        await untilSpread([worker], shardTasks(local.shards).length * 2);
        const outcome = await runScript(driver, `GB().count().run('${app}:*')`);
        expect(outcome.kind === 'run' && outcome.result.errors).toContainEqual(
          expect.stringContaining('worker a has other tasks (s0-2730, s2731-5460,'),
        );
        expect(outcome.kind === 'run' && outcome.result.errors.join()).toContain('the same tasksPerMaster?');
        await stopWorker(worker);
      } finally {
        await driver.close();
        await local.close();
      }
    },
  );

  it(
    'rxgears serve --app: RG.JSEXECUTE from a Redis client runs on the workers; plain commands still proxy',
    { timeout: 120_000 },
    async () => {
      const url = inject('clusterUrls')[0]!;
      const app = `door-${randomBytes(4).toString('hex')}`;
      const local = await connect(url);
      const server = await serve({ redis: url, app, port: 0 });
      const client = new Redis({ port: server.port, lazyConnect: true });
      try {
        for (let i = 0; i < 30; i++) await local.execute('HSET', `${app}:${i}`, 'n', i % 4);
        const a = await startWorker(url, app, 'a');
        const b = await startWorker(url, app, 'b');
        await untilSpread([a, b], shardTasks(local.shards).length);
        const source = `GB().map((r) => r.value.n).countBy((n) => n).run('${app}:*')`;
        const reply = (await client.call('RG.JSEXECUTE', source)) as unknown[];
        const expected = (await runScript(local, source)) as { kind: 'run'; result: { results: unknown[] } };
        expect((reply[0] as unknown[]).length).toBe(expected.result.results.length);
        expect(reply[1]).toEqual([]);
        expect(a.log.concat(b.log).some((l) => / runs /.test(l))).toBe(true);
        expect(await client.call('GET', `${app}:none`)).toBeNull();
        await stopWorkers([a, b]);
      } finally {
        client.disconnect();
        await server.close();
        await local.close();
      }
    },
  );
});

describe('gear fingerprints', () => {
  it('are equal for the same code however it is spaced, and differ when a callback or a step differs', async () => {
    const gears = await connect();
    try {
      const { fingerprint } = await import('../../../lib/worker/gearModule.ts');
      const spaced = new Function('return (r)=>r.key')() as (r: { key: string }) => string;
      const one = fingerprint(gears.GB().map((r) => r.key).plan);
      expect(fingerprint(gears.GB().map(spaced).plan)).toBe(one);
      expect(fingerprint(gears.GB().map((r) => r.type).plan)).not.toBe(one);
      expect(
        fingerprint(
          gears
            .GB()
            .map((r) => r.key)
            .collect().plan,
        ),
      ).not.toBe(one);
      expect(fingerprint(gears.GB('KeysOnlyReader').map((r) => r).plan)).not.toBe(one);
    } finally {
      await gears.close();
    }
  });
});
