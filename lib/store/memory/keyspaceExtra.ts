/** COPY, RANDOMKEY, LPOS and SINTERCARD: keyspace and collection commands added after the core set. */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import { cloneGroup } from './streams/ConsumerGroup.ts';
import { Deque } from './lists/Deque.ts';
import { readList } from './lists/lists.ts';
import { intArg, toInt64 } from './numbers.ts';
import { syntaxError } from './replies.ts';
import { readSet } from './sets/sets.ts';
import { SortedSet } from './zsets/SortedSet.ts';
import type { Stream } from './streams/Stream.ts';
import { type CommandContext, type CommandDef } from './types.ts';
import { Hash, RSet, typeOf, type Value } from './values.ts';

/** A deep copy of a value (a stream with its consumer groups). */
function duplicate(value: Value): Value {
  switch (typeOf(value)) {
    case 'string':
      return value;
    case 'hash':
      return new Hash(value as Hash);
    case 'list': {
      const copy = new Deque();
      for (const item of (value as Deque).toArray()) copy.pushBack(item);
      return copy;
    }
    case 'set': {
      const copy = new RSet();
      for (const member of (value as RSet).members) copy.members.add(member);
      copy.intset = (value as RSet).intset;
      return copy;
    }
    case 'zset': {
      const copy = new SortedSet();
      for (const item of (value as SortedSet).toArray()) copy.set(item.member, item.score);
      return copy;
    }
    case 'stream':
      return (value as Stream).clone(cloneGroup);
  }
}

/** `COPY src dst [DB 0] [REPLACE]`: one database, so DB names only 0. */
function copy({ ks }: CommandContext, args: string[]): RedisReply {
  const [src, dst] = [args[0]!, args[1]!];
  let replace = false;
  for (let j = 2; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    if (opt === 'REPLACE') replace = true;
    else if (opt === 'DB' && j + 1 < args.length) {
      const db = intArg(args[++j]!);
      if (db !== 0) throw new RedisReplyError('ERR DB index is out of range');
    } else throw syntaxError();
  }
  if (src === dst) throw new RedisReplyError('ERR source and destination objects are the same');
  const value = ks.lookup(src);
  if (value === undefined) return 0;
  const existing = ks.lookup(dst);
  if (existing !== undefined && !replace) return 0;
  const dup = duplicate(value);
  const deadline = ks.getExpire(src);
  if (existing !== undefined) ks.remove(dst);
  ks.add(dst, dup);
  if (deadline !== undefined) ks.setExpire(dst, deadline);
  ks.notify('copy_to', dst);
  return 1;
}

function randomkey({ ks }: CommandContext): RedisReply {
  // Keys past their deadline are skipped (and deleted) as Redis' dbRandomKey does.
  for (let tries = 0; tries < 100 && ks.size > 0; tries++) {
    const keys = [...ks.data.keys()];
    const key = keys[Math.floor(Math.random() * keys.length)]!;
    if (ks.lookup(key) !== undefined) return key;
  }
  return null;
}

function lpos({ ks }: CommandContext, args: string[]): RedisReply {
  const [key, element] = [args[0]!, args[1]!];
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 2; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    const more = j + 1 < args.length;
    if (opt === 'RANK' && more) {
      rank = intArg(args[++j]!);
      if (rank === 0) {
        throw new RedisReplyError(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      }
    } else if ((opt === 'COUNT' || opt === 'MAXLEN') && more) {
      const n = toInt64(args[++j]!);
      if (n === undefined || n < 0) throw new RedisReplyError(`ERR ${opt} can't be negative`);
      if (opt === 'COUNT') count = n;
      else maxlen = n;
    } else throw syntaxError();
  }
  const list = readList(ks, key);
  if (list === undefined) return count !== -1 ? [] : null;
  const items = list.toArray();
  const fromTail = rank < 0;
  const skip = Math.abs(rank);
  const found: number[] = [];
  let matches = 0;
  for (let i = 0; i < items.length && (maxlen === 0 || i < maxlen); i++) {
    const index = fromTail ? items.length - 1 - i : i;
    if (items[index] !== element) continue;
    matches++;
    if (matches < skip) continue;
    found.push(index);
    if (count === -1 || (count !== 0 && found.length >= count)) break;
  }
  if (count !== -1) return found;
  return found[0] ?? null;
}

/** `SINTERCARD numkeys key… [LIMIT n]`. */
function sintercard({ ks }: CommandContext, args: string[]): RedisReply {
  const numkeys = toInt64(args[0]!);
  if (numkeys === undefined || numkeys < 1) throw new RedisReplyError('ERR numkeys should be greater than 0');
  if (numkeys > args.length - 1) throw new RedisReplyError("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 1 + numkeys; j < args.length; j++) {
    if (args[j]!.toUpperCase() === 'LIMIT' && j + 1 < args.length) {
      const n = toInt64(args[++j]!);
      if (n === undefined || n < 0) throw new RedisReplyError("ERR LIMIT can't be negative");
      limit = n;
    } else throw syntaxError();
  }
  const sets = args.slice(1, 1 + numkeys).map((key) => readSet(ks, key));
  if (sets.includes(undefined)) return 0;
  const [smallest, ...others] = (sets as RSet[]).sort((a, b) => a.members.size - b.members.size);
  let count = 0;
  for (const member of smallest!.members) {
    if (!others.every((s) => s.members.has(member))) continue;
    count++;
    if (limit > 0 && count >= limit) break;
  }
  return count;
}

export const keyspaceExtraCommands: CommandDef[] = [
  { name: 'copy', arity: -3, handler: copy },
  { name: 'randomkey', arity: 1, handler: randomkey },
  { name: 'lpos', arity: -3, handler: lpos },
  { name: 'sintercard', arity: -3, handler: sintercard },
  {
    name: 'time',
    arity: 1,
    handler: () => {
      const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
      return [String(us / 1_000_000n), String(us % 1_000_000n)];
    },
  },
];
