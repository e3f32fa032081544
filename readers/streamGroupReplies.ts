/**
 * Consumer-group replies as the StreamReader's event side reads them (RESP2 shapes from `ShardStore.call`),
 * stream id arithmetic, and the trimming floor: the id below which every group on a stream has acknowledged.
 */
import { toGroupEntries } from '../lib/store/groupEntries.ts';
import type { GroupEntry, RedisReply, ShardStore } from '../lib/store/ShardStore.ts';
import type { StreamRecord } from './streamReader.ts';

/** Whether the entry still exists (has its fields): then it is a record. */
export const isRecord = (entry: GroupEntry): entry is StreamRecord => entry.value !== null;

/** XAUTOCLAIM of stream `key`: `[next cursor, entries, deleted ids (7.0+)]`. */
export function autoclaimReply(key: string, reply: RedisReply): { next: string; entries: GroupEntry[] } {
  if (!Array.isArray(reply)) return { next: '0-0', entries: [] };
  const [next, entries] = reply;
  return { next: typeof next === 'string' ? next : '0-0', entries: toGroupEntries(key, entries) };
}

function parts(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return dash < 0 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}

/** Orders two `ms-seq` ids. */
export function compareIds(a: string, b: string): number {
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

const U64_MAX = (1n << 64n) - 1n;

/** The id right after `id`. */
export function nextId(id: string): string {
  const [ms, seq] = parts(id);
  return seq === U64_MAX ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

/** The milliseconds part of an id (when the entry was added, for auto-generated ids). */
export function idMs(id: string): number {
  return Number(parts(id)[0]);
}

/** XINFO GROUPS' flat `[name, value, …]` lines as objects. */
function groupLines(reply: RedisReply): Map<string, RedisReply>[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter(Array.isArray).map((line) => {
    const fields = new Map<string, RedisReply>();
    for (let i = 0; i + 1 < line.length; i += 2) fields.set(String(line[i]), line[i + 1] ?? null);
    return fields;
  });
}

/**
 * The smallest id any consumer group of `key` has not acknowledged: per group, its oldest pending id (XPENDING
 * summary) or, with nothing pending, the id after its last-delivered-id; then the smallest over all groups.
 * `XTRIM key MINID <floor>` removes only entries every group is done with. Undefined when the stream has no
 * group. Not atomic: the floor is read before the trim, but a group's floor only moves forward (deliveries
 * and acks), so the trim can only keep more than needed — except for a group created or set back (XGROUP
 * CREATE/SETID) in between, which is the creator's race as in Redis.
 */
export async function trimFloor(store: ShardStore, key: string): Promise<string | undefined> {
  const groups = groupLines(await store.call('XINFO', 'GROUPS', key));
  const floors = await Promise.all(
    groups.map(async (group) => {
      const name = String(group.get('name'));
      if (Number(group.get('pending') ?? 0) > 0) {
        const summary = await store.call('XPENDING', key, name);
        const oldest = Array.isArray(summary) ? summary[1] : null;
        if (typeof oldest === 'string') return oldest;
      }
      return nextId(String(group.get('last-delivered-id') ?? '0-0'));
    }),
  );
  return floors.reduce<string | undefined>(
    (min, id) => (min === undefined || compareIds(id, min) < 0 ? id : min),
    undefined,
  );
}
