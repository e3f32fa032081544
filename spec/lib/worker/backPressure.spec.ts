import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTransport } from '../../../lib/cluster/exchange/RedisTransport.ts';
import { connect, type Gears } from '../../../lib/index.ts';
import { MemoryStore } from '../../../lib/store/memory/index.ts';
import { runPart } from '../../../lib/worker/runPart.ts';
import { until } from '../../support/until.ts';

/**
 * Back-pressure end to end (issue #14): two parts of one run, as two worker processes would run them, over the
 * Redis exchange on the embedded store. While the receiving part does not read, the sending part's reader
 * stops: each exchange stream stays at the high-water mark, the sender holds a bounded queue, and its
 * generator has produced a bounded number of records. Once the receiver starts, the run completes.
 */
describe('a slow receiver holds the sender’s reads', () => {
  let gears: Gears;
  beforeAll(async () => {
    gears = await connect({ shards: 3 });
  });
  afterAll(() => gears.close());

  it('bounds the exchange streams, the sender’s queue and what its reader produced', { timeout: 60_000 }, async () => {
    const exchange = new MemoryStore();
    const options = { storeFor: () => exchange, blockMs: 20, batchSize: 16, highWater: 4, maxQueued: 4 };
    const perShard = 20_000;
    let generated = 0;
    function* numbers(): Generator<number> {
      for (let i = 0; i < perShard; i++) {
        generated++;
        yield i;
      }
    }
    const plan = gears
      .GB('GeneratorReader')
      .repartition((n) => `k${String(n)}`)
      .count().plan;
    const part = (owned: number[], transport: RedisTransport) =>
      runPart({ executionId: 'bp-1', plan, arg: numbers, topology: gears.topology, engine: gears, owned, transport });
    const streams = async (): Promise<number[]> => {
      const keys = (await exchange.call('KEYS', 'rxg:*')) as string[];
      return Promise.all(keys.map(async (key) => Number(await exchange.call('XLEN', key))));
    };

    const senderTransport = new RedisTransport(options);
    const sender = part([0], senderTransport);
    // The receivers of shards 1 and 2 are not running: their streams fill to the mark, then the sender waits.
    let longest = 0;
    await until(async () => {
      const lengths = await streams();
      longest = Math.max(longest, ...lengths);
      return lengths.filter((n) => n === options.highWater).length >= 2 && senderTransport.queued >= options.maxQueued;
    }, 'the streams of shards 1 and 2 at the high-water mark and the sender’s queue full');
    const held = generated;
    // Many more polls of the sender's wait: still held.
    for (let i = 0; i < 20; i++) {
      longest = Math.max(longest, ...(await streams()));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(longest).toBeLessThanOrEqual(options.highWater);
    // One page of the generator (1024) ahead of what the queue and the streams hold, at most.
    expect(generated).toBeLessThanOrEqual(2 * 1024 + (3 * options.highWater + options.maxQueued) * options.batchSize);
    expect(generated).toBe(held);
    expect(senderTransport.queued).toBeLessThanOrEqual(options.maxQueued + 1024 / options.batchSize + 3);

    const receiver = part([1, 2], new RedisTransport(options));
    await Promise.all([sender.done, receiver.done]);
    expect(sender.result()).toEqual({ results: [3 * perShard], errors: [] });
    expect(receiver.result()).toEqual({ results: [], errors: [] });
    expect(generated).toBe(3 * perShard);
    expect(senderTransport.queued).toBe(0);
    expect(await exchange.call('KEYS', 'rxg:*')).toEqual([]);
  });
});
