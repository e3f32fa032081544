import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, execute, hashSlot, type Gears, type Shard } from '../../lib/index.ts';
import {
  startRedis,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '../../lib/testing/index.ts';
import { redisCli, ownsSlot, unhandledRejections } from './helpers.ts';

/**
 * Faults on real servers of this file's own: a cluster master killed during a run and while a run starts, a
 * standalone Redis killed during a run, and a Redis that refuses commands (ACL). Every run must settle —
 * with the records it could process, and errors that name the problem — within a bound, never hang; and the
 * same engine must serve the next run once the node is back.
 *
 * Determinism on a busy machine: the kill is made from inside the gear (after a known number of records),
 * records that must fail wait for the node's `exit` event before touching it, and records that must succeed
 * are awaited before the kill. No sleeps decide anything.
 */

// "Never hangs": far above what a healthy run takes here, far below ioredis' defaults (~30 s and more).
const SETTLE_BOUND_MS = 20_000;
// Records of the killed shard that touch it only after it died: each of them must fail. Kept well below the
// engine's per-step concurrency (MaxPendingCallbacks, 64), since they are held pending while the rest drains.
const LATE = 8;

const rejections = unhandledRejections();
beforeAll(() => rejections.install());
afterAll(() => {
  expect(rejections.check()).toEqual([]);
});

/** The error a record or reader gets from a node that is down: the store's, naming the node and the cause. */
function connectionError(port: number): RegExp {
  return new RegExp(`^RedisConnectionError: Redis 127\\.0\\.0\\.1:${port}\\b.*(ECONNREFUSED|unreachable|closed)`);
}

/** SIGKILLs a server process and resolves once it has exited. */
async function killProcess(server: RedisServerHandle): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Resolves `promise`, failing the test if it takes longer than `ms`; returns the result and the time taken. */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T; elapsed: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([promise, timeout]);
    return { value, elapsed: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Writes `key → key` for every key, through the engine (routed to the owning master). */
async function writeKeys(gears: Gears, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => gears.execute('SET', key, key)));
}

/**
 * The gear of the "killed during a run" tests: for every key, wait 1 ms and GET it from its master, then
 * count. Records of `victimKeys` are numbered as the map sees them; the last `LATE` of them wait until the
 * victim has been killed before their GET. The very last one does the kill, after every other record that is
 * to succeed has got its reply (`succeeded` reached `total - LATE`).
 */
function killingRun(
  gears: Gears,
  options: { pattern: string; total: number; victimKeys: ReadonlySet<string>; kill: () => Promise<void> },
) {
  const { total, victimKeys } = options;
  const mustSucceed = total - LATE;
  let succeeded = 0;
  let victimSeen = 0;
  const othersDone = deferred();
  const killed = deferred();
  if (mustSucceed === 0) othersDone.resolve();
  return gears
    .GB('KeysOnlyReader')
    .map(async (key) => {
      let late = false;
      if (victimKeys.has(key)) {
        const index = ++victimSeen;
        late = index > victimKeys.size - LATE;
        if (index === victimKeys.size) {
          await othersDone.promise;
          await options.kill();
          killed.resolve();
        }
      }
      await sleep(1);
      if (late) await killed.promise;
      const value = await execute('GET', key);
      if (!late && ++succeeded === mustSucceed) othersDone.resolve();
      return value;
    })
    .count()
    .run(options.pattern);
}

