import calculateSlot from 'cluster-key-slot';
import { toBytes } from '../store/bytes.ts';

/** Number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

/** A contiguous range of hash slots, both ends included, as `CLUSTER SLOTS` reports them. */
export type SlotRange = readonly [start: number, end: number];

/**
 * The hash slot of a key, by Redis' rules (CRC16 mod 16384, `{hashtag}` honoured), over the key's bytes: a store
 * string with escaped bytes (lib/store/bytes.ts) hashes as the bytes it stands for, as Redis hashes them.
 */
export function hashSlot(key: string): number {
  return calculateSlot(key.isWellFormed() ? key : toBytes(key));
}

/**
 * Splits the 16384 slots into `n` ranges the way `redis-cli --cluster create` does
 * (3 shards: 0-5460, 5461-10922, 10923-16383).
 */
export function splitSlots(n: number): SlotRange[] {
  const ranges: SlotRange[] = [];
  const perShard = SLOT_COUNT / n;
  let first = 0;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1 ? SLOT_COUNT - 1 : Math.round((i + 1) * perShard) - 1;
    ranges.push([first, last]);
    first = last + 1;
  }
  return ranges;
}
