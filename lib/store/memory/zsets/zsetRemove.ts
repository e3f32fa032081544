/** Sorted-set removals by range: ZREMRANGEBYSCORE, ZREMRANGEBYRANK (the pops are in blocking.ts). */
import type { RedisReply } from '../../ShardStore.ts';
import { intArg } from '../numbers.ts';
import type { ZItem } from './SortedSet.ts';
import type { CommandContext, CommandDef } from '../types.ts';
import { parseScoreRange, readZSet, scoreSpan } from './zsets.ts';

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

export const zsetRemoveCommands: CommandDef[] = [
  { name: 'zremrangebyscore', arity: 4, handler: zremrange('score') },
  { name: 'zremrangebyrank', arity: 4, handler: zremrange('rank') },
];
