/**
 * The values the memory store keeps per key. A string is kept as a JS string (the common case costs no
 * wrapper); every other type is a small class with a `type` tag.
 */
import type { KeyType } from '../ShardStore.ts';
import type { Deque } from './lists/Deque.ts';
import type { SortedSet } from './zsets/SortedSet.ts';
import type { Stream } from './streams/Stream.ts';

export class Hash extends Map<string, string> {
  readonly type = 'hash';
}

export class RSet {
  readonly type = 'set';
  readonly members = new Set<string>();
  /**
   * Whether Redis would still hold this set as an intset (only integers, at most 512 of them): such sets list
   * their members in ascending numeric order, so SMEMBERS replies the same order as Redis. One-way, as in Redis.
   */
  intset = true;
}

export type Value = string | Hash | Deque | RSet | SortedSet | Stream;
export type ValueType = Exclude<KeyType, 'none'>;

export function typeOf(value: Value): ValueType {
  return typeof value === 'string' ? 'string' : value.type;
}