describe('a Redis Cluster master killed', () => {
  let cluster: RedisClusterHandle;
  let gears: Gears;
  let shardOf: (port: number) => Shard;
  const keys = Array.from({ length: 3000 }, (_, i) => `f:${i}`);

  beforeAll(async () => {
    cluster = await startRedisCluster();
    gears = await connect({ redis: cluster.urls[0]!, cloneRecords: true });
    const ids = await Promise.all(cluster.nodes.map((node) => redisCli(node, 'CLUSTER', 'MYID')));
    shardOf = (port) => {
      const id = ids[cluster.nodes.findIndex((node) => node.port === port)];
      const shard = gears.shards.find((s) => s.id === id);
      if (!shard) throw new Error(`no shard for port ${port}`);
      return shard;
    };
  });
  afterAll(async () => {
    await gears?.close();
    await cluster?.stop();
  });

  /** Brings a killed node back and waits until the whole cluster says ok again. */
  async function revive(node: RedisServerHandle): Promise<void> {
    await node.restart();
    await cluster.waitForClusterOk(30_000);
  }

  it('during a run: the run settles with the records it could process and the connection error; the engine serves the next run once the node is back', async () => {
    await writeKeys(gears, keys);
    const victim = cluster.nodes[1]!; // not the initiator (the owner of slot 0)
    const victimShard = shardOf(victim.port);
    const victimKeys = new Set(keys.filter((key) => ownsSlot(victimShard, hashSlot(key))));
    expect(victimKeys.size).toBeGreaterThan(LATE);

    const { value, elapsed } = await settlesWithin(
      killingRun(gears, { pattern: 'f:*', total: keys.length, victimKeys, kill: () => killProcess(victim) }),
      SETTLE_BOUND_MS,
    );
    const { results, errors } = value;
    // Every record is either counted or reported: the ones that reached the dead node are the LATE ones.
    expect(results).toEqual([keys.length - LATE]);
    expect(errors).toHaveLength(LATE);
    for (const error of errors) {
      expect(error).toMatch(connectionError(victim.port));
    }
    expect(elapsed).toBeLessThan(SETTLE_BOUND_MS);

    await revive(victim);
    // Nothing is persisted: the victim comes back empty, the others keep their keys.
    expect(await redisCli(victim, 'DBSIZE')).toBe('0');
    const survivors = keys.length - victimKeys.size;
    expect(await gears.GB('KeysOnlyReader').count().run('f:*')).toEqual({ results: [survivors], errors: [] });
    expect(await gears.GB().count().run('f:*')).toEqual({ results: [survivors], errors: [] });
    // The same engine writes to the revived node and reads everything back.
    await writeKeys(gears, [...victimKeys]);
    expect(await redisCli(victim, 'DBSIZE')).toBe(String(victimKeys.size));
    const again = await gears
      .GB()
      .filter((r) => r.type === 'string' && r.value === r.key)
      .count()
      .run('f:*');
    expect(again).toEqual({ results: [keys.length], errors: [] });
  });

  it('before a run: the run settles with the other masters’ records and the dead one’s error, the next one is whole', async () => {
    await writeKeys(gears, keys);
    const victim = cluster.nodes[0]!; // the initiator: collect still gathers there (in this process)
    const victimShard = shardOf(victim.port);
    const onVictim = keys.filter((key) => ownsSlot(victimShard, hashSlot(key))).length;
    await killProcess(victim);

    const { value, elapsed } = await settlesWithin(gears.GB('KeysOnlyReader').count().run('f:*'), SETTLE_BOUND_MS);
    expect(value.results).toEqual([keys.length - onVictim]);
    expect(value.errors).toHaveLength(1);
    expect(value.errors[0]).toMatch(connectionError(victim.port));
    expect(elapsed).toBeLessThan(SETTLE_BOUND_MS);

    await revive(victim);
    expect(await gears.GB().count().run('f:*')).toEqual({ results: [keys.length - onVictim], errors: [] });
    await writeKeys(gears, keys);
    expect(await gears.GB().count().run('f:*')).toEqual({ results: [keys.length], errors: [] });
  });
});

