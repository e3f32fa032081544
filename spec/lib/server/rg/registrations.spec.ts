import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { deleteKeys, uniquePrefix } from '../../../support/backends.ts';
import { redisCli, useEmbeddedServer } from '../helpers.ts';

/**
 * Registrations through the server: RG.JSEXECUTE of a script that registers, RG.DUMPREGISTRATIONS,
 * RG.TRIGGER, RG.UNREGISTER, and the proxy holding a write's reply for its sync gears and hooks.
 */
describe('registrations through the server', () => {
  const env = useEmbeddedServer();
  const call = env.call;

  it('a script that registers answers OK; the registration fires on events and is listed, then unregistered', async () => {
    const script = `GB().map(r => r.key).forEach(key => execute('INCR', 'seen:' + key)).register('watched:*', { eventTypes: ['set'] })`;
    expect(await call('RG.JSEXECUTE', script, 'DESCRIPTION', 'counts sets')).toBe('OK');
    const dump = (await call('RG.DUMPREGISTRATIONS')) as unknown[][];
    const mine = dump.find((r) => r[5] === 'counts sets');
    expect(mine?.slice(0, 4)).toEqual(['id', expect.any(String), 'reader', 'KeysReader']);
    expect(mine?.[6]).toBe('RegistrationData');
    expect(mine?.[7]).toEqual(expect.arrayContaining(['numTriggered', 'mode', 'args']));
    await env.redis.set('watched:1', 'x');
    await vi.waitFor(async () => expect(await env.redis.get('seen:watched:1')).toBe('1'), { timeout: 10_000 });
    expect(await call('RG.UNREGISTER', mine![1] as string)).toBe('OK');
    expect(((await call('RG.DUMPREGISTRATIONS')) as unknown[][]).some((r) => r[1] === mine![1])).toBe(false);
  });

  it('RG.TRIGGER runs a CommandReader registration and answers its records', async () => {
    const script = `GB('CommandReader').map(([, who]) => 'hello ' + who).register({ trigger: 'greet', mode: 'async_local' })`;
    expect(await call('RG.JSEXECUTE', script)).toBe('OK');
    expect(await call('RG.TRIGGER', 'greet', 'Rick')).toEqual(['hello Rick']);
    await expect(call('RG.TRIGGER')).rejects.toThrow("ERR wrong number of arguments for 'rg.trigger' command");
  });

  it('RG.PAUSEREGISTRATIONS, RG.UNPAUSEREGISTRATIONS and RG.CLEARREGISTRATIONSSTATS answer OK', async () => {
    expect(await call('RG.JSEXECUTE', "GB().register('paused:*')", 'DESCRIPTION', 'to pause')).toBe('OK');
    const registration = ((await call('RG.DUMPREGISTRATIONS')) as string[][]).find((r) => r[5] === 'to pause');
    expect(await call('RG.PAUSEREGISTRATIONS', registration![1]!)).toBe('OK');
    expect(await call('RG.UNPAUSEREGISTRATIONS', registration![1]!)).toBe('OK');
    expect(await call('RG.CLEARREGISTRATIONSSTATS')).toBe('OK');
  });
});

describe.each([
  { name: 'the embedded store with 3 shards', connect: () => connect({ shards: 3 }) },
  { name: 'a real Redis', connect: () => connect({ redis: inject('redisUrl') }) },
])('sync registrations and hooks through the proxy over $name', (backend) => {
  const prefix = uniquePrefix('proxy-sync');
  let gears: Gears;
  let server: RxgearsServer;
  let redis: Redis;

  beforeAll(async () => {
    gears = await backend.connect();
    // Our own deployments hash: a shared Redis' default one would hand our scripts to other spec files' servers.
    server = await createServer(gears, { port: 0, deploymentsKey: `${prefix}deployments` });
    redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.quit();
    if (gears) await deleteKeys(gears, `${prefix}*`);
    await server?.close();
    await gears?.close();
  });

  it('answers a write only after the sync registration it triggered ran', async () => {
    // The gear takes its time, so only waiting for it (not luck with round trips) lets the GET see its write.
    const script = `GB().forEach(async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await execute('INCR', '${prefix}seen:' + r.key);
      }).register({ prefix: '${prefix}in:*', mode: 'sync' })`;
    expect(await redis.call('RG.JSEXECUTE', script)).toBe('OK');
    for (let i = 0; i < 5; i++) {
      await redis.set(`${prefix}in:${i}`, 'x');
      // No waiting: the SET's reply came after the gear ran.
      expect(await redis.get(`${prefix}seen:${prefix}in:${i}`)).toBe('1');
    }
  });

  it('runs a CommandReader hook instead of the command; callNext runs the original', async () => {
    const script = `GB('CommandReader').map(async ([, key, value]) => callNext(key, String(value).toUpperCase()))
      .register({ hook: 'set', mode: 'async_local' })`;
    expect(await redis.call('RG.JSEXECUTE', script, 'DESCRIPTION', `${prefix}hook`)).toBe('OK');
    try {
      expect(await redis.set(`${prefix}hooked`, 'quiet')).toBe('OK');
      expect(await redis.get(`${prefix}hooked`)).toBe('QUIET');
      // The hook stands in for SET: its reply is SET's status, as redis-cli shows it.
      expect(await redisCli(server.port, ['--no-raw', 'SET', `${prefix}hooked`, 'loud'])).toEqual(['OK']);
    } finally {
      const dump = (await redis.call('RG.DUMPREGISTRATIONS')) as unknown[][];
      const hook = dump.find((r) => r[5] === `${prefix}hook`);
      await redis.call('RG.UNREGISTER', hook![1] as string);
    }
    expect(await redis.set(`${prefix}plain`, 'quiet')).toBe('OK');
    expect(await redis.get(`${prefix}plain`)).toBe('quiet');
  });
});
