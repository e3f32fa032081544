/**
 * Set commands. Members of a set Redis would keep as an intset (integers only, at most 512) are listed in
 * ascending numeric order as Redis does; other sets list in insertion order (Redis' order is unspecified).
 */
import type { RedisReply } from '../../ShardStore.ts';
import type { Keyspace } from '../Keyspace.ts';
import { toInt64 } from '../numbers.ts';
import { type CommandContext, type CommandDef } from '../types.ts';
import { RSet } from '../values.ts';

/** Redis' `set-max-intset-entries` default. */
export const MAX_INTSET_ENTRIES = 512;

export function readSet(ks: Keyspace, key: string): RSet | undefined {
  return ks.get<RSet>(key, 'set');
}

/** Members in the order Redis would reply them. */
export function setMembers(set: RSet): string[] {
  const members = [...set.members];
  if (set.intset) {
    members.sort((a, b) => {
      const d = Number(a) - Number(b);
      if (d !== 0 || a === b) return d;
      const [x, y] = [BigInt(a), BigInt(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  return members;
}

function sadd({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  let set = readSet(ks, key);
  if (set === undefined) {
    set = new RSet();
    ks.add(key, set);
  }
  let added = 0;
  for (let i = 1; i < args.length; i++) {
    const member = args[i]!;
    if (set.members.has(member)) continue;
    set.members.add(member);
    added++;
    if (set.intset && (toInt64(member) === undefined || set.members.size > MAX_INTSET_ENTRIES)) set.intset = false;
  }
  if (added > 0) ks.notify('sadd', key);
  return added;
}

function srem({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const set = readSet(ks, key);
  if (set === undefined) return 0;
  let removed = 0;
  for (let i = 1; i < args.length; i++) if (set.members.delete(args[i]!)) removed++;
  if (removed > 0) {
    ks.notify('srem', key);
    ks.removeIfEmpty(key, set.members.size);
  }
  return removed;
}

export const setCommands: CommandDef[] = [
  { name: 'sadd', arity: -3, handler: sadd },
  { name: 'srem', arity: -3, handler: srem },
  {
    name: 'smembers',
    arity: 2,
    handler: ({ ks }, args) => {
      const set = readSet(ks, args[0]!);
      return set === undefined ? [] : setMembers(set);
    },
  },
  { name: 'sismember', arity: 3, handler: ({ ks }, args) => (readSet(ks, args[0]!)?.members.has(args[1]!) ? 1 : 0) },
  {
    name: 'smismember',
    arity: -3,
    handler: ({ ks }, args) => {
      const set = readSet(ks, args[0]!);
      return args.slice(1).map((m) => (set?.members.has(m) ? 1 : 0));
    },
  },
  { name: 'scard', arity: 2, handler: ({ ks }, args) => readSet(ks, args[0]!)?.members.size ?? 0 },
];
