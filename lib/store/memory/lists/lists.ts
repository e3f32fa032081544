/** List commands: LPUSH/RPUSH(X), LPOP/RPOP with count, LRANGE, LLEN, LINDEX, LREM, LSET, LTRIM. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { Deque } from './Deque.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg, toInt64 } from '../numbers.ts';
import { arityError, ERR_NO_SUCH_KEY, ERR_OUT_OF_RANGE_POSITIVE, syntaxError } from '../replies.ts';
import type { CommandContext, CommandDef } from '../types.ts';

export function readList(ks: Keyspace, key: string): Deque | undefined {
  return ks.get<Deque>(key, 'list');
}

function push(where: 'left' | 'right', onlyIfExists: boolean) {
  const event = where === 'left' ? 'lpush' : 'rpush';
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const key = args[0]!;
    let list = readList(ks, key);
    if (list === undefined) {
      if (onlyIfExists) return 0;
      list = new Deque();
      ks.add(key, list);
    }
    for (let i = 1; i < args.length; i++) {
      if (where === 'left') list.pushFront(args[i]!);
      else list.pushBack(args[i]!);
    }
    ks.notify(event, key);
    return list.length;
  };
}

function pop(where: 'left' | 'right', name: string) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    if (args.length > 2) throw arityError(name);
    const key = args[0]!;
    const hasCount = args.length === 2;
    let count = 1;
    if (hasCount) {
      const n = toInt64(args[1]!);
      if (n === undefined || n < 0) throw new RedisReplyError(ERR_OUT_OF_RANGE_POSITIVE);
      count = n;
    }
    const list = readList(ks, key);
    if (list === undefined) return null;
    if (hasCount && count === 0) return [];
    const out: string[] = [];
    while (out.length < count && list.length > 0) {
      out.push((where === 'left' ? list.popFront() : list.popBack()) as string);
    }
    ks.notify(name, key);
    ks.removeIfEmpty(key, list.length);
    return hasCount ? out : (out[0] ?? null);
  };
}

/** Redis' index normalisation for LRANGE/LTRIM: `[start, end]` inside the list, or undefined when empty. */
function normaliseRange(length: number, startText: string, endText: string): [number, number] | undefined {
  let start = intArg(startText);
  let end = intArg(endText);
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  if (end >= length) end = length - 1;
  return [start, end];
}

function lrem({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  let count = intArg(args[1]!);
  const element = args[2]!;
  const list = readList(ks, key);
  if (list === undefined) return 0;
  const items = list.toArray();
  let removed = 0;
  if (count >= 0) {
    const limit = count === 0 ? Infinity : count;
    const kept: string[] = [];
    for (const item of items) {
      if (item === element && removed < limit) removed++;
      else kept.push(item);
    }
    list.replace(kept);
  } else {
    count = -count;
    const kept: string[] = [];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      if (item === element && removed < count) removed++;
      else kept.push(item);
    }
    list.replace(kept.reverse());
  }
  if (removed > 0) {
    ks.notify('lrem', key);
    ks.removeIfEmpty(key, list.length);
  }
  return removed;
}

function ltrim({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  intArg(args[1]!);
  intArg(args[2]!);
  const list = readList(ks, key);
  if (list === undefined) return 'OK';
  const range = normaliseRange(list.length, args[1]!, args[2]!);
  list.replace(range === undefined ? [] : list.slice(range[0], range[1]));
  ks.notify('ltrim', key);
  ks.removeIfEmpty(key, list.length);
  return 'OK';
}

function lset({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const list = readList(ks, key);
  if (list === undefined) throw new RedisReplyError(ERR_NO_SUCH_KEY);
  const index = intArg(args[1]!);
  const i = index < 0 ? list.length + index : index;
  if (i < 0 || i >= list.length) throw new RedisReplyError('ERR index out of range');
  list.set(i, args[2]!);
  ks.notify('lset', key);
  return 'OK';
}

function linsert({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const where = args[1]!.toUpperCase();
  if (where !== 'BEFORE' && where !== 'AFTER') throw syntaxError();
  const list = readList(ks, key);
  if (list === undefined) return 0;
  const items = list.toArray();
  const at = items.indexOf(args[2]!);
  if (at === -1) return -1;
  items.splice(where === 'BEFORE' ? at : at + 1, 0, args[3]!);
  list.replace(items);
  ks.notify('linsert', key);
  return list.length;
}

export const listCommands: CommandDef[] = [
  { name: 'linsert', arity: 5, handler: linsert },
  { name: 'lpush', arity: -3, handler: push('left', false) },
  { name: 'rpush', arity: -3, handler: push('right', false) },
  { name: 'lpushx', arity: -3, handler: push('left', true) },
  { name: 'rpushx', arity: -3, handler: push('right', true) },
  { name: 'lpop', arity: -2, handler: pop('left', 'lpop') },
  { name: 'rpop', arity: -2, handler: pop('right', 'rpop') },
  {
    name: 'lrange',
    arity: 4,
    handler: ({ ks }, args) => {
      intArg(args[1]!);
      intArg(args[2]!);
      const list = readList(ks, args[0]!);
      if (list === undefined) return [];
      const range = normaliseRange(list.length, args[1]!, args[2]!);
      return range === undefined ? [] : list.slice(range[0], range[1]);
    },
  },
  { name: 'llen', arity: 2, handler: ({ ks }, args) => readList(ks, args[0]!)?.length ?? 0 },
  {
    name: 'lindex',
    arity: 3,
    handler: ({ ks }, args) => {
      const list = readList(ks, args[0]!);
      if (list === undefined) return null;
      const index = intArg(args[1]!);
      return list.at(index < 0 ? list.length + index : index) ?? null;
    },
  },
  { name: 'lrem', arity: 4, handler: lrem },
  { name: 'lset', arity: 4, handler: lset },
  { name: 'ltrim', arity: 4, handler: ltrim },
];
