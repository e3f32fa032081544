/**
 * Pops from the first non-empty of several keys, and their blocking forms: LMPOP, ZMPOP, ZPOPMIN/ZPOPMAX, and
 * BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BZMPOP. A blocking command that finds nothing
 * returns a `BlockRequest`: `MemoryStore.call` parks it until a write creates one of its keys; `callSync` (and
 * so MULTI) answers the timeout reply at once, as Redis does for a client that cannot block.
 */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import type { Keyspace } from './Keyspace.ts';
import { formatDouble, toDouble, toInt64 } from './numbers.ts';
import { readList } from './lists/lists.ts';
import { ERR_OUT_OF_RANGE_POSITIVE, syntaxError } from './replies.ts';
import type { ZItem } from './zsets/SortedSet.ts';
import { BlockRequest, type CommandContext, type CommandDef } from './types.ts';
import { typeOf } from './values.ts';
import { readZSet } from './zsets/zsets.ts';
import { moveElement } from './lists/listMoves.ts';

type End = 'left' | 'right';
type Kind = 'list' | 'zset';

/** Longest timer Node keeps (about 24.8 days); a longer timeout is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `getTimeoutFromObjectOrReply(UNIT_SECONDS)`: seconds as a double, to whole milliseconds rounded up; 0 = forever. */
export function timeoutArg(text: string): number {
  const seconds = toDouble(text);
  if (seconds === undefined) throw new RedisReplyError('ERR timeout is not a float or out of range');
  const ms = Math.ceil(seconds * 1000);
  // Redis casts to a long long: an infinity or an overflow comes out negative.
  if (!Number.isFinite(ms) || ms < 0 || ms >= 2 ** 63) throw new RedisReplyError('ERR timeout is negative');
  return ms > MAX_TIMER_MS ? 0 : ms + 0;
}

/** The first key holding a non-empty value of `kind` (WRONGTYPE at the first key of another type). */
function firstNonEmpty(ks: Keyspace, keys: readonly string[], kind: Kind): string | undefined {
  for (const key of keys) {
    const value = ks.lookup(key);
    if (value === undefined) continue;
    if (typeOf(value) !== kind) throw new RedisReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    return key;
  }
  return undefined;
}

/** Whether a blocked pop on `keys` can be served now: a key of the wanted type exists (others are skipped). */
function readyKey(ks: Keyspace, keys: readonly string[], kind: Kind): string | undefined {
  for (const key of keys) {
    const value = ks.lookup(key);
    if (value !== undefined && typeOf(value) === kind) return key;
  }
  return undefined;
}

/** Pops up to `count` elements of the list at `key` (known to exist), with Redis' events. */
function popList(ks: Keyspace, key: string, where: End, count: number): string[] {
  const list = readList(ks, key)!;
  const out: string[] = [];
  while (out.length < count && list.length > 0) out.push((where === 'left' ? list.popFront() : list.popBack())!);
  ks.notify(where === 'left' ? 'lpop' : 'rpop', key);
  ks.removeIfEmpty(key, list.length);
  return out;
}

/** Pops up to `count` members of the sorted set at `key` (known to exist), lowest or highest first. */
export function popZSet(ks: Keyspace, key: string, where: 'min' | 'max', count: number): ZItem[] {
  const zset = readZSet(ks, key)!;
  const length = zset.size;
  const take = Math.min(count, length);
  const items = where === 'min' ? zset.range(0, take - 1) : zset.range(length - take, length - 1).reverse();
  for (const item of items) zset.delete(item.member);
  ks.notify(where === 'min' ? 'zpopmin' : 'zpopmax', key);
  ks.removeIfEmpty(key, zset.size);
  return items;
}

function pairs(items: ZItem[]): string[][] {
  return items.map((i) => [i.member, formatDouble(i.score)]);
}

function flat(items: ZItem[]): string[] {
  return items.flatMap((i) => [i.member, formatDouble(i.score)]);
}

/** A reply now, or a parked retry that serves the first key made ready; `null` (nil) when it times out. */
function blockOr(
  ctx: CommandContext,
  keys: string[],
  timeoutMs: number,
  kind: Kind,
  serve: (key: string) => RedisReply,
): RedisReply | BlockRequest {
  const key = firstNonEmpty(ctx.ks, keys, kind);
  if (key !== undefined) return serve(key);
  if (!ctx.canBlock) return null;
  return new BlockRequest(keys, timeoutMs, () => {
    const ready = readyKey(ctx.ks, keys, kind);
    return ready === undefined ? undefined : serve(ready);
  });
}

/** `numkeys key… LEFT|RIGHT|MIN|MAX [COUNT n]` of the *MPOP commands, from `at` (the numkeys position). */
function parseMpop(args: string[], at: number, ends: readonly [string, string]) {
  const numkeys = toInt64(args[at]!);
  if (numkeys === undefined || numkeys < 1) throw new RedisReplyError('ERR numkeys should be greater than 0');
  const whereAt = at + numkeys + 1;
  if (whereAt >= args.length) throw syntaxError();
  const where = args[whereAt]!.toLowerCase();
  if (where !== ends[0] && where !== ends[1]) throw syntaxError();
  let count = -1;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count === -1 && args[j]!.toUpperCase() === 'COUNT' && j + 1 < args.length) {
      const n = toInt64(args[++j]!);
      if (n === undefined || n < 1) throw new RedisReplyError('ERR count should be greater than 0');
      count = n;
    } else throw syntaxError();
  }
  return { keys: args.slice(at + 1, whereAt), where, count: count === -1 ? 1 : count };
}

