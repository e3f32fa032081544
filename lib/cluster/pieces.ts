import { GearsError } from '../errors.ts';
import type { ShardStore } from '../store/ShardStore.ts';
import { hashSlot, type SlotRange } from './slots.ts';
import type { Shard, Topology } from './topology.ts';

/** The most tasks a master's slots may be split into (`tasksPerMaster`). */
export const MAX_TASKS_PER_MASTER = 64;

/** A part of a master's hash slots, read through the master's store (`splitShards`). */
export interface ShardPiece extends Shard {
  /** 0 for the first part of its master. */
  readonly piece: number;
}

/** Whether a shard is a master's second or later part (per-shard readers read on the first part only). */
export function isLaterPiece(shard: Shard): boolean {
  return ((shard as Partial<ShardPiece>).piece ?? 0) > 0;
}

/**
 * Splits every master's slots into `perMaster` parts of nearly equal slot counts, in master order: worker
 * processes then share finer tasks than masters (SCALEOUT.md D1's `tasksPerMaster`), so 3 masters balance over
 * 2 workers. A part keeps its master's id and reads through the master's store, whose SCAN pages it filters to
 * the keys of its own slots. `perMaster` 1 returns the shards themselves.
 */
export function splitShards(shards: readonly Shard[], perMaster: number): readonly Shard[] {
  if (!Number.isInteger(perMaster) || perMaster < 1 || perMaster > MAX_TASKS_PER_MASTER)
    throw new GearsError(`tasksPerMaster must be an integer from 1 to ${MAX_TASKS_PER_MASTER}, got ${perMaster}`);
  if (perMaster === 1) return shards;
  return shards.flatMap((shard) => {
    const total = shard.slots.reduce((n, [start, end]) => n + end - start + 1, 0);
    if (total < perMaster) return [shard];
    // Cumulative slot counts where each part ends; with total ≥ perMaster every part gets at least one slot.
    const bounds = Array.from({ length: perMaster }, (_, j) => Math.round(((j + 1) * total) / perMaster));
    const parts: SlotRange[][] = bounds.map(() => []);
    let seen = 0;
    let j = 0;
    for (const [start, end] of shard.slots) {
      for (let from = start; from <= end;) {
        const take = Math.min(end - from + 1, bounds[j]! - seen);
        parts[j]!.push([from, from + take - 1]);
        from += take;
        seen += take;
        if (seen === bounds[j]) j++;
      }
    }
    return parts.map((slots, piece): ShardPiece => {
      // The first part also keeps keys of slots its master does not own: those of a slot it is importing (a
      // reshard under way), which SCAN lists on this master alone.
      const owns = new Uint8Array(16_384);
      if (piece > 0) for (const [start, end] of slots) owns.fill(1, start, end + 1);
      else {
        owns.fill(1);
        for (const [start, end] of parts.slice(1).flat()) owns.fill(0, start, end + 1);
      }
      return { id: shard.id, slots, store: pieceStore(shard.store, (key) => owns[hashSlot(key)] === 1), piece };
    });
  });
}

/** The topology with its masters split (`splitShards`); refresh and close go to the topology itself. */
export function splitTopology(topology: Topology, perMaster: number): Topology {
  if (perMaster === 1) return topology;
  let from: readonly Shard[] | undefined;
  let split: readonly Shard[] = [];
  return {
    kind: topology.kind,
    get shards() {
      if (topology.shards !== from) {
        from = topology.shards;
        split = splitShards(from, perMaster);
      }
      return split;
    },
    refresh: () => topology.refresh(),
    close: () => topology.close(),
  };
}

/** A master's store seen from one part: SCAN pages hold only the part's keys; everything else is the master's. */
function pieceStore(store: ShardStore, owns: (key: string) => boolean): ShardStore {
  return {
    kind: store.kind,
    scan: async (cursor, options) => {
      const page = await store.scan(cursor, options);
      return { ...page, keys: page.keys.filter(owns) };
    },
    readKeys: (keys, options) => store.readKeys(keys, options),
    xrange: (key, start, end, count) => store.xrange(key, start, end, count),
    call: (command, ...args) => store.call(command, ...args),
    keyspaceEvents: () => store.keyspaceEvents(),
    keyspaceReady: () => store.keyspaceReady(),
    keyspaceBarrier: () => store.keyspaceBarrier(),
    transaction: () => store.transaction(),
    // The master's store belongs to the topology, which closes it.
    close: () => Promise.resolve(),
  };
}
