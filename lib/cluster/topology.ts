import type { ShardStore } from '../store/ShardStore.ts';
import { SLOT_COUNT, type SlotRange } from './slots.ts';

/** One shard: a 40-hex id, the hash slots it owns and its data. */
export interface Shard {
  /** 40 hex characters: the cluster node id on Redis Cluster, all zeros on standalone Redis. */
  readonly id: string;
  readonly slots: readonly SlotRange[];
  readonly store: ShardStore;
}

/**
 * Where the data lives: a list of shards covering the 16384 slots. Memory topologies are fixed; Redis
 * topologies can be re-read (`refresh`) after a reshard or failover.
 */
export interface Topology {
  readonly kind: 'memory' | 'redis' | 'cluster';
  readonly shards: readonly Shard[];
  /** Re-reads the shard list (Redis Cluster); a no-op where the topology cannot change. */
  refresh(): Promise<void>;
  /** Closes every shard's store. */
  close(): Promise<void>;
}

/** The id standalone Redis uses for its single shard. */
export const STANDALONE_SHARD_ID = '0'.repeat(40);

/** Builds a slot → shard-index table for fast routing. */
export function slotTable(shards: readonly Shard[]): Int32Array {
  const table = new Int32Array(SLOT_COUNT).fill(-1);
  shards.forEach((shard, index) => {
    for (const [start, end] of shard.slots) table.fill(index, start, end + 1);
  });
  return table;
}
