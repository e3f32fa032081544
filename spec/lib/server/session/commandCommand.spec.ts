import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';
import { exchange } from '../helpers.ts';

const ZUNION_KEYS = Array.from({ length: 260 }, (_, i) => `key${i}`);

/** COMMAND GETKEYS over Redis' special cases (movable keys, subcommands) and each of its errors. */
const REQUESTS = [
  ['COMMAND', 'GETKEYS', 'GET', 'key'],
  ['COMMAND', 'GETKEYS', 'get', 'key'],
  ['COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2'],
  ['COMMAND', 'GETKEYS', 'LMOVE', 'k1', 'k2', 'left', 'right'],
  ['COMMAND', 'GETKEYS', 'SORT', 'abc', 'STORE', 'def'],
  ['COMMAND', 'GETKEYS', 'SORT_RO', 'abc'],
  ['COMMAND', 'GETKEYS', 'SORT', 'abc', 'store', 'invalid', 'store', 'stillbad', 'store', 'def'],
  ['COMMAND', 'GETKEYS', 'SORT', 'abc', 'BY', 'w_*', 'GET', 'o_*', 'LIMIT', '0', '1', 'STORE', 'dst'],
  ['COMMAND', 'GETKEYS', 'MEMORY', 'USAGE', 'key'],
  ['COMMAND', 'GETKEYS', 'XGROUP', 'CREATE', 'key', 'groupname', '$'],
  ['COMMAND', 'GETKEYS', 'EVAL', 'return 1', '1', 'key'],
  ['COMMAND', 'GETKEYS', 'EVAL', 'return 1', '0'],
  ['COMMAND', 'GETKEYS', 'LCS', 'key1', 'key2'],
  ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'target', String(ZUNION_KEYS.length), ...ZUNION_KEYS],
  ['COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'target', '5', 'a'],
  ['COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '0', '0'],
  ['COMMAND', 'GETKEYS', 'GEORADIUS', 'k', '1', '2', '3', 'm', 'STORE', 's'],
  ['COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', '', '0', '5', 'KEYS', 'a', 'b'],
  ['COMMAND', 'GETKEYS', 'NOSUCHCOMMAND', 'a'],
  ['COMMAND', 'GETKEYS', 'MEMORY', 'NOSUCHSUB', 'key'],
  ['COMMAND', 'GETKEYS', 'CONFIG', 'GET', 'x'],
  ['COMMAND', 'GETKEYS', 'CLIENT', 'LIST'],
  ['COMMAND', 'GETKEYS', 'SET', 'k'],
  ['COMMAND', 'GETKEYS', 'GET'],
  ['COMMAND', 'GETKEYS'],
  ['COMMAND', 'COUNT', 'extra'],
];

describe('COMMAND GETKEYS', () => {
  let redis: RedisServerHandle;
  let gears: Gears;
  let server: RxgearsServer;

  beforeAll(async () => {
    redis = await startRedis();
    gears = await connect({ shards: 1 });
    server = await createServer(gears, { port: 0 });
  });

  afterAll(async () => {
    await server.close();
    await gears.close();
    await redis.stop();
  });

  it('answers as redis-server 7.0 does, byte for byte, keys and errors', async () => {
    const expected = (await exchange(redis.port, REQUESTS)).toString('latin1');
    expect(expected).toContain('-ERR Invalid command specified');
    expect((await exchange(server.port, REQUESTS)).toString('latin1')).toBe(expected);
  });
});