describe('a standalone Redis killed during a run', () => {
  let server: RedisServerHandle;
  let gears: Gears;
  beforeAll(async () => {
    server = await startRedis();
    gears = await connect({ redis: server.url, cloneRecords: true });
  });
  afterAll(async () => {
    await gears?.close();
    await server?.stop();
  });

  it('settles with the records it could process and the connection error; the next run after restart() works', async () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `s:${i}`);
    await writeKeys(gears, keys);
    const { value, elapsed } = await settlesWithin(
      killingRun(gears, {
        pattern: 's:*',
        total: keys.length,
        victimKeys: new Set(keys),
        kill: () => killProcess(server),
      }),
      SETTLE_BOUND_MS,
    );
    expect(value.results).toEqual([keys.length - LATE]);
    expect(value.errors).toHaveLength(LATE);
    for (const error of value.errors) {
      expect(error).toMatch(connectionError(server.port));
    }
    expect(elapsed).toBeLessThan(SETTLE_BOUND_MS);

    await server.restart();
    expect(await gears.GB().count().run('s:*')).toEqual({ results: [0], errors: [] });
    await writeKeys(gears, keys.slice(0, 100));
    expect(await gears.GB().count().run('s:*')).toEqual({ results: [100], errors: [] });
  });
});

describe('a Redis that refuses commands (ACL)', () => {
  let server: RedisServerHandle;
  let admin: Gears;
  let gears: Gears | undefined;
  const hashes = Array.from({ length: 5 }, (_, i) => `h:${i}`);

  beforeAll(async () => {
    server = await startRedis();
    admin = await connect(server.url);
    for (const key of hashes) await admin.execute('HSET', key, 'n', key);
    await admin.execute('SET', 'public:a', '1');
    await admin.execute('HSET', 'public:b', 'f', 'v');
    // May run anything but HGETALL and scripts.
    await admin.execute('ACL', 'SETUSER', 'limited', 'on', '>pw', '~*', '+@all', '-hgetall', '-evalsha', '-eval');
    // May read public:* only, and run no scripts (INFO: to tell standalone from Cluster).
    await admin.execute('ACL', 'SETUSER', 'reader', 'on', '>pw', '~public:*', '+@read', '+info');
  });
  afterEach(async () => {
    await gears?.close();
    gears = undefined;
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  const as = (user: string) => `redis://${user}:pw@127.0.0.1:${server.port}`;
  const NOPERM_HGETALL = "RedisReplyError: NOPERM this user has no permissions to run the 'hgetall' command";

  it('KeysReader: the run settles and errors say what was refused', async () => {
    gears = await connect({ redis: as('limited'), cloneRecords: true });
    const { value } = await settlesWithin(gears.GB().run('h:*'), SETTLE_BOUND_MS);
    // Scripts are refused too, so the store falls back to pipelines, where HGETALL is refused.
    expect(value).toEqual({ results: [], errors: [NOPERM_HGETALL] });
    // Without values nothing refused is needed.
    const names = await gears.GB().run('h:*', { readValue: false });
    expect(names.errors).toEqual([]);
    expect(names.results.map((r) => r.key).sort()).toEqual(hashes);
  });

  it('execute() inside a map: the record is dropped with the NOPERM error, the others go on', async () => {
    gears = await connect({ redis: as('limited'), cloneRecords: true });
    const { results, errors } = await gears
      .GB('KeysOnlyReader')
      .map((key) => (key === 'h:0' ? execute('HGET', key, 'n') : execute('HGETALL', key)))
      .run('h:*');
    expect(results).toEqual(['h:0']);
    expect(errors).toEqual(Array.from({ length: hashes.length - 1 }, () => NOPERM_HGETALL));
    await expect(gears.execute('EVAL', 'return 1', '0')).rejects.toThrow(
      "NOPERM this user has no permissions to run the 'eval' command",
    );
  });

  it('key permissions: permitted keys read in full (without scripts), others are reported', async () => {
    gears = await connect({ redis: as('reader'), cloneRecords: true });
    const allowed = await gears.GB().run('public:*');
    expect(allowed.errors).toEqual([]);
    expect(allowed.results.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([
      { key: 'public:a', type: 'string', value: '1', event: null },
      { key: 'public:b', type: 'hash', value: { f: 'v' }, event: null },
    ]);
    const { results, errors } = await gears.GB().run('h:*');
    expect(results).toEqual([]);
    expect(errors).toEqual([
      'RedisReplyError: NOPERM this user has no permissions to access one of the keys used as arguments',
    ]);
  });
});
