import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../lib/index.ts';
import { createServer, serve, type RxgearsServer } from '../../../lib/server/Server.ts';
import { startRedis, type RedisServerHandle } from '../../../lib/testing/servers.ts';
import { redisCli } from './helpers.ts';
import { recordingLogger } from '../../support/logger.ts';
import { until } from '../../support/until.ts';

/**
 * Deployments outlive the server: scripts that registered through RG.JSEXECUTE are kept in a Redis hash and
 * run again when a server starts on that Redis. A Redis of this file's own, flushed before each test, so
 * the default key `rxgears:deployments` is ours alone.
 */

/** A KeysReader gear that copies `watched:*` values to `marker:<key>`, before the write is answered. */
const MARKER =
  "GB().forEach(r => execute('SET', 'marker:' + r.key, r.value)).register({ prefix: 'watched:*', eventTypes: ['set'], mode: 'sync' })";

describe('deployments persist in Redis across server restarts', () => {
  let redis: RedisServerHandle;
  let server: RxgearsServer | undefined;
  const cli = (...args: string[]): Promise<string[]> => redisCli(server!.port, args);
  const restart = async (): Promise<void> => {
    await server?.close();
    server = await serve({ redis: redis.url, port: 0 });
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  beforeEach(async () => {
    await redisCli(redis.port, ['FLUSHALL']);
    server = await serve({ redis: redis.url, port: 0 });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a registration made through the server fires again after the server restarts', async () => {
    expect(await cli('RG.JSEXECUTE', MARKER, 'ID', 'marker')).toEqual(['OK']);
    expect(await redisCli(redis.port, ['HKEYS', 'rxgears:deployments'])).toEqual(['marker']);
    await restart();
    expect(await cli('SET', 'watched:1', 'hello')).toEqual(['OK']);
    expect(await cli('GET', 'marker:watched:1')).toEqual(['hello']); // sync: the SET was answered after the gear
    const dump = await cli('RG.DUMPREGISTRATIONS');
    expect(dump.slice(2, 4)).toEqual(['reader', 'KeysReader']);
    expect(dump).toEqual(expect.arrayContaining(['prefix', 'watched:*']));
    expect((await cli('RG.JSDUMPSESSIONS')).slice(0, 2)).toEqual(['ID', 'marker']);
  });

  it('stores the script, its description and options; without ID under a generated id', async () => {
    expect(await cli('RG.JSEXECUTE', MARKER, 'DESCRIPTION', 'copies values')).toEqual(['OK']);
    const [id, json] = await redisCli(redis.port, ['HGETALL', 'rxgears:deployments']);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(json!)).toEqual({
      source: MARKER,
      description: 'copies values',
      createdAt: expect.any(Number),
      registrationIds: [expect.any(String)],
    });
    await restart();
    expect((await cli('RG.DUMPREGISTRATIONS')).slice(4, 6)).toEqual(['desc', 'copies values']);
  });

  it('an UPGRADE is what comes back after a restart', async () => {
    expect(await cli('RG.JSEXECUTE', MARKER, 'ID', 'marker')).toEqual(['OK']);
    const upgraded = MARKER.replace("'marker:'", "'upgraded:'");
    expect(await cli('RG.JSEXECUTE', upgraded, 'ID', 'marker', 'UPGRADE')).toEqual(['OK']);
    await restart();
    await cli('SET', 'watched:2', 'v');
    expect(await cli('MGET', 'marker:watched:2', 'upgraded:watched:2')).toEqual(['', 'v']);
  });

  it('a failed upgrade leaves the stored script as it was', async () => {
    expect(await cli('RG.JSEXECUTE', MARKER, 'ID', 'marker')).toEqual(['OK']);
    const before = await redisCli(redis.port, ['HGET', 'rxgears:deployments', 'marker']);
    const [reply] = await cli('RG.JSEXECUTE', `${MARKER}; throw new Error('no')`, 'ID', 'marker', 'UPGRADE');
    expect(reply).toBe('Error: no');
    expect(await redisCli(redis.port, ['HGET', 'rxgears:deployments', 'marker'])).toEqual(before);
    await cli('SET', 'watched:3', 'still');
    expect(await cli('GET', 'marker:watched:3')).toEqual(['still']);
  });

  it('a time event whose key was deleted stays stopped after a restart: its key is not made again', async () => {
    const timer = (name: string): string =>
      `registerTimeEvent(0.05, () => execute('INCR', '${name}:ticks'), '${name}:timer')`;
    expect(await cli('RG.JSEXECUTE', timer('gone'), 'ID', 'gone')).toEqual(['OK']);
    expect(await cli('RG.JSEXECUTE', timer('kept'), 'ID', 'kept')).toEqual(['OK']);
    const ticks = async (name: string): Promise<number> =>
      Number((await redisCli(redis.port, ['GET', `${name}:ticks`]))[0] || 0);
    await until(async () => (await ticks('gone')) >= 1 && (await ticks('kept')) >= 1, 'both timers ticked');
    expect(await redisCli(redis.port, ['DEL', 'gone:timer'])).toEqual(['1']); // stops that timer
    await restart();
    // The other timer came back and ticks again; the deleted one was neither re-created nor registered.
    const before = await ticks('kept');
    await until(async () => (await ticks('kept')) > before, 'the kept timer ticks after the restart');
    expect(await redisCli(redis.port, ['EXISTS', 'gone:timer', 'kept:timer'])).toEqual(['1']);
    const sessions = await cli('RG.JSDUMPSESSIONS');
    expect(sessions).toContain('kept');
    expect(sessions).not.toContain('gone');
    expect(await redisCli(redis.port, ['HKEYS', 'rxgears:deployments'])).toEqual(['kept']);
    const registrations = await cli('RG.DUMPREGISTRATIONS');
    expect(registrations.filter((word) => word === 'TimeEventReader')).toHaveLength(1);
    expect(registrations).toContain('kept:timer');
  });

  it('RG.UNREGISTER of the last registration removes the stored script: nothing comes back', async () => {
    expect(await cli('RG.JSEXECUTE', MARKER, 'ID', 'marker')).toEqual(['OK']);
    const [, registrationId] = await cli('RG.DUMPREGISTRATIONS');
    expect(await cli('RG.UNREGISTER', registrationId!)).toEqual(['OK']);
    expect(await redisCli(redis.port, ['EXISTS', 'rxgears:deployments'])).toEqual(['0']);
    await restart();
    expect(await cli('RG.DUMPREGISTRATIONS')).toEqual(['']);
    await cli('SET', 'watched:4', 'x');
    expect(await cli('EXISTS', 'marker:watched:4')).toEqual(['0']);
  });
});