function lmpop(blocking: boolean) {
  return (ctx: CommandContext, args: string[]): RedisReply | BlockRequest => {
    const at = blocking ? 1 : 0;
    const { keys, where, count } = parseMpop(args, at, ['left', 'right']);
    const timeout = blocking ? timeoutArg(args[0]!) : 0;
    const serve = (key: string): RedisReply => [key, popList(ctx.ks, key, where as End, count)];
    if (!blocking) {
      const key = firstNonEmpty(ctx.ks, keys, 'list');
      return key === undefined ? null : serve(key);
    }
    return blockOr(ctx, keys, timeout, 'list', serve);
  };
}

function zmpop(blocking: boolean) {
  return (ctx: CommandContext, args: string[]): RedisReply | BlockRequest => {
    const at = blocking ? 1 : 0;
    const { keys, where, count } = parseMpop(args, at, ['min', 'max']);
    const timeout = blocking ? timeoutArg(args[0]!) : 0;
    const serve = (key: string): RedisReply => [key, pairs(popZSet(ctx.ks, key, where as 'min' | 'max', count))];
    if (!blocking) {
      const key = firstNonEmpty(ctx.ks, keys, 'zset');
      return key === undefined ? null : serve(key);
    }
    return blockOr(ctx, keys, timeout, 'zset', serve);
  };
}

/** BLPOP / BRPOP `key… timeout` → `[key, element]`. */
function bpop(where: End) {
  return (ctx: CommandContext, args: string[]): RedisReply | BlockRequest => {
    const timeout = timeoutArg(args[args.length - 1]!);
    const keys = args.slice(0, -1);
    return blockOr(ctx, keys, timeout, 'list', (key) => [key, popList(ctx.ks, key, where, 1)[0]!]);
  };
}

/** BZPOPMIN / BZPOPMAX `key… timeout` → `[key, member, score]`. */
function bzpop(where: 'min' | 'max') {
  return (ctx: CommandContext, args: string[]): RedisReply | BlockRequest => {
    const timeout = timeoutArg(args[args.length - 1]!);
    const keys = args.slice(0, -1);
    return blockOr(ctx, keys, timeout, 'zset', (key) => [key, ...flat(popZSet(ctx.ks, key, where, 1))]);
  };
}

/** ZPOPMIN / ZPOPMAX `key [count]`: the type is checked before a count of 0 answers, as in Redis. */
function zpop(where: 'min' | 'max') {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    if (args.length > 2) throw syntaxError();
    let count = 1;
    if (args.length === 2) {
      const n = toInt64(args[1]!);
      if (n === undefined || n < 0) throw new RedisReplyError(ERR_OUT_OF_RANGE_POSITIVE);
      count = n;
    }
    const key = firstNonEmpty(ks, [args[0]!], 'zset');
    if (key === undefined || count === 0) return [];
    return flat(popZSet(ks, key, where, count));
  };
}

function endArg(text: string): End {
  const upper = text.toUpperCase();
  if (upper === 'LEFT') return 'left';
  if (upper === 'RIGHT') return 'right';
  throw syntaxError();
}

/** BLMOVE src dst from to timeout / BRPOPLPUSH src dst timeout → the element moved, nil on timeout. */
function blmove(fixed: [End, End] | undefined) {
  return (ctx: CommandContext, args: string[]): RedisReply | BlockRequest => {
    const [from, to] = fixed ?? [endArg(args[2]!), endArg(args[3]!)];
    const timeout = timeoutArg(args[args.length - 1]!);
    const [src, dst] = [args[0]!, args[1]!];
    return blockOr(ctx, [src], timeout, 'list', () => moveElement(ctx.ks, src, dst, from, to));
  };
}

export const blockingCommands: CommandDef[] = [
  { name: 'lmpop', arity: -4, handler: lmpop(false) },
  { name: 'blmpop', arity: -5, handler: lmpop(true) },
  { name: 'zmpop', arity: -4, handler: zmpop(false) },
  { name: 'bzmpop', arity: -5, handler: zmpop(true) },
  { name: 'blpop', arity: -3, handler: bpop('left') },
  { name: 'brpop', arity: -3, handler: bpop('right') },
  { name: 'bzpopmin', arity: -3, handler: bzpop('min') },
  { name: 'bzpopmax', arity: -3, handler: bzpop('max') },
  { name: 'zpopmin', arity: -2, handler: zpop('min') },
  { name: 'zpopmax', arity: -2, handler: zpop('max') },
  { name: 'blmove', arity: 6, handler: blmove(undefined) },
  { name: 'brpoplpush', arity: 4, handler: blmove(['right', 'left']) },
];
