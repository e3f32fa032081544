import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBytes, toBytes, wireArgs } from '../../../../lib/store/bytes.ts';
import { MemorySession, MemoryStore, NULL_ARRAY } from '../../../../lib/store/memory/index.ts';
import type { RedisArg } from '../../../../lib/store/ShardStore.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';

type Call = (command: string, ...args: RedisArg[]) => Promise<unknown>;

/** Replies with every bulk string as a store string (binary bytes included). */
function asStrings(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return fromBytes(reply);
  return Array.isArray(reply) ? reply.map(asStrings) : reply;
}

/** An element: text, an integer, raw bytes (the hash sees bytes), or one of a small pool (repeats). */
const element = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer().map(String),
  fc.uint8Array({ maxLength: 9 }).map((b) => fromBytes(Buffer.from(b))),
  fc.integer({ min: 0, max: 50 }).map((i) => `pool:${i}`),
);

/**
 * PFADD batches into two keys: small ones stay sparse (opcodes split and merged), a large one (or a register
 * above 32) turns the HLL dense.
 */
const batches = fc.array(
  fc.tuple(
    fc.constantFrom('a', 'b'),
    fc.oneof(
      fc.array(element, { maxLength: 40 }),
      fc.integer({ min: 1, max: 2500 }).map((n) => Array.from({ length: n }, (_, i) => `n${n}:${i}`)),
    ),
  ),
  { minLength: 1, maxLength: 5 },
);

describe('HyperLogLog against redis-server 7.0', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let store: MemoryStore;
  let redisCall: Call;
  let storeCall: Call;

  beforeAll(async () => {
    // A server of its own: CONFIG SET hll-sparse-max-bytes must not reach other tests' HLLs.
    server = await startRedis();
    redis = new Redis(server.url, { lazyConnect: true });
    await redis.connect();
    store = new MemoryStore({ activeExpireInterval: 0 });
    redisCall = async (command, ...args) =>
      asStrings(await redis.callBuffer(command, ...(wireArgs(args) as (string | Buffer)[])));
    storeCall = (command, ...args) => store.call(command, ...args);
  });

  afterAll(async () => {
    redis.disconnect();
    await store.close();
    await server.stop();
  });

  /** Runs a command on both and expects the same reply or the same error. */
  async function both(command: string, ...args: RedisArg[]): Promise<unknown> {
    const settle = (p: Promise<unknown>) =>
      p.then(
        (reply) => ({ reply }),
        (error: Error) => ({ error: error.message }),
      );
    const [expected, actual] = await Promise.all([
      settle(redisCall(command, ...args)),
      settle(storeCall(command, ...args)),
    ]);
    expect({ command, args: args.slice(0, 3), ...actual }).toEqual({ command, args: args.slice(0, 3), ...expected });
    return expected;
  }

  it('PFADD, PFCOUNT and PFMERGE leave the bytes redis-server leaves, at any hll-sparse-max-bytes', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.constantFrom(3000, 3000, 40, 70, 100, 1000), async (adds, sparseMax) => {
        await both('FLUSHALL');
        await both('CONFIG', 'SET', 'hll-sparse-max-bytes', String(sparseMax));
        for (const [key, elements] of adds) {
          await both('PFADD', key, ...elements);
          await both('GET', key);
          await both('PFCOUNT', key);
          await both('GET', key);
        }
        await both('PFCOUNT', 'a', 'b');
        await both('PFMERGE', 'm', 'a', 'b');
        await both('GET', 'm');
        await both('PFCOUNT', 'm');
        await both('PFMERGE', 'a', 'b');
        await both('GET', 'a');
      }),
      { numRuns: 30 },
    );
    await both('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
  });

  it('PFADD one element at a time: every sparse step and the switch to dense at hll-sparse-max-bytes', async () => {
    for (const [sparseMax, count] of [
      [60, 80],
      [101, 120],
      [3000, 1800],
    ] as const) {
      await both('FLUSHALL');
      await both('CONFIG', 'SET', 'hll-sparse-max-bytes', String(sparseMax));
      for (let i = 0; i < count; i++) {
        await both('PFADD', 'h', `e${i}`);
        await both('GET', 'h');
      }
      expect(await both('PFDEBUG', 'ENCODING', 'h')).toEqual({ reply: 'dense' });
    }
    await both('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000');
  });

  it("takes redis-server's HLL strings (SET of GET's bytes) and redis-server takes its own", async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.array(element, { maxLength: 30 }), async (adds, more) => {
        await both('FLUSHALL');
        for (const [key, elements] of adds) {
          await redisCall('PFADD', key, ...elements);
          await storeCall('PFADD', `mine:${key}`, ...elements);
        }
        for (const key of ['a', 'b']) {
          const theirs = (await redisCall('GET', key)) as string | null;
          const mine = (await storeCall('GET', `mine:${key}`)) as string | null;
          expect(mine === null ? null : toBytes(mine)).toEqual(theirs === null ? null : toBytes(theirs));
          if (theirs === null || mine === null) continue;
          // Each side gets the other's bytes, then the same elements.
          await storeCall('SET', key, theirs);
          await redisCall('SET', `mine:${key}`, mine);
          await both('PFADD', key, ...more);
          await both('PFADD', `mine:${key}`, ...more);
          await both('PFCOUNT', key, `mine:${key}`);
          await both('GET', key);
          await both('GET', `mine:${key}`);
        }
      }),
      { numRuns: 20 },
    );
  });

  it("PFCOUNT's rewrite of a stale cached count makes a WATCHed key dirty; a fresh count does not, as in Redis", async () => {
    const other = new Redis(server.url);
    try {
      const outcomes: unknown[] = [];
      for (const stale of [true, false]) {
        await both('FLUSHALL');
        await both('PFADD', 'w', 'a', 'b');
        if (!stale) await both('PFCOUNT', 'w');
        // Redis: WATCH, another client's PFCOUNT, then MULTI … EXEC.
        await other.watch('w');
        await redis.pfcount('w');
        const redisExec = await other.multi().get('x').exec();
        // The store: the same through a session.
        const s = new MemorySession(store);
        await s.handle('WATCH', 'watch', ['w']);
        await store.call('PFCOUNT', 'w');
        await s.handle('MULTI', 'multi', []);
        await s.handle('GET', 'get', ['x']);
        const storeExec = await s.handle('EXEC', 'exec', []);
        outcomes.push([stale, redisExec === null, storeExec === NULL_ARRAY]);
      }
      expect(outcomes).toEqual([
        [true, true, true],
        [false, false, false],
      ]);
    } finally {
      other.disconnect();
    }
  });
});
