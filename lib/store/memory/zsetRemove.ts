/** Sorted-set removals by range and pops: ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZPOPMIN, ZPOPMAX. */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import { intArg, toInt64 } from './numbers.ts';
import { ERR_OUT_OF_RANGE_POSITIVE, syntaxError } from './replies.ts';
import type { ZItem } from './SortedSet.ts';
import type { CommandContext, CommandDef } from './types.ts';
import { emit, parseScoreRange, readZSet, scoreSpan } from './zsets.ts';

function zremrange(kind: 'rank' | 'score') {
  const event = kind === 'rank' ? 'zremrangebyrank' : 'zremrangebyscore';
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const key = args[0]!;
    let start = 0;
    let end = 0;
    const range = kind === 'score' ? parseScoreRange(args[1]!, args[2]!) : undefined;
    if (kind === 'rank') {
      start = intArg(args[1]!);
      end = intArg(args[2]!);
    }
    const zset = readZSet(ks, key);
    if (zset === undefined) return 0;
    let victims: ZItem[];
    if (range !== undefined) {
      const [from, to] = scoreSpan(zset, range);
      victims = from < to ? zset.range(from, to - 1) : [];
    } else {
      const length = zset.size;
      if (start < 0) start += length;
      if (end < 0) end += length;
      if (start < 0) start = 0;
      if (start > end || start >= length) return 0;
      if (end >= length) end = length - 1;
      victims = zset.range(start, end);
    }
    for (const item of victims) zset.delete(item.member);
    if (victims.length > 0) {
      ks.notify(event, key);
      ks.removeIfEmpty(key, zset.size);
    }
    return victims.length;
  };
}

function zpop(where: 'min' | 'max') {
  const event = where === 'min' ? 'zpopmin' : 'zpopmax';
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    if (args.length > 2) throw syntaxError();
    const key = args[0]!;
    let count = 1;
    if (args.length === 2) {
      const n = toInt64(args[1]!);
      if (n === undefined || n < 0) throw new RedisReplyError(ERR_OUT_OF_RANGE_POSITIVE);
      if (n === 0) return [];
      count = n;
    }
    const zset = readZSet(ks, key);
    if (zset === undefined) return [];
    const length = zset.size;
    const take = Math.min(count, length);
    const items = where === 'min' ? zset.range(0, take - 1) : zset.range(length - take, length - 1).reverse();
    for (const item of items) zset.delete(item.member);
    ks.notify(event, key);
    ks.removeIfEmpty(key, zset.size);
    return emit(items, true);
  };
}

export const zsetRemoveCommands: CommandDef[] = [
  { name: 'zremrangebyscore', arity: 4, handler: zremrange('score') },
  { name: 'zremrangebyrank', arity: 4, handler: zremrange('rank') },
  { name: 'zpopmin', arity: -2, handler: zpop('min') },
  { name: 'zpopmax', arity: -2, handler: zpop('max') },
];
