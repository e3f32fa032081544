import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type StreamRecord } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/index.ts';
import { RedisStore } from '../../../../lib/store/redis/index.ts';
import { WireConnection } from '../../../../lib/store/redis/wire.ts';
import { requestFrame } from '../../../../lib/store/redis/frames.ts';
import type { KeyData } from '../../../../lib/store/ShardStore.ts';
import { MASTER_NAME, startSentinelGroup, type SentinelGroup } from '../../../support/sentinel.ts';
import { until } from '../../../support/until.ts';
import { scanAll, uniquePrefix } from './helpers.ts';

// A real Sentinel group (master, replica, one Sentinel) of this file's own. The store's client authenticates as
// an ACL user of its own on database 3, so a raw connection that dropped the user, password or database would
// read nothing (or be refused) and the comparisons below would fail.

const PASSWORD = 'secret';
const USER = { username: 'app', password: 'app-pw', db: 3 };
const prefix = uniquePrefix('sentinel');
let group: SentinelGroup;
let client: Redis;
let store: RedisStore;

const sentinelOptions = (): RedisOptions => ({
  sentinels: [group.sentinel],
  name: MASTER_NAME,
  ...USER,
  enableAutoPipelining: true,
});

/** A client straight to a node (no Sentinel), as the application's user. */
const direct = (port: number): Redis => new Redis({ host: '127.0.0.1', port, ...USER });

/** The node's connections as `CLIENT LIST` fields. */
async function connectionsOn(port: number): Promise<Map<string, string>[]> {
  const admin = new Redis({ host: '127.0.0.1', port, password: PASSWORD });
  try {
    const list = String(await admin.call('CLIENT', 'LIST'));
    return list
      .trim()
      .split('\n')
      .map((line) => new Map(line.split(' ').map((field) => field.split('=', 2) as [string, string])));
  } finally {
    admin.disconnect();
  }
}

const READS = ['hgetall', 'get', 'lrange', 'smembers', 'zrange', 'type'];

/**
 * The store's raw connection on a node: a connection other than ioredis' own whose last command was one of
 * `commands` (by default the batch reads'), as the application's user on its database.
 */
async function rawConnectionOn(port: number, commands: readonly string[] = READS): Promise<boolean> {
  return (await rawConnectionsOn(port, commands)) > 0;
}

/** How many such connections there are. */
async function rawConnectionsOn(port: number, commands: readonly string[] = READS): Promise<number> {
  const ioredisId = String(await client.client('ID'));
  return (await connectionsOn(port)).filter(
    (c) =>
      c.get('id') !== ioredisId &&
      c.get('user') === 'app' &&
      c.get('db') === '3' &&
      commands.includes(c.get('cmd') ?? ''),
  ).length;
}

const keys = ['hash', 'string', 'list', 'set', 'zset', 'missing', 'hash2'].map((name) => prefix + name);
const sortSets = (data: KeyData[]): KeyData[] =>
  data.map((d) => (d.type === 'set' && d.value ? { ...d, value: [...d.value].sort() } : d));

beforeAll(async () => {
  group = await startSentinelGroup({
    password: PASSWORD,
    args: ['--user', 'app', 'on', `>${USER.password}`, '~*', '&*', '+@all'],
  });
  client = new Redis(sentinelOptions());
  store = new RedisStore(client);
  await store.call('PING');
  const p = prefix;
  await store.call('HSET', `${p}hash`, 'name', 'Rick', 'family', 'Sanchez');
  await store.call('HSET', `${p}hash2`, 'name', 'Morty');
  await store.call('SET', `${p}string`, 'hello');
  await store.call('RPUSH', `${p}list`, 'a', 'b');
  await store.call('SADD', `${p}set`, 'x', 'y');
  await store.call('ZADD', `${p}zset`, '1.5', 'one');
  for (let i = 0; i < 300; i++) await store.call('HSET', `${p}person:${i}`, 'name', `P Family${i % 7}`);
}, 90_000);

afterAll(async () => {
  await store?.close();
  client?.disconnect();
  await group?.stop();
});

