import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { registerTimeEvent, TIME_EVENT_VALUE, type Gears } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../../support/backends.ts';
import { until } from '../../support/until.ts';

let gears: Gears | undefined;
let server: RxgearsServer | undefined;
let client: Redis | undefined;
let prefix = '';

afterEach(async () => {
  client?.disconnect();
  await server?.close();
  if (gears) {
    for (const r of gears.dumpRegistrations()) gears.unregister(r.id);
    await deleteKeys(gears, `${prefix}*`);
    await gears.close();
  }
  gears = server = client = undefined;
});

const periods = (n: number, period = 0.05): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, n * period * 1000));

describe.each(allBackends())('time events on $name', (backend) => {
  it('runs the callback every period on one shard, never overlapping, until unregistered', async () => {
    const g = (gears = await backend.connect());
    prefix = uniquePrefix('te');
    let running = 0;
    let most = 0;
    const ticks: number[] = [];
    const id = await g.registerTimeEvent(0.05, async (tick) => {
      most = Math.max(most, ++running);
      ticks.push(tick.time);
      expect(tick.key).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 80)); // longer than the period
      running--;
    });
    await until(() => ticks.length >= 3, 'three ticks');
    expect(most).toBe(1);
    expect(g.dumpRegistrations().find((r) => r.id === id)).toMatchObject({ reader: 'TimeEventReader' });
    g.unregister(id);
    const after = ticks.length;
    await periods(6);
    expect(ticks.length).toBeLessThanOrEqual(after + 1); // at most the tick that was already running
  });

  it('with a key: the timer is stored as the key, taken over when registered again, stopped when deleted', async () => {
    const g = (gears = await backend.connect());
    prefix = uniquePrefix('tk');
    const key = `${prefix}timer`;
    let ticks = 0;
    await g.registerTimeEvent(0.05, () => void ticks++, key);
    expect(await g.execute('GET', key)).toBe(TIME_EVENT_VALUE);
    await until(() => ticks >= 2, 'two ticks');
    // Registering again while the key exists (a restart) takes it over.
    let again = 0;
    await g.registerTimeEvent(0.05, () => void again++, key);
    await until(() => again >= 1, 'a tick of the second registration');
    await g.execute('DEL', key);
    await periods(4); // the next tick of each timer sees the key gone
    const [a, b] = [ticks, again];
    await periods(6);
    expect([ticks, again]).toEqual([a, b]);
  });

  it("refuses with RedisGears' messages, and a key that holds other data", async () => {
    const g = (gears = await backend.connect());
    prefix = uniquePrefix('tr');
    await expect(g.registerTimeEvent('2' as never, () => 1)).rejects.toThrow('time argument must be a long');
    await expect(g.registerTimeEvent(0, () => 1)).rejects.toThrow('time argument must be a long');
    await expect(g.registerTimeEvent(2, 2 as never)).rejects.toThrow('callback must be a function');
    await g.execute('SET', `${prefix}mine`, 'application data');
    await expect(g.registerTimeEvent(1, () => 1, `${prefix}mine`)).rejects.toThrow('key already exists');
    await g.execute('HSET', `${prefix}hash`, 'f', 'v');
    await expect(g.registerTimeEvent(1, () => 1, `${prefix}hash`)).rejects.toThrow('key already exists');
    await expect(g.GB('TimeEventReader').register({})).rejects.toThrow('time argument must be a long');
    await expect(g.GB('TimeEventReader').run()).rejects.toThrow('reader do not support run');
    expect(g.dumpRegistrations()).toEqual([]);
    // The library helper finds the one open engine.
    const id = await registerTimeEvent(60, () => 1);
    expect(g.dumpRegistrations().map((r) => r.id)).toEqual([id]);
  });

  it('works in gear scripts: registerTimeEvent is a global, and RG.UNREGISTER of the deployment stops it', async () => {
    const g = (gears = await backend.connect());
    prefix = uniquePrefix('ts');
    server = await createServer(g, { port: 0 });
    client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    const script = `registerTimeEvent(0.05, () => execute('INCR', '${prefix}n'), '${prefix}timer')`;
    const session = prefix.replaceAll(':', '_');
    expect(await client.call('RG.JSEXECUTE', script, 'ID', session)).toBe('OK');
    await until(async () => Number(await client!.get(`${prefix}n`)) >= 2, 'two ticks of the script');
    expect(await client.get(`${prefix}timer`)).toBe(TIME_EVENT_VALUE);
    expect(await client.call('RG.UNREGISTER', session)).toBe('OK');
    expect(g.dumpRegistrations()).toEqual([]);
  });
});
