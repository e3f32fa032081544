import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { allBackends, deleteKeys, uniquePrefix } from '../../../support/backends.ts';
import { exchange } from '../helpers.ts';

/** HELLO's map (RESP3) or flat array (RESP2) names the server, its version and the client id: masked. */
function masked(bytes: Buffer): string {
  return bytes
    .toString('latin1')
    .replace(/(%7|\*14)\r\n\$6\r\nserver\r\n[\s\S]*?\$7\r\nmodules\r\n\*0\r\n/g, '<HELLO $1>');
}

const port = (url: string): number => Number(new URL(url).port);

/**
 * The same requests to a real redis-server and to rxgears, masked replies side by side; `requests` gets the key
 * prefix to use (each side its own: on the `redis` backend both are the same redis-server).
 */
async function bothWays(
  server: RxgearsServer,
  prefix: string,
  requests: (prefix: string) => (readonly string[])[],
): Promise<{ redis: string; rxgears: string }> {
  const [redis, rxgears] = await Promise.all([
    exchange(port(inject('redisUrl')), requests(`${prefix}ref:`)),
    exchange(server.port, requests(prefix)),
  ]);
  return { redis: masked(redis), rxgears: masked(rxgears) };
}

describe.each(allBackends())("the server's own commands inside MULTI on $name", (backend) => {
  const prefix = uniquePrefix('own');
  /** One slot for every key of a transaction, so that a Cluster transaction may hold them all. */
  const k = (name: string, p = prefix): string => `${p}{t}${name}`;
  let gears: Gears;
  let server: RxgearsServer;
  let redis: Redis;

  beforeAll(async () => {
    gears = await backend.connect();
    server = await createServer(gears, { port: 0, deploymentsKey: false });
    redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    redis?.disconnect();
    await deleteKeys(gears, `${prefix}*`);
    // The reference redis-server got the same keys.
    const direct = new Redis(inject('redisUrl'));
    const keys = await direct.keys(`${prefix}*`);
    if (keys.length > 0) await direct.del(...keys);
    direct.disconnect();
    await server?.close();
    await gears?.close();
  });

  it('queues INFO, PING, ECHO and CLIENT ID in an ioredis multi() and answers them in order inside EXEC', async () => {
    const id = await redis.client('ID');
    const result = await redis
      .multi()
      .info('rxgears')
      .ping()
      .echo('hi')
      .client('ID')
      .set(k('a'), '1')
      .get(k('a'))
      .exec();
    expect(result?.map(([error]) => error)).toEqual([null, null, null, null, null, null]);
    const [info, ...rest] = result!.map(([, reply]) => reply);
    // The server's INFO (its own section), not the backend's.
    expect(info).toContain('# rxgears');
    expect(info).toContain(`backend:${gears.topology.kind}`);
    expect(rest).toEqual(['PONG', 'hi', id, 'OK', '1']);
  });

  it('switches the protocol at a HELLO inside MULTI for the replies after it, as redis-server does, byte for byte', async () => {
    const requests = (p: string): string[][] => [
      ['MULTI'],
      ['HSET', k('h', p), 'f', 'v'],
      ['HELLO', '3'],
      ['HGETALL', k('h', p)],
      ['PING'],
      ['HELLO', '2'],
      ['HGETALL', k('h', p)],
      ['HELLO', '4'],
      ['EXEC'],
      ['HGETALL', k('h', p)],
    ];
    const { redis: expected, rxgears } = await bothWays(server, prefix, requests);
    expect(expected).toContain('%1\r\n$1\r\nf\r\n$1\r\nv\r\n'); // the reference did switch
    expect(rxgears).toBe(expected);
  });

  it('runs a whole transaction in RESP3 after HELLO 3 before MULTI, as redis-server does', async () => {
    const requests = (p: string): string[][] => [
      ['HELLO', '3'],
      ['MULTI'],
      ['HSET', k('r', p), 'f', 'v'],
      ['HGETALL', k('r', p)],
      ['ECHO', 'e'],
      ['CLIENT', 'SETNAME', 'resp3'],
      ['CLIENT', 'GETNAME'],
      ['EXEC'],
      ['HELLO', '2'],
    ];
    const { redis: expected, rxgears } = await bothWays(server, prefix, requests);
    expect(rxgears).toBe(expected);
  });

  it("refuses at once what Redis refuses at once: a queueing error aborts EXEC, WATCH and MULTI inside don't", async () => {
    const requests = (p: string): string[][] => [
      ['MULTI'],
      ['WATCH', k('w', p)],
      ['MULTI'],
      ['SET', k('w', p), '1'],
      ['PING', 'a', 'b'], // PING checks its arguments when it runs: an error in its place
      ['EXEC'],
      ['MULTI'],
      ['SET', k('w', p), '2'],
      ['ECHO'],
      ['CLIENT'],
      ['EXEC'],
      ['GET', k('w', p)],
    ];
    const { redis: expected, rxgears } = await bothWays(server, prefix, requests);
    expect(rxgears).toBe(expected);
  });

  it('queues keyless commands before the first keyed one wherever that key lives (every master of a Cluster)', async () => {
    for (const tag of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const key = (p: string): string => `${p}{${tag}}k`;
      const requests = (p: string): string[][] => [
        ['MULTI'],
        ['PING'],
        ['PUBLISH', `${p}chan`, 'm'],
        ['ECHO', tag],
        ['SET', key(p), tag],
        ['EXEC'],
      ];
      const { redis: expected, rxgears } = await bothWays(server, prefix, requests);
      expect(rxgears).toBe(expected);
      expect(await redis.get(key(prefix))).toBe(tag);
    }
  });

  it('refuses RG commands and RESET inside MULTI with their reasons, and EXEC then runs nothing of the transaction', async () => {
    const replies = await exchange(server.port, [
      ['MULTI'],
      ['SET', k('g'), '1'],
      ['RG.DUMPEXECUTIONS'],
      ['EXEC'],
      ['MULTI'],
      ['SET', k('g'), '2'],
      ['RESET'],
      ['EXEC'],
      ['GET', k('g')],
    ]);
    expect(replies.toString()).toBe(
      [
        '+OK',
        '+QUEUED',
        "-ERR 'RG.DUMPEXECUTIONS' cannot be queued in a transaction through the rxgears proxy",
        '-EXECABORT Transaction discarded because of previous errors.',
        '+OK',
        '+QUEUED',
        "-ERR 'RESET' is not supported through the rxgears proxy: it would act on a connection shared by all clients",
        '-EXECABORT Transaction discarded because of previous errors.',
        '$-1',
        '',
      ].join('\r\n'),
    );
  });

  it('drops the queued commands of its own at DISCARD and at a failed WATCH, like the rest', async () => {
    const other = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      await redis.watch(k('x'));
      await other.set(k('x'), 'changed');
      expect(await redis.multi().ping().set(k('x'), 'mine').exec()).toBeNull();
      expect(await other.get(k('x'))).toBe('changed');
      const discarded = await exchange(server.port, [
        ['MULTI'],
        ['PING'],
        ['DISCARD'],
        ['MULTI'],
        ['ECHO', 'e'],
        ['EXEC'],
      ]);
      expect(discarded.toString()).toBe('+OK\r\n+QUEUED\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\ne\r\n');
    } finally {
      other.disconnect();
    }
  });
});
