import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LeaseWorker } from '../../../../lib/cluster/leases/LeaseWorker.ts';
import { controlKeys, controlShard, leaseTick } from '../../../../lib/cluster/leases/tick.ts';
import { connect, GearsError, type Gears } from '../../../../lib/index.ts';
import { deleteKeys } from '../../../support/backends.ts';
import { until } from '../../../support/until.ts';

const TASKS = ['s0-5460', 's5461-10922', 's10923-16383', 'extra'];

/** The tick against real Redis: standalone and the 3-master cluster (control keys in one slot, one master). */
describe.each([
  ['standalone Redis', () => inject('redisUrl')],
  ['Redis Cluster', () => inject('clusterUrls')[0]!],
])('lease tick on %s', (_name, url) => {
  const opened: Gears[] = [];
  afterAll(async () => {
    for (const gears of opened) {
      await deleteKeys(gears, 'rxg:{rxg:tick-*');
      await gears.close();
    }
  });

  async function setup() {
    const gears = await connect({ redis: url() });
    opened.push(gears);
    const app = `tick-${randomBytes(4).toString('hex')}`;
    const store = controlShard(gears.shards, app).store;
    const worker = (id: string) => new LeaseWorker(store, { app, id, tasks: TASKS, leaseMs: 30_000 });
    return { gears, app, store, worker };
  }

  it('splits the tasks between two workers, break before make, with epochs from the counter', async () => {
    const { app, store, worker } = await setup();
    const a = worker('a');
    const b = worker('b');
    await a.tick();
    expect([...a.validTasks()]).toEqual(TASKS.map((t) => [t, 1]));
    await b.tick(); // b joins: nothing free yet
    expect(b.validTasks().size).toBe(0);
    const marking = await a.tick(); // a gives up two: marked releasing, stopped
    expect(marking!.decision.release).toEqual(['s10923-16383', 'extra']);
    expect(await store.call('GET', controlKeys(app).lease('extra'))).toBe('a:1:r');
    expect((await b.tick())!.decision.acquire).toEqual([]); // releasing is not free yet
    expect((await a.tick())!.decision.drop).toEqual(['s10923-16383', 'extra']);
    await b.tick();
    expect([...a.validTasks().keys()]).toEqual(['s0-5460', 's5461-10922']);
    expect([...b.validTasks()]).toEqual([
      ['s10923-16383', 2],
      ['extra', 2],
    ]);
    expect(Number(await store.call('PTTL', controlKeys(app).lease('extra')))).toBeGreaterThan(20_000);
  });

  it('concurrent ticks conflict and retry, and never give a task to two workers', async () => {
    const { worker } = await setup();
    const workers = ['a', 'b', 'c'].map(worker);
    for (let round = 0; round < 6; round++) {
      const outcomes = await Promise.all(workers.map((w) => w.tick()));
      expect(outcomes.every((o) => o !== undefined)).toBe(true);
      const held = workers.flatMap((w) => [...w.validTasks().keys()]);
      expect(new Set(held).size).toBe(held.length);
    }
    const counts = workers.map((w) => w.validTasks().size).sort();
    expect(counts).toEqual([1, 1, 2]);
  });

  it('keeps members and the workers hash to live workers: dead ones pruned, both expiring a lease after the last heartbeat', async () => {
    const { gears, app, store } = await setup();
    const keys = controlKeys(app);
    const worker = (id: string, leaseMs: number) =>
      new LeaseWorker(store, { app, id, tasks: TASKS, leaseMs, info: JSON.stringify({ id }) });
    const a = worker('a', 30_000);
    const b = worker('b', 30_000);
    // Left from before the workers hash was kept: an entry of a worker long gone, and a set without expiry.
    await store.call('HSET', keys.workers, 'ghost', '{}');
    await store.call('SADD', keys.members, 'ghost');
    await a.tick();
    await b.tick();
    expect((await store.call('SMEMBERS', keys.members)) as string[]).toEqual(expect.arrayContaining(['a', 'b']));
    expect(await store.call('HGETALL', keys.workers)).toEqual(['a', '{"id":"a"}', 'b', '{"id":"b"}']);
    for (const key of [keys.members, keys.workers]) {
      const ttl = Number(await store.call('PTTL', key));
      expect(ttl).toBeGreaterThan(20_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
    // b dies (its heartbeat key lapses): the next tick of a prunes it from both.
    await store.call('DEL', keys.alive('b'));
    await a.tick();
    expect(await store.call('SMEMBERS', keys.members)).toEqual(['a']);
    expect(await store.call('HKEYS', keys.workers)).toEqual(['a']);
    // A worker with a shorter lease never shortens what a longer one set.
    const c = new LeaseWorker(store, { app, id: 'c', tasks: TASKS, leaseMs: 900, tickMs: 300, info: '{}' });
    await c.tick();
    expect(Number(await store.call('PTTL', keys.members))).toBeGreaterThan(20_000);
    // Every worker gone, the keys go with the last heartbeat (the epoch counters stay: fencing tokens).
    const dApp = `${app}-d`;
    const dStore = controlShard(gears.shards, dApp).store;
    const d = new LeaseWorker(dStore, { app: dApp, id: 'd', tasks: TASKS, leaseMs: 900, tickMs: 300, info: '{}' });
    await d.tick();
    const dKeys = controlKeys(dApp);
    expect(Number(await dStore.call('EXISTS', dKeys.members, dKeys.workers))).toBe(2);
    await until(
      async () => Number(await dStore.call('EXISTS', dKeys.members, dKeys.workers, dKeys.alive('d'))) === 0,
      'members, workers and the heartbeat to expire',
    );
    expect(await dStore.call('GET', dKeys.epoch(TASKS[0]!))).toBe('1');
  });

  it('refuses an app name that could escape its hash tag', async () => {
    const { store } = await setup();
    await expect(
      leaseTick(store, { app: 'a}b', self: 'w', tasks: TASKS, stopped: new Set(), leaseMs: 1000 }),
    ).rejects.toThrow(GearsError);
    expect(() => new LeaseWorker(store, { app: 'x', id: 'w', tasks: TASKS, leaseMs: 100, tickMs: 60 })).toThrow(
      'lease workers need 0 < 2 × tick < lease',
    );
  });
});