describe('a RedisStore over an ioredis Sentinel client', () => {
  it('reads batches and SCAN pages on a raw connection to the master, as a store on the master itself does', async () => {
    const master = await group.masterPort();
    // The oracle: a store on the master itself, closed before looking for the Sentinel store's raw connection.
    const standaloneClient = direct(master);
    const standalone = new RedisStore(standaloneClient);
    await standalone.call('PING');
    const expected = [
      await standalone.readKeys(keys),
      await standalone.readKeys(keys, { readValue: false }),
      await scanAll(standalone, `${prefix}person:*`),
    ] as const;
    await standalone.close();
    standaloneClient.disconnect();

    expect(sortSets(await store.readKeys(keys))).toEqual(sortSets(expected[0]));
    expect(await rawConnectionOn(master)).toBe(true);
    expect(await store.readKeys(keys, { readValue: false })).toEqual(expected[1]);
    const scanned = await scanAll(store, `${prefix}person:*`);
    expect(scanned).toHaveLength(300);
    expect(scanned).toEqual(expected[2]);
    expect(await rawConnectionOn(master, ['scan'])).toBe(true);
  });

  it('runs a KeysReader batch, a StreamReader registration and a KeysReader event registration as standalone', async () => {
    const master = await group.masterPort();
    const standaloneClient = direct(master);
    const counts = [];
    for (const redis of [client, standaloneClient]) {
      const g = await connect({ redis });
      const { results, errors } = await g
        .GB()
        .map((r) => (r.value as Record<string, string>).name!.split(' ')[1]!)
        .countBy((family) => family)
        .run(`${prefix}person:*`);
      await g.close();
      expect(errors).toEqual([]);
      counts.push(results.sort((a, b) => a.key.localeCompare(b.key)));
    }
    standaloneClient.disconnect();
    expect(counts[0]).toHaveLength(7);
    expect(counts[0]).toEqual(counts[1]);

    // Registrations on a new engine over the Sentinel client; the oracle is what was written.
    const g = await connect({ redis: client });
    try {
      const seen: StreamRecord[] = [];
      await g
        .GB('StreamReader')
        .forEach((r) => void seen.push(r))
        .register(`${prefix}stream`);
      const ids = [
        String(await g.execute('XADD', `${prefix}stream`, '*', 'n', '1')),
        String(await g.execute('XADD', `${prefix}stream`, '*', 'n', '2')),
      ];
      await until(() => seen.length === 2, 'both stream entries', 20_000);
      expect(seen.map((r) => [r.id, r.value])).toEqual(ids.map((id, i) => [id, { n: String(i + 1) }]));
      // The stream entries were read (and acknowledged) on a raw connection.
      expect(await rawConnectionOn(master, ['xreadgroup'])).toBe(true);

      await g
        .GB('KeysReader')
        .foreach((r) => g.execute('SET', `${r.key}:seen`, JSON.stringify(r.value)))
        .register(`${prefix}ev:*`, { eventTypes: ['hset'] });
      const readingBefore = await rawConnectionsOn(master);
      await g.execute('HSET', `${prefix}ev:1`, 'name', 'Summer');
      await until(async () => (await g.execute('EXISTS', `${prefix}ev:1:seen`)) === 1, 'the event execution', 20_000);
      expect(JSON.parse(String(await g.execute('GET', `${prefix}ev:1:seen`)))).toEqual({ name: 'Summer' });
      // The event's value was read on this engine's raw connection (its last command was the SCAN for streams).
      expect(await rawConnectionsOn(master)).toBe(readingBefore + 1);
    } finally {
      for (const { id } of g.dumpRegistrations()) g.unregister(id);
      await g.close();
    }
  });

  it('opens no raw connection to a node that is not a master (a demoted master), and trusts a user refused ROLE', async () => {
    const master = await group.masterPort();
    const replica = group.nodes.find((n) => n.port !== master)!.port;
    const ping = (connection: WireConnection): Promise<string> =>
      new Promise((resolve) => {
        connection.request(requestFrame(['PING']), (reply) =>
          resolve(reply instanceof Error ? reply.message : reply.toString().trim()),
        );
      });
    const endpoint = (port: number, user = USER) => ({ host: '127.0.0.1', port, ...user, role: 'master' as const });
    const connections = [
      new WireConnection(endpoint(replica), 2),
      new WireConnection(endpoint(master), 2),
      new WireConnection(endpoint(master), 3),
    ];
    try {
      expect(await ping(connections[0]!)).toBe(`127.0.0.1:${replica} is not a master (ROLE: slave)`);
      expect(await ping(connections[1]!)).toBe('+PONG');
      expect(await ping(connections[2]!)).toBe('+PONG');
      // A user whose ACL refuses ROLE (NOPERM): the connection is used, ioredis having checked the node's role.
      const admin = direct(master);
      await admin.call('ACL', 'SETUSER', 'norole', 'on', '>pw', '~*', '+@all', '-role');
      const noRole = new WireConnection(endpoint(master, { username: 'norole', password: 'pw', db: 0 }), 2);
      connections.push(noRole);
      expect(await ping(noRole)).toBe('+PONG');
      admin.disconnect();
    } finally {
      for (const connection of connections) connection.close();
    }
  });
});

