import { Cluster, Redis } from 'ioredis';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, serve, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';
import { ReplyParser } from '../../../../lib/server/protocol/client.ts';
import { encodeCommand, ErrorReply } from '../../../../lib/server/protocol/replies.ts';
import { redisCli, runProcess, sendRaw } from '../helpers.ts';

/** Everything the server answered on one connection, as parsed replies. */
async function exchange(port: number, commands: string[][]): Promise<unknown[]> {
  const raw = await sendRaw(
    port,
    commands.map((c) => encodeCommand(c)),
  );
  return new ReplyParser().push(raw);
}

describe('rxgears server connections', () => {
  let gears: Gears;
  let server: RxgearsServer;

  beforeAll(async () => {
    gears = await connect({ shards: 3 });
    server = await createServer(gears, { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await gears?.close();
  });

  it('answers PING, ECHO, SELECT, COMMAND, CLIENT and INFO itself', async () => {
    const replies = await exchange(server.port, [
      ['PING'],
      ['PING', 'hi'],
      ['ECHO', 'x y'],
      ['SELECT', '0'],
      ['SELECT', '1'],
      ['COMMAND', 'COUNT'],
      ['CLIENT', 'SETNAME', 'tester'],
      ['CLIENT', 'GETNAME'],
      ['ECHO'],
    ]);
    expect(replies).toEqual([
      'PONG',
      'hi',
      'x y',
      'OK',
      new ErrorReply('ERR SELECT is not allowed in cluster mode'),
      0,
      'OK',
      'tester',
      new ErrorReply("ERR wrong number of arguments for 'echo' command"),
    ]);
    const [info] = await exchange(server.port, [['INFO']]);
    expect(info).toMatch(/# rxgears\r\nbackend:memory\r\nshards:3\r\n/);
  });

  it('switches to RESP3 after HELLO 3: maps, nulls and doubles are typed', async () => {
    const raw = (
      await sendRaw(server.port, [encodeCommand(['HELLO', '3']), encodeCommand(['GET', 'resp3:missing'])])
    ).toString();
    expect(raw.startsWith('%7\r\n$6\r\nserver\r\n$7\r\nrxgears\r\n')).toBe(true);
    expect(raw).toContain('$5\r\nproto\r\n:3\r\n');
    expect(raw.endsWith('_\r\n')).toBe(true);
    expect((await sendRaw(server.port, ['HELLO 4\r\n'])).toString()).toBe('-NOPROTO unsupported protocol version\r\n');
    // redis-cli -3 speaks RESP3 to it.
    expect(await redisCli(server.port, ['-3', 'PING'])).toEqual(['PONG']);
  });

  it('presents itself as a one-node cluster owning every slot, so cluster clients send everything through it', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: server.port }], {
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `cluster:client:${i}`);
      for (const key of keys) await cluster.set(key, key.toUpperCase());
      expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map((key) => key.toUpperCase()));
      const [results] = (await cluster.call('RG.JSEXECUTE', "GB().map(r => r.key).run('cluster:client:*')")) as [
        string[],
      ];
      expect([...results].sort()).toEqual([...keys].sort());
      expect(await cluster.call('CLUSTER', 'KEYSLOT', 'foo')).toBe(12182);
    } finally {
      await cluster.quit();
    }
  });

  it('answers QUIT with OK and closes the connection', async () => {
    expect(await exchange(server.port, [['QUIT'], ['PING']])).toEqual(['OK']);
  });

  it('answers a flood of pipelined requests completely and in order (backpressure, no loss)', async () => {
    const count = 50_000;
    const raw = await sendRaw(server.port, [Buffer.from('PING\r\n'.repeat(count)), encodeCommand(['ECHO', 'last'])]);
    const replies = new ReplyParser().push(raw);
    expect(replies).toHaveLength(count + 1);
    expect(replies.at(-1)).toBe('last');
  });

  it('sends large replies to a client that reads them', async () => {
    const value = 'v'.repeat(1024 * 1024);
    await gears.execute('SET', 'big:value', value);
    const replies = await exchange(
      server.port,
      Array.from({ length: 40 }, () => ['GET', 'big:value']),
    );
    expect(replies).toHaveLength(40);
    expect(replies.every((r) => r === value)).toBe(true);
  });

  it('finishes a script whose client left, and keeps serving', async () => {
    const script = `await new Promise((r) => setTimeout(r, 20));
const result = await GB().run();
await execute('SET', 'left:done', '1');
result`;
    await new Promise<void>((resolve) => {
      const socket = netConnect(server.port, '127.0.0.1', () => {
        socket.write(encodeCommand(['RG.JSEXECUTE', script]), () => {
          socket.destroy();
          resolve();
        });
      });
    });
    await vi.waitFor(async () => expect(await gears.execute('GET', 'left:done')).toBe('1'), { timeout: 10_000 });
    expect(await redisCli(server.port, ['PING'])).toEqual(['PONG']);
  });
});

