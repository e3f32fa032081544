import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { exchange, useEmbeddedBesideRedis } from '../helpers.ts';

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

describe('COMMAND GETKEYS, INFO and LIST', () => {
  const ports = useEmbeddedBesideRedis(); // CONFIG RESETSTAT and notify-keyspace-events are server-wide

  it('answers as redis-server 7.0 does, byte for byte, keys and errors', async () => {
    const expected = (await exchange(ports.redis, REQUESTS)).toString('latin1');
    expect(expected).toContain('-ERR Invalid command specified');
    expect((await exchange(ports.server, REQUESTS)).toString('latin1')).toBe(expected);
  });

  /**
   * COMMAND INFO's name, arity, movablekeys flag, first key, last key and step per entry; null for none. (Other
   * flags come from a later Redis' table: 16 of 7.0's 240 commands differ there, BLPOP's `noscript` for one.)
   */
  async function infoHeads(port: number, names: string[]): Promise<unknown[]> {
    const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const entries = (await client.call('COMMAND', 'INFO', ...names)) as (unknown[] | null)[];
      return entries.map((e) => e && [e[0], e[1], (e[2] as string[]).includes('movablekeys'), e[3], e[4], e[5]]);
    } finally {
      client.disconnect();
    }
  }

  it('gives COMMAND INFO names, arity, movablekeys and key positions as redis-server 7.0 does', async () => {
    const names = [
      ...['SET', 'GET', 'MSET', 'LMOVE', 'LPOP', 'BLPOP', 'PING', 'MEMORY', 'MEMORY|USAGE', 'RENAME', 'GEORADIUS_RO'],
      ...['ZUNIONSTORE', 'XREAD', 'EVAL', 'SORT', 'SORT_RO', 'MIGRATE', 'GEORADIUS', 'config|get'],
      ...['get|key', 'config|get|key', 'nosuchcommand'],
    ];
    const expected = await infoHeads(ports.redis, names);
    expect(expected.at(-1)).toBeNull();
    expect(await infoHeads(ports.server, names)).toEqual(expected);
  });

  it('lists commands and subcommands by pattern, and refuses a malformed COMMAND LIST as redis-server does', async () => {
    const requests = [
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'set'],
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'non_exists*'],
      ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'non_existing_module'],
      ['COMMAND', 'LIST', 'bad_arg'],
      ['COMMAND', 'LIST', 'FILTERBY', 'bad_arg'],
      ['COMMAND', 'LIST', 'FILTERBY', 'bad_arg', 'bad_arg2'],
    ];
    const expected = (await exchange(ports.redis, requests)).toString('latin1');
    expect((await exchange(ports.server, requests)).toString('latin1')).toBe(expected);
    const client = new Redis({ port: ports.server, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const configs = (await client.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config|*re*')) as string[];
      expect(configs).toEqual(expect.arrayContaining(['config|resetstat', 'config|rewrite']));
      expect(await client.call('COMMAND', 'LIST')).toEqual(expect.arrayContaining(['set', 'client|list']));
    } finally {
      client.disconnect();
    }
  });
});
