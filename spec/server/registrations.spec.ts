import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type Gears } from '../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../lib/server/Server.ts';

/**
 * Registrations through the server: RG.JSEXECUTE of a script that registers, RG.DUMPREGISTRATIONS,
 * RG.TRIGGER, RG.UNREGISTER. Each test runs once the engine has the methods it needs (they are being added).
 */
describe('registrations through the server', () => {
  let gears: Gears;
  let server: RxgearsServer;
  let redis: Redis;
  const call = (...args: string[]): Promise<unknown> => redis.call(args[0]!, ...args.slice(1));
  const engineHas = (...names: string[]): boolean =>
    names.every((name) => typeof (gears as unknown as Record<string, unknown>)[name] === 'function');

  beforeAll(async () => {
    gears = await connect({ shards: 3 });
    server = await createServer(gears, { port: 0 });
    redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.close();
    await gears?.close();
  });

  it('a script that registers answers OK; the registration fires on events and is listed, then unregistered', async (context) => {
    if (!engineHas('register', 'dumpRegistrations', 'unregister')) context.skip();
    const script = `GB().map(r => r.key).forEach(key => execute('INCR', 'seen:' + key)).register('watched:*', { eventTypes: ['set'] })`;
    expect(await call('RG.JSEXECUTE', script, 'DESCRIPTION', 'counts sets')).toBe('OK');
    const dump = (await call('RG.DUMPREGISTRATIONS')) as unknown[][];
    const mine = dump.find((r) => r[5] === 'counts sets');
    expect(mine?.slice(0, 4)).toEqual(['id', expect.any(String), 'reader', 'KeysReader']);
    expect(mine?.[6]).toBe('RegistrationData');
    expect(mine?.[7]).toEqual(expect.arrayContaining(['numTriggered', 'mode', 'args']));
    await redis.set('watched:1', 'x');
    await vi.waitFor(async () => expect(await redis.get('seen:watched:1')).toBe('1'), { timeout: 10_000 });
    expect(await call('RG.UNREGISTER', mine![1] as string)).toBe('OK');
    expect(((await call('RG.DUMPREGISTRATIONS')) as unknown[][]).some((r) => r[1] === mine![1])).toBe(false);
  });

  it('RG.TRIGGER runs a CommandReader registration and answers its records', async (context) => {
    if (!engineHas('register', 'trigger')) context.skip();
    const script = `GB('CommandReader').map(([, who]) => 'hello ' + who).register({ trigger: 'greet', mode: 'async_local' })`;
    expect(await call('RG.JSEXECUTE', script)).toBe('OK');
    expect(await call('RG.TRIGGER', 'greet', 'Rick')).toEqual(['hello Rick']);
    await expect(call('RG.TRIGGER')).rejects.toThrow("ERR wrong number of arguments for 'rg.trigger' command");
  });

  it('RG.PAUSEREGISTRATIONS, RG.UNPAUSEREGISTRATIONS and RG.CLEARREGISTRATIONSSTATS answer OK', async (context) => {
    if (!engineHas('register', 'pauseRegistrations', 'unpauseRegistrations', 'clearRegistrationsStats')) context.skip();
    expect(await call('RG.JSEXECUTE', "GB().register('paused:*')", 'DESCRIPTION', 'to pause')).toBe('OK');
    const registration = ((await call('RG.DUMPREGISTRATIONS')) as string[][]).find((r) => r[5] === 'to pause');
    expect(await call('RG.PAUSEREGISTRATIONS', registration![1]!)).toBe('OK');
    expect(await call('RG.UNPAUSEREGISTRATIONS', registration![1]!)).toBe('OK');
    expect(await call('RG.CLEARREGISTRATIONSSTATS')).toBe('OK');
  });
});