describe('a stored deployment that fails to run again', () => {
  let redis: RedisServerHandle;
  let gears: Gears;
  let server: RxgearsServer;
  const log = recordingLogger();

  beforeAll(async () => {
    redis = await startRedis();
    const stored = (source: string, createdAt: number): string => JSON.stringify({ source, createdAt });
    await redisCli(redis.port, [
      'HSET',
      'rxgears:deployments',
      'broken',
      stored('GB().register(', 1),
      'marker',
      stored(MARKER, 2),
      'garbage',
      'not json',
    ]);
    gears = await connect({ redis: redis.url, logger: log.logger });
    server = await createServer(gears, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await gears?.close();
    await redis?.stop();
  });

  it('is logged and skipped; the others are restored', async () => {
    expect(log.entries.map((e) => [e.level, e.message])).toEqual(
      expect.arrayContaining([
        ['warn', expect.stringMatching(/^deployment broken was not restored: SyntaxError: /)],
        ['warn', 'deployment garbage was not restored: not a stored deployment (not JSON)'],
        ['info', 'restored 1 deployment(s) from rxgears:deployments'],
      ]),
    );
    expect(await redisCli(server.port, ['SET', 'watched:1', 'x'])).toEqual(['OK']);
    expect(await redisCli(server.port, ['GET', 'marker:watched:1'])).toEqual(['x']);
  });

  it('is listed by RG.JSDUMPSESSIONS with its error, and RG.UNREGISTER <deployment id> removes it', async () => {
    const lines = await redisCli(server.port, ['RG.JSDUMPSESSIONS']);
    const at = lines.indexOf('broken');
    expect(lines.slice(at - 1, at + 5)).toEqual([
      'ID',
      'broken',
      'sessionDescription',
      '',
      'restoreError',
      expect.stringMatching(/^SyntaxError: /),
    ]);
    expect(await redisCli(server.port, ['RG.UNREGISTER', 'broken'])).toEqual(['OK']);
    expect(await redisCli(server.port, ['RG.UNREGISTER', 'garbage'])).toEqual(['OK']);
    expect(await redisCli(redis.port, ['HEXISTS', 'rxgears:deployments', 'broken'])).toEqual(['0']);
    expect(await redisCli(redis.port, ['HEXISTS', 'rxgears:deployments', 'garbage'])).toEqual(['0']);
    expect(await redisCli(redis.port, ['HEXISTS', 'rxgears:deployments', 'marker'])).toEqual(['1']);
  });
});
