import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { exchange, sendRaw } from '../helpers.ts';
import { until } from '../../../support/until.ts';

describe('connection state on the embedded store (one shard)', () => {
  let gears: Gears | undefined;
  let server: RxgearsServer | undefined;
  const clients: Redis[] = [];

  afterEach(async () => {
    for (const redis of clients.splice(0)) redis.disconnect();
    await server?.close();
    await gears?.close();
  });

  async function start(): Promise<() => Redis> {
    gears = await connect({ shards: 1 });
    server = await createServer(gears, { port: 0, deploymentsKey: false });
    return () => {
      const redis = new Redis({ port: server!.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      clients.push(redis);
      return redis;
    };
  }

  const blocked = async (redis: Redis): Promise<number> =>
    Number(/blocked_clients:(\d+)/.exec(String(await redis.call('INFO')))?.[1]);

  it('runs MULTI/EXEC and WATCH natively', async () => {
    const client = await start();
    const [alice, bob] = [client(), client()];
    expect(await alice.multi().set('a', '1').incr('a').get('a').exec()).toEqual([
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
    await alice.watch('a');
    await bob.set('a', '5');
    expect(await alice.multi().set('a', 'alice').exec()).toBeNull();
    expect(await alice.get('a')).toBe('5');
  });

  it('keeps database 0: SELECT n is refused, inside MULTI too, where EXEC answers the refusal in its place as Redis does', async () => {
    await start();
    const replies = await exchange(server!.port, [
      ['SELECT', '1'],
      ['MULTI'],
      ['SET', 'sel', '1'],
      ['SELECT', '1'],
      ['EXEC'],
      ['GET', 'sel'],
    ]);
    expect(replies.toString()).toBe(
      '-ERR DB index is out of range\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n' +
        '*2\r\n+OK\r\n-ERR DB index is out of range\r\n$1\r\n1\r\n',
    );
  });

  it('blocks BLPOP on its own connection while others are answered, and reports it in INFO blocked_clients', async () => {
    const client = await start();
    const [waiter, other] = [client(), client()];
    const popped = waiter.blpop('jobs', 0);
    await until(async () => (await blocked(other)) === 1, 'BLPOP is blocked');
    expect(await other.ping()).toBe('PONG');
    await other.rpush('jobs', 'j1');
    expect(await popped).toEqual(['jobs', 'j1']);
    expect(await blocked(other)).toBe(0);
  });

  it('ends a blocked command with CLIENT UNBLOCK (TIMEOUT or ERROR), and a timeout with a null array', async () => {
    const client = await start();
    const [waiter, other] = [client(), client()];
    const id = Number(await waiter.client('ID'));
    const first = waiter.bzpopmin('z', 0);
    await until(async () => (await blocked(other)) === 1, 'BZPOPMIN is blocked');
    expect(await other.call('CLIENT', 'UNBLOCK', String(id))).toBe(1);
    expect(await first).toBeNull();
    const second = waiter.blpop('l', 0);
    await until(async () => (await blocked(other)) === 1, 'BLPOP is blocked');
    expect(await other.call('CLIENT', 'UNBLOCK', String(id), 'ERROR')).toBe(1);
    await expect(second).rejects.toThrow('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(await other.call('CLIENT', 'UNBLOCK', String(id))).toBe(0);
    await expect(other.call('CLIENT', 'UNBLOCK', String(id), 'LATER')).rejects.toThrow(
      'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
    );
    const raw = await sendRaw(server!.port, ['*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$4\r\n0.01\r\n']);
    expect(raw.toString()).toBe('*-1\r\n');
  });

  it('lets a client that disconnects while blocked take nothing', async () => {
    const client = await start();
    const [waiter, other] = [client(), client()];
    void waiter.blpop('q', 0).catch(() => undefined);
    await until(async () => (await blocked(other)) === 1, 'BLPOP is blocked');
    waiter.disconnect();
    await until(async () => (await blocked(other)) === 0, 'the blocked client is gone');
    await other.rpush('q', 'kept');
    expect(await other.lrange('q', 0, -1)).toEqual(['kept']);
  });
});
