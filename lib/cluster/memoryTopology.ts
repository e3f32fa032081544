import { createHash } from 'node:crypto';
import { MemoryStore } from '../store/memory/index.ts';
import { splitSlots } from './slots.ts';
import type { Shard, Topology } from './topology.ts';

/** Stable 40-hex ids for embedded shards, the same on every run (like cluster node ids, but deterministic). */
export function memoryShardId(index: number): string {
  return createHash('sha1').update(`rxgears:memory-shard:${index}`).digest('hex');
}

/**
 * An embedded cluster in one process: `count` memory shards splitting the slots as
 * `redis-cli --cluster create` would (3 shards: 0-5460, 5461-10922, 10923-16383).
 */
export function createMemoryTopology(count: number): Topology {
  const shards: Shard[] = splitSlots(count).map((range, index) => ({
    id: memoryShardId(index),
    slots: [range],
    store: new MemoryStore(),
  }));
  return {
    kind: 'memory',
    shards,
    refresh: () => Promise.resolve(),
    close: async () => {
      await Promise.all(shards.map((shard) => shard.store.close()));
    },
  };
}
