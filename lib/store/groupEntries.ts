/**
 * Consumer-group replies in the RESP2 shapes of `ShardStore.call` as entries: what a store without its own
 * `readGroup` (and the Redis store off its raw connection) is read with.
 */
import type { GroupEntry, RedisReply } from './ShardStore.ts';

/** `[[id, [field, value, …]], …]` of stream `key` → entries (a nil field list: the entry was deleted). */
export function toGroupEntries(key: string, reply: RedisReply | undefined): GroupEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: GroupEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item)) continue;
    const [id, fields] = item;
    if (typeof id !== 'string') continue;
    let value: Record<string, string> | null = null;
    if (Array.isArray(fields)) {
      value = {};
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const field = String(fields[i]);
        // A field named `__proto__` is an own property, not the object's prototype.
        if (field === '__proto__') {
          Object.defineProperty(value, field, { value: String(fields[i + 1]), enumerable: true, writable: true });
        } else value[field] = String(fields[i + 1]);
      }
    }
    out.push({ key, id, value });
  }
  return out;
}

/** XREADGROUP of one stream `key`: `[[key, entries]]`, or nil when nothing was there. */
export function readGroupEntries(key: string, reply: RedisReply): GroupEntry[] {
  if (!Array.isArray(reply)) return [];
  const [first] = reply;
  return Array.isArray(first) ? toGroupEntries(key, first[1]) : [];
}