describe('rxgears serve over a Redis that needs AUTH', () => {
  let redisServer: RedisServerHandle;
  let server: RxgearsServer;

  beforeAll(async () => {
    redisServer = await startRedis({ args: ['--requirepass', 'backing-pass'] });
    server = await serve({ redis: redisServer.url, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await redisServer?.stop();
  });

  it('asks clients for the same credentials before anything runs', async () => {
    expect(
      await exchange(server.port, [
        ['SET', 'k', 'v'],
        ['AUTH', 'backing-pass'],
        ['SET', 'k', 'v'],
        ['GET', 'k'],
      ]),
    ).toEqual([new ErrorReply('NOAUTH Authentication required.'), 'OK', 'OK', 'v']);
  });
});

describe('rxgears server with requirePass', () => {
  let gears: Gears;
  let server: RxgearsServer;

  beforeAll(async () => {
    gears = await connect();
    server = await createServer(gears, { port: 0, requirePass: 's3cret' });
  });
  afterAll(async () => {
    await server?.close();
    await gears?.close();
  });

  it('answers only AUTH, HELLO with AUTH, PING and QUIT before a successful AUTH', async () => {
    const replies = await exchange(server.port, [
      ['GET', 'k'],
      ['RG.JSEXECUTE', 'GB().run()'],
      ['HELLO', '3'],
      ['PING'],
      ['AUTH', 'wrong'],
      ['GET', 'k'],
      ['AUTH', 's3cret'],
      ['SET', 'k', 'v'],
      ['GET', 'k'],
    ]);
    expect(replies).toEqual([
      new ErrorReply('NOAUTH Authentication required.'),
      new ErrorReply('NOAUTH Authentication required.'),
      expect.objectContaining({ message: expect.stringMatching(/^NOAUTH HELLO must be called/) as unknown }),
      'PONG',
      new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.'),
      new ErrorReply('NOAUTH Authentication required.'),
      'OK',
      'OK',
      'v',
    ]);
  });

  it('accepts HELLO 3 AUTH default <password>, redis-cli -a and ioredis with a password', async () => {
    const [hello, value] = await exchange(server.port, [['HELLO', '3', 'AUTH', 'default', 's3cret'], ['PING']]);
    expect(hello).toEqual(expect.arrayContaining(['proto', 3]));
    expect(value).toBe('PONG');
    expect(await redisCli(server.port, ['-a', 's3cret', '--no-auth-warning', 'GET', 'k'])).toEqual(['v']);
    const client = new Redis({ port: server.port, host: '127.0.0.1', password: 's3cret', maxRetriesPerRequest: 1 });
    try {
      expect(await client.get('k')).toBe('v');
    } finally {
      await client.quit();
    }
  });

  it('refuses redis-cli without the password', async () => {
    const result = await runProcess('redis-cli', ['-p', String(server.port), 'GET', 'k']);
    expect(result.stdout).toMatch(/NOAUTH Authentication required/);
  });
});
