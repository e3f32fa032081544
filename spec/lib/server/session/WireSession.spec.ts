import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { deleteKeys, uniquePrefix } from '../../../support/backends.ts';
import { until } from '../../../support/until.ts';
import { exchange } from '../helpers.ts';

const backends = [
  { name: 'a real Redis', url: () => inject('redisUrl') },
  { name: 'a real Redis Cluster', url: () => inject('clusterUrls')[0]! },
];

describe.each(backends)('connection state through the proxy over $name', (backend) => {
  const prefix = uniquePrefix('session');
  const k = (name: string): string => `${prefix}{t}${name}`;
  let gears: Gears;
  let server: RxgearsServer;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const redis = new Redis({ port: server.port, maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };

  /** CLIENT LIST of every node, as one text. */
  const clientLists = async (): Promise<string> =>
    (await Promise.all(gears.shards.map((shard) => shard.store.call('CLIENT', 'LIST')))).join('\n');

  beforeAll(async () => {
    gears = await connect({ redis: backend.url() });
    server = await createServer(gears, { port: 0, deploymentsKey: false });
  });

  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    if (gears) await deleteKeys(gears, `${prefix}*`);
    await server?.close();
    await gears?.close();
  });

  it('runs an ioredis multi() atomically on a connection of its own', async () => {
    const redis = client();
    await redis.set(k('a'), '100');
    const result = await redis.multi().decrby(k('a'), 30).incrby(k('b'), 30).get(k('a')).exec();
    expect(result).toEqual([
      [null, 70],
      [null, 30],
      [null, '70'],
    ]);
  });

  it('answers a null EXEC when a watched key changed, and applies nothing', async () => {
    const [alice, bob] = [client(), client()];
    await alice.set(k('w'), '1');
    expect(await alice.watch(k('w'))).toBe('OK');
    expect(await bob.set(k('w'), '2')).toBe('OK');
    expect(await alice.multi().set(k('w'), 'alice').set(k('w2'), 'alice').exec()).toBeNull();
    expect(await bob.mget(k('w'), k('w2'))).toEqual(['2', null]);
    // The connection went back clean: the next transaction runs.
    expect(await alice.multi().set(k('w'), '3').exec()).toEqual([[null, 'OK']]);
  });

  it('refuses a transaction wholesale when the proxy cannot queue one of its commands: nothing of it runs', async () => {
    const redis = client();
    await redis.mset(k('x'), '100', k('y'), '0');
    const tx = redis.multi().decrby(k('x'), 30);
    tx.call('RG.JSEXECUTE', 'GB().run()');
    tx.incrby(k('y'), 30);
    await expect(tx.exec()).rejects.toThrow('EXECABORT');
    expect(await redis.mget(k('x'), k('y'))).toEqual(['100', '0']);
  });

  it('keeps a transaction in one slot: CROSSSLOT for another slot on a Cluster, and EXECABORT', async () => {
    const redis = client();
    const other = `${prefix}{elsewhere-9}k`;
    const tx = redis.multi().set(k('c1'), '1').set(other, '1');
    if (gears.shards.length > 1) {
      await expect(tx.exec()).rejects.toThrow('EXECABORT');
      expect(await redis.exists(k('c1'))).toBe(0);
    } else {
      expect(await tx.exec()).toEqual([
        [null, 'OK'],
        [null, 'OK'],
      ]);
    }
  });

  it('keeps every connection on database 0: SELECT n refused outside MULTI and, as Redis does, in its place in EXEC', async () => {
    const redis = client();
    const cluster = gears.shards.length > 1;
    const refusal = cluster ? 'ERR SELECT is not allowed in cluster mode' : 'ERR DB index is out of range';
    const outside = (
      await exchange(server.port, [
        ['SELECT', '0'],
        ['SELECT', '1'],
      ])
    ).toString();
    expect(outside).toBe(`+OK\r\n-${refusal}\r\n`);
    await redis.set(k('s'), 'db0');
    const inside = (
      await exchange(server.port, [['MULTI'], ['SET', k('s'), 'changed'], ['SELECT', '1'], ['GET', k('s')], ['EXEC']])
    ).toString();
    expect(inside).toBe(`+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n-${refusal}\r\n$7\r\nchanged\r\n`);
    const zero = redis.multi().get(k('s'));
    zero.select(0);
    expect(await zero.exec()).toEqual([
      [null, 'changed'],
      [null, 'OK'],
    ]);
    // The pooled connections stayed on database 0: the next transaction sees the same data.
    expect(await client().multi().get(k('s')).exec()).toEqual([[null, 'changed']]);
  });

  it('answers EXEC and DISCARD without MULTI as Redis does', async () => {
    const redis = client();
    await expect(redis.exec()).rejects.toThrow('ERR EXEC without MULTI');
    await expect(redis.discard()).rejects.toThrow('ERR DISCARD without MULTI');
    expect(await redis.unwatch()).toBe('OK');
  });

  it('blocks a BLPOP on its own connection while other clients are answered, and wakes it on LPUSH', async () => {
    const [waiter, other] = [client(), client()];
    const popped = waiter.blpop(k('list'), 0);
    await until(async () => / flags=b .* cmd=blpop /.test(await clientLists()), 'BLPOP is blocked');
    expect(await other.ping()).toBe('PONG');
    expect(await other.lpush(k('list'), 'v')).toBe(1);
    expect(await popped).toEqual([k('list'), 'v']);
  });

  it('closes the blocked connection when its client leaves, so no element is popped for nobody', async () => {
    const [waiter, other] = [client(), client()];
    waiter.blpop(k('gone'), 0).catch(() => undefined);
    await until(async () => / flags=b .* cmd=blpop /.test(await clientLists()), 'BLPOP is blocked');
    waiter.disconnect();
    await until(async () => !/ flags=b .* cmd=blpop /.test(await clientLists()), 'BLPOP is gone');
    await other.lpush(k('gone'), 'kept');
    expect(await other.llen(k('gone'))).toBe(1);
  });

  it('delivers pub/sub messages to a subscriber through the proxy', async () => {
    const [subscriber, publisher] = [client(), client()];
    const messages: string[] = [];
    subscriber.on('message', (channel: string, message: string) => messages.push(`${channel}:${message}`));
    expect(await subscriber.subscribe(k('chan'))).toBe(1);
    await until(async () => Number(await publisher.publish(k('chan'), 'hello')) > 0, 'a subscriber receives');
    await until(() => messages.length > 0, 'the message arrives');
    expect(messages[0]).toBe(`${k('chan')}:hello`);
    expect(await subscriber.unsubscribe(k('chan'))).toBe(0);
  });
});
