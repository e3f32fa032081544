/**
 * HSCAN, SSCAN and ZSCAN. Redis answers a whole small (listpack/intset) collection in one call with cursor 0;
 * the memory store does that for every size, which SCAN's contract allows (a full iteration in one step).
 */
import type { RedisReply } from '../ShardStore.ts';
import { compileGlob } from './glob.ts';
import type { Hash } from './values.ts';
import { parseCursor, parseScanArgs } from './keys.ts';
import { formatDouble } from './numbers.ts';
import { syntaxError } from './replies.ts';
import { setMembers } from './sets/sets.ts';
import type { SortedSet } from './zsets/SortedSet.ts';
import type { CommandContext, CommandDef } from './types.ts';
import type { RSet, ValueType } from './values.ts';

function scanCommand(type: ValueType) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    parseCursor(args[1]!);
    const opts = parseScanArgs(args, 2);
    if (opts.type !== undefined) throw syntaxError();
    const value = ks.get<Hash | RSet | SortedSet>(args[0]!, type);
    if (value === undefined) return ['0', []];
    const match = opts.match === undefined || opts.match === '*' ? undefined : compileGlob(opts.match);
    const out: string[] = [];
    if (type === 'hash') {
      for (const [field, v] of value as Hash) if (match === undefined || match(field)) out.push(field, v);
    } else if (type === 'set') {
      for (const member of setMembers(value as RSet)) if (match === undefined || match(member)) out.push(member);
    } else {
      for (const { member, score } of (value as SortedSet).toArray()) {
        if (match === undefined || match(member)) out.push(member, formatDouble(score));
      }
    }
    return ['0', out];
  };
}

export const scanCommands: CommandDef[] = [
  { name: 'hscan', arity: -3, handler: scanCommand('hash') },
  { name: 'sscan', arity: -3, handler: scanCommand('set') },
  { name: 'zscan', arity: -3, handler: scanCommand('zset') },
];