describe('a Sentinel failover', () => {
  let before: number;
  let after: number;
  let expected: KeyData[];
  const outcomes: ('ok' | 'error')[] = [];
  const errors: unknown[] = [];

  // The server's raw proxy over the Sentinel client, used before the failover and after it.
  let server: RxgearsServer;
  let proxied: Redis;
  const streamed: string[] = [];
  const evented: string[] = [];

  afterAll(async () => {
    proxied?.disconnect();
    await server?.close();
    await server?.gears.close();
  });

  // One failover for the tests below, with batches read one after another all through it.
  beforeAll(async () => {
    server = await createServer(await connect({ redis: client }), { port: 0 });
    await server.gears
      .GB('StreamReader')
      .forEach((r) => void streamed.push(r.id))
      .register(`${prefix}fo:stream`);
    await server.gears
      .GB('KeysReader')
      .forEach((r) => void evented.push(r.key))
      .register(`${prefix}fo:ev:*`, { eventTypes: ['set'] });
    await server.gears.execute('XADD', `${prefix}fo:stream`, '1-1', 'n', '1');
    await server.gears.execute('SET', `${prefix}fo:ev:1`, 'x');
    await until(() => streamed.length === 1 && evented.length === 1, 'the registrations before the failover', 20_000);
    proxied = new Redis({ host: '127.0.0.1', port: server.port });
    before = await group.masterPort();
    expect(await proxied.set(`${prefix}proxied:before`, 'b')).toBe('OK');
    const onMaster = direct(before);
    expect(await onMaster.get(`${prefix}proxied:before`)).toBe('b');
    onMaster.disconnect();
    // Sent by the proxy's raw connection to the master (a failing one would have fallen back on the engine's
    // path, through ioredis' connection).
    expect(await rawConnectionOn(before, ['set'])).toBe(true);
    expected = await store.readKeys(keys);
    expect(await rawConnectionOn(before)).toBe(true);
    let failingOver = true;
    const reader = (async () => {
      while (failingOver) {
        const outcome = await store.readKeys(keys).then(
          (read) => {
            expect(sortSets(read)).toEqual(sortSets(expected));
            return 'ok' as const;
          },
          (error: unknown) => {
            errors.push(error);
            return 'error' as const;
          },
        );
        outcomes.push(outcome);
      }
    })();
    try {
      after = await group.failover();
      await until(
        async () => client.status === 'ready' && client.stream.remotePort === after && (await client.ping()) === 'PONG',
        'ioredis connected to the new master',
        30_000,
      );
    } finally {
      failingOver = false;
      await reader;
    }
  }, 90_000);

  it('completes every batch in flight, none hanging: one cut off the old master is read again through ioredis', () => {
    // Without reading again, the batch cut off fails with `… is not a master (ROLE: slave)`: its raw connection,
    // reopened, found the old master demoted. ioredis (default retries) waits for its reconnection instead.
    expect(after).not.toBe(before);
    expect(outcomes.length).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    expect(outcomes.every((outcome) => outcome === 'ok')).toBe(true);
  });

  it('moves the raw connection to the new master once ioredis has followed it', async () => {
    expect(sortSets(await store.readKeys(keys))).toEqual(sortSets(expected));
    expect(await rawConnectionOn(after)).toBe(true);
    expect(await rawConnectionOn(before)).toBe(false);
    // A write after the failover is read back from the new master, on the raw connection.
    await store.call('HSET', `${prefix}hash`, 'name', 'Rick C-137');
    expect((await store.readKeys([keys[0]!]))[0]).toEqual({
      key: keys[0],
      type: 'hash',
      value: { name: 'Rick C-137', family: 'Sanchez' },
    });
    expect(await rawConnectionOn(after, ['hgetall'])).toBe(true);
    const page = await scanAll(store, `${prefix}person:*`);
    expect(page).toHaveLength(300);
    expect(await rawConnectionOn(after, ['scan'])).toBe(true);
  });

  it("sends the server's raw requests to the new master", async () => {
    expect(await proxied.set(`${prefix}proxied:after`, 'a')).toBe('OK');
    expect(await rawConnectionOn(after, ['set'])).toBe(true);
    const onMaster = direct(after);
    try {
      expect(await onMaster.get(`${prefix}proxied:after`)).toBe('a');
      expect(await onMaster.get(`${prefix}proxied:before`)).toBe('b'); // replicated before the failover
    } finally {
      onMaster.disconnect();
    }
    expect(await proxied.get(`${prefix}proxied:after`)).toBe('a');
  });

  it('keeps registrations running on the new master', async () => {
    await server.gears.execute('XADD', `${prefix}fo:stream`, '1-2', 'n', '2');
    await server.gears.execute('SET', `${prefix}fo:ev:2`, 'y');
    await until(() => streamed.length === 2, 'the stream entry after the failover', 20_000);
    expect(streamed).toEqual(['1-1', '1-2']);
    await until(() => evented.length === 2, 'the keyspace event after the failover', 20_000);
    expect(evented).toEqual([`${prefix}fo:ev:1`, `${prefix}fo:ev:2`]);
  });
});
