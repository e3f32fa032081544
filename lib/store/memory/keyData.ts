/** A key's type and value as `readKeys` publishes them (plain data, copies of what the store holds). */
import type { KeyData } from '../ShardStore.ts';
import type { Deque } from './lists/Deque.ts';
import { setMembers } from './sets/sets.ts';
import type { SortedSet } from './zsets/SortedSet.ts';
import { typeOf, type Hash, type RSet, type Value } from './values.ts';

export function keyData(key: string, value: Value | undefined, readValue: boolean): KeyData {
  if (value === undefined) return { key, type: 'none', value: null };
  const type = typeOf(value);
  if (!readValue) return { key, type, value: null } as KeyData;
  switch (type) {
    case 'string':
      return { key, type, value: value as string };
    case 'hash':
      return { key, type, value: Object.fromEntries(value as Hash) };
    case 'list':
      return { key, type, value: (value as Deque).toArray() };
    case 'set':
      return { key, type, value: setMembers(value as RSet) };
    case 'zset':
      return { key, type, value: (value as SortedSet).toArray().map(({ member, score }) => ({ member, score })) };
    case 'stream':
      return { key, type, value: null };
  }
}
