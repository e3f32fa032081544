import { afterEach, describe, expect, inject, it } from 'vitest';
import { connect, GearsError, type Gears } from '../../lib/index.ts';

let gears: Gears | undefined;
afterEach(async () => {
  await gears?.close();
  gears = undefined;
});

describe('connect()', () => {
  it('defaults to one embedded shard owning every slot', async () => {
    gears = await connect();
    expect(gears.topology.kind).toBe('memory');
    expect(gears.shards.map((s) => s.slots)).toEqual([[[0, 16383]]]);
    expect(gears.shards[0]!.id).toMatch(/^[0-9a-f]{40}$/);
  });

  it('gives embedded shards stable ids', async () => {
    gears = await connect({ shards: 3 });
    const again = await connect({ shards: 3 });
    try {
      expect(again.shards.map((s) => s.id)).toEqual(gears.shards.map((s) => s.id));
    } finally {
      await again.close();
    }
  });

  it('detects standalone Redis (one shard, id of zeros) and a Cluster (one shard per master)', async () => {
    gears = await connect(inject('redisUrl'));
    expect(gears.topology.kind).toBe('redis');
    expect(gears.shards.map((s) => s.id)).toEqual(['0'.repeat(40)]);
    await gears.close();
    gears = await connect({ redis: inject('clusterUrls')[0]! });
    expect(gears.topology.kind).toBe('cluster');
    expect(gears.shards.map((s) => s.slots)).toEqual([[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
  });

  it.each([
    [{ shards: 0 }, "connect(): 'shards' must be an integer from 1 to 16384"],
    [{ shards: 2.5 }, "connect(): 'shards' must be an integer from 1 to 16384"],
    [
      { shards: 2, redis: 'redis://x' },
      "connect(): 'shards' is for the embedded store; a Redis Cluster brings its own shards",
    ],
    [{ config: { MaxExecutions: -1 } }, 'MaxExecutions must be a positive integer'],
  ])('rejects %o with a GearsError', async (options, message) => {
    await expect(connect(options as never)).rejects.toThrow(GearsError);
    await expect(connect(options as never)).rejects.toThrow(message);
  });

  it('closes idempotently, and a closed engine refuses work with a GearsError', async () => {
    const closed = await connect();
    await closed.close();
    await closed.close();
    await expect(closed.GB().run()).rejects.toThrow('the engine is closed');
    await expect(closed.execute('PING')).rejects.toThrow('the engine is closed');
  });
});
