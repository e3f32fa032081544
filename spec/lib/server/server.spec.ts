import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';
import { deleteKeys, uniquePrefix } from '../../support/backends.ts';
import { redisCli } from './helpers.ts';

interface ServerBackend {
  name: string;
  /** Whether other spec files use the same keyspace (then only our prefix may be read). */
  shared: boolean;
  connect(): Promise<Gears>;
}

const backends: ServerBackend[] = [
  {
    name: 'the embedded store with 3 shards',
    shared: false,
    connect: () => connect({ shards: 3, cloneRecords: true }),
  },
  {
    name: 'a real Redis',
    shared: true,
    connect: () => connect({ redis: inject('redisUrl'), cloneRecords: true }),
  },
];

const EXECUTION_ID = /^[0-9a-f]{40}-\d+$/;

describe.each(backends)('rxgears server over $name', (backend) => {
  const prefix = uniquePrefix('server');
  const k = (name: string): string => `${prefix}${name}`;
  let gears: Gears;
  let server: RxgearsServer;
  let redis: Redis;
  const cli = (...args: string[]): Promise<string[]> => redisCli(server.port, args);
  const jsExecute = (source: string, ...flags: string[]): Promise<unknown> =>
    redis.call('RG.JSEXECUTE', source, ...flags);

  beforeAll(async () => {
    gears = await backend.connect();
    // Our own deployments hash: a shared Redis' default one would hand our scripts to other spec files' servers.
    server = await createServer(gears, { port: 0, deploymentsKey: k('deployments') });
    redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    await cli('HSET', k('person:1'), 'name', 'Rick Sanchez', 'age', '70');
    await cli('HSET', k('person:2'), 'name', 'Morty Smith', 'age', '14');
    await cli('SET', k('foo'), 'bar');
  });

  afterAll(async () => {
    await redis?.quit();
    if (gears) await deleteKeys(gears, `${prefix}*`);
    await server?.close();
    await gears?.close();
  });

  it('proxies SET, HSET and GET from redis-cli to the store', async () => {
    expect(await cli('SET', k('greeting'), 'hello world')).toEqual(['OK']);
    expect(await cli('GET', k('greeting'))).toEqual(['hello world']);
    expect(await cli('HSET', k('h'), 'a', '1', 'b', '2')).toEqual(['2']);
    expect(await cli('HGET', k('h'), 'b')).toEqual(['2']);
    expect(await cli('GET', k('missing'))).toEqual(['']);
    expect((await cli('GET', k('h')))[0]).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
  });

  it('answers with a status where Redis does (redis-cli prints OK, not "OK"), bulk strings otherwise', async () => {
    expect(await cli('--no-raw', 'SET', k('status'), 'OK')).toEqual(['OK']);
    expect(await cli('--no-raw', 'GET', k('status'))).toEqual(['"OK"']);
    expect(await cli('--no-raw', 'TYPE', k('status'))).toEqual(['string']);
    expect(await cli('--no-raw', 'SET', k('status'), 'new', 'GET')).toEqual(['"OK"']);
  });

  it('proxies ioredis commands, pipelined, answering in order', async () => {
    const replies = await redis.pipeline().set(k('n'), '1').incr(k('n')).incrby(k('n'), 10).get(k('n')).exec();
    expect(replies).toEqual([
      [null, 'OK'],
      [null, 2],
      [null, 12],
      [null, '12'],
    ]);
    expect(await redis.hgetall(k('person:1'))).toEqual({ name: 'Rick Sanchez', age: '70' });
    await expect(redis.get(k('person:1'))).rejects.toThrow(/^WRONGTYPE/);
  });

  it('takes a command of 60 002 arguments (GEOADD of 20 000 points)', async () => {
    const args: string[] = [];
    for (let i = 0; i < 20_000; i++) args.push(String((i % 360) - 180), String((i % 170) - 85), `p${i}`);
    expect(await redis.call('GEOADD', k('points'), ...args)).toBe(20_000);
    expect(await redis.zcard(k('points'))).toBe(20_000);
  });

  it('splits multi-key DEL, EXISTS and MGET over shards and lists KEYS of every shard', async () => {
    await redis.mset(k('{m}a'), '1', k('{m}b'), '2');
    await redis.set(k('m:c'), '3');
    expect(await redis.mget(k('{m}a'), k('m:c'), k('nope'))).toEqual(['1', '3', null]);
    expect(await redis.exists(k('{m}a'), k('m:c'), k('nope'))).toBe(2);
    expect((await redis.keys(k('person:*'))).sort()).toEqual([k('person:1'), k('person:2')]);
    expect(await redis.del(k('{m}a'), k('{m}b'), k('m:c'))).toBe(3);
  });

  it('refuses commands it cannot give a connection of their own, and runs a transaction in one slot', async () => {
    await expect(redis.call('SYNC')).rejects.toThrow(/not supported through the rxgears proxy/);
    expect(await redis.multi().set(k('{tx}a'), '1').get(k('{tx}a')).exec()).toEqual([
      [null, 'OK'],
      [null, '1'],
    ]);
  });

  // On a shared server the keyspace holds other tests' keys too: arrayContaining checks ours are there.
  it('RG.JSEXECUTE "GB().run()" returns every key as RedisGears does: [[records], [errors]]', async () => {
    const [results, errors] = (await jsExecute('GB().run()')) as [string[], string[]];
    expect(errors).toEqual([]);
    expect(results.map((r) => JSON.parse(r) as unknown)).toEqual(
      expect.arrayContaining([
        { key: k('person:1'), type: 'hash', value: { name: 'Rick Sanchez', age: '70' }, event: null },
        { key: k('foo'), type: 'string', value: 'bar', event: null },
      ]),
    );
  });

  it('RG.JSEXECUTE runs a gear over a pattern, through redis-cli too', async () => {
    const script = `GB().map(r => r.key).run('${prefix}person:*')`;
    expect(((await jsExecute(script)) as string[][])[0]!.sort()).toEqual([k('person:1'), k('person:2')]);
    expect((await cli('RG.JSEXECUTE', script)).filter(Boolean).sort()).toEqual([k('person:1'), k('person:2')]);
  });

  it('replies with plain strings and integers as they are, other records as JSON', async () => {
    const script = `GB().map(r => r.key.endsWith('1') ? 70 : { age: 14.5 }).run('${prefix}person:*')`;
    const [results] = (await jsExecute(script)) as [unknown[]];
    expect(results).toEqual(expect.arrayContaining([70, '{"age":14.5}']));
  });

  it('RG.JSEXECUTE … UNBLOCKING answers the execution id at once', async () => {
    expect(await jsExecute(`GB().run('${prefix}*')`, 'UNBLOCKING')).toMatch(EXECUTION_ID);
  });

  it('lets a script await at top level and use execute()', async () => {
    const script = `await execute('SET', '${k('tla')}', 'v1');\nGB().map(r => r.value).run('${k('tla')}')`;
    expect(await jsExecute(script)).toEqual([['v1'], []]);
  });

  it('runs TypeScript source: types are stripped', async () => {
    const script = `interface Person { key: string }
const keyOf = (r: Person): string => r.key;
GB().map(keyOf).run('${prefix}person:*')`;
    expect(((await jsExecute(script)) as string[][])[0]!.sort()).toEqual([k('person:1'), k('person:2')]);
  });

  it('lists errors of failing records next to the results', async () => {
    const script = `GB().map(r => { if (r.key.endsWith('2')) throw new Error('boom'); return r.key }).run('${prefix}person:*')`;
    const [results, errors] = (await jsExecute(script)) as [string[], string[]];
    expect(results).toEqual([k('person:1')]);
    // Made in the script's vm realm, formatted like any other error: "<name>: <message>".
    expect(errors).toEqual(['Error: boom']);
  });

  it('answers syntax, build and thrown errors with an error reply and keeps serving', async () => {
    await expect(jsExecute('GB().map(r => r.key).run(')).rejects.toThrow(/^SyntaxError: /);
    await expect(jsExecute('GB().map(42).run()')).rejects.toThrow(/map argument must be a function/);
    await expect(jsExecute("GB('NoSuchReader')")).rejects.toThrow(/reader does not exists/);
    await expect(jsExecute("throw new TypeError('nope')")).rejects.toThrow('TypeError: nope');
    await expect(jsExecute('GB().run(undefined, { bogus: 1 })')).rejects.toThrow(/unknown option 'bogus'/);
    expect(await redis.ping()).toBe('PONG');
  });

  it('gives scripts no require, process or import()', async () => {
    const script = `GB('ShardsIDReader').map(() => [typeof require, typeof process, typeof module].join()).run()`;
    const [results] = (await jsExecute(script)) as [string[]];
    expect(new Set(results)).toEqual(new Set(['undefined,undefined,undefined']));
    await expect(jsExecute("import('node:fs')")).rejects.toThrow();
  });

  it('gives scripts require, process and import() on a server started with allowRequire', async () => {
    const open = await createServer(gears, { port: 0, allowRequire: true, deploymentsKey: k('deployments') });
    const client = new Redis({ port: open.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const script = `const { sep } = await import('node:path');
const os = require('node:os');
GB('ShardsIDReader').map(() => [typeof process.pid, sep, typeof os.cpus].join()).limit(1).run()`;
      const [results] = (await client.call('RG.JSEXECUTE', script)) as [string[]];
      expect(new Set(results)).toEqual(new Set(['number,/,function']));
    } finally {
      await client.quit();
      await open.close();
    }
  });

  it('answers an unknown execution id, unknown RG commands and wrong arity like Redis', async () => {
    await expect(redis.call('RG.GETRESULTS', 'nope')).rejects.toThrow('execution plan does not exist');
    await expect(redis.call('RG.NOSUCH', 'a')).rejects.toThrow(
      "ERR unknown command 'RG.NOSUCH', with args beginning with: 'a'",
    );
    await expect(redis.call('RG.GETRESULTS')).rejects.toThrow(
      "ERR wrong number of arguments for 'rg.getresults' command",
    );
    await expect(redis.call('RG.JSEXECUTE', 'GB()', 'BOGUS')).rejects.toThrow(/unknown argument 'BOGUS'/);
  });
});
