import { GearsError } from '../errors.ts';
import type { RedisArg } from '../store/ShardStore.ts';
import { commandSlot } from './routing.ts';
import { hashSlot } from './slots.ts';
import { slotTable, type Shard, type Topology } from './topology.ts';

/**
 * Which shard a slot, a key or a command belongs to, on a topology whose shard list may change (a Cluster
 * reshard or failover): the slot table is rebuilt whenever `topology.shards` is a new array.
 *
 * @example
 * const router = new ShardRouter(topology);
 * router.shardFor('HSET', ['person:1', 'age', '70']) // the shard owning slot(person:1)
 * router.shardFor('PING', [])                        // the default shard (owner of slot 0)
 */
export class ShardRouter {
  private slotsOf: readonly Shard[] = [];
  private slotIndex: Int32Array = new Int32Array(0);
  private readonly hashtags = new Map<string, string>();

  constructor(private readonly topology: Topology) {}

  /** The shard owning a slot; throws `no shard owns slot N` while the topology has a gap. */
  shardOfSlot(slot: number): Shard {
    const shards = this.topology.shards;
    if (shards !== this.slotsOf) {
      this.slotIndex = slotTable(shards);
      this.slotsOf = shards;
    }
    const shard = shards[this.slotIndex[slot] ?? -1];
    if (!shard) throw new GearsError(`no shard owns slot ${slot}`);
    return shard;
  }

  shardOfKey(key: string): Shard {
    return this.shardOfSlot(hashSlot(key));
  }

  /** The owner of slot 0: the default initiator, and where keyless commands run. */
  defaultShard(): Shard {
    return this.shardOfSlot(0);
  }

  /** Where `command` runs: the shard of its keys; a keyless command (or one shard) on `fallback`. */
  shardFor(command: string, args: readonly RedisArg[], fallback: Shard = this.defaultShard()): Shard {
    if (this.topology.shards.length <= 1) return fallback;
    const slot = commandSlot(command, args);
    return slot === undefined ? fallback : this.shardOfSlot(slot);
  }

  /** The runtime's `hashtag()`: the shortest base-36 string hashing into the shard's first slot. */
  hashtagOf(shard: Shard = this.defaultShard()): string {
    let tag = this.hashtags.get(shard.id);
    if (tag === undefined) {
      const [first] = shard.slots;
      if (!first) throw new GearsError(`shard ${shard.id} owns no slots`);
      for (let n = 0; tag === undefined; n++) {
        const candidate = n.toString(36);
        const slot = hashSlot(candidate);
        if (slot >= first[0] && slot <= first[1]) tag = candidate;
      }
      this.hashtags.set(shard.id, tag);
    }
    return tag;
  }
}
