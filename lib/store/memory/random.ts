/**
 * The random-sampling commands: SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER. A positive count samples without
 * repetition (at most the whole collection), a negative one with repetition, as Redis does; which elements come
 * out is random in both (tests compare sets of replies, never the order).
 */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import type { Hash } from './values.ts';
import { intArg, toInt64 } from './numbers.ts';
import { ERR_OUT_OF_RANGE_POSITIVE, syntaxError } from './replies.ts';
import { readSet, setMembers } from './sets/sets.ts';
import { formatDouble } from './numbers.ts';
import { readZSet } from './zsets/zsets.ts';
import type { CommandContext, CommandDef } from './types.ts';

const LONG_MAX = 2 ** 63 - 1;

/** `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)` as the *RANDMEMBER/HRANDFIELD count. */
function countArg(text: string): number {
  const count = intArg(text);
  if (text === '-9223372036854775808') {
    throw new RedisReplyError(
      'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
  }
  return count;
}

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * `count` distinct elements of `all` in random order (partial Fisher–Yates on a copy); all of them, in the
 * collection's order, when `count` covers it, as Redis replies then.
 */
function sampleDistinct<T>(all: T[], count: number): T[] {
  if (count >= all.length) return all;
  const n = Math.min(count, all.length);
  for (let i = 0; i < n; i++) {
    const j = i + randomIndex(all.length - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n);
}

/** `count` elements of `all` drawn with repetition. */
function sampleRepeated<T>(all: T[], count: number): T[] {
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = all[randomIndex(all.length)]!;
  return out;
}

/**
 * Samples of `all`: `count` > 0 distinct ones, < 0 `-count` with repetition. Redis refuses a repeated sample
 * whose reply (with values or scores: two elements per pick) could not be counted in a long.
 */
function sample<T>(all: T[], count: number, pairs: boolean): T[] {
  if (count >= 0) return sampleDistinct(all, count);
  if (pairs && -count > LONG_MAX / 2) throw new RedisReplyError('ERR value is out of range');
  return sampleRepeated(all, -count);
}

function srandmember({ ks }: CommandContext, args: string[]): RedisReply {
  if (args.length > 2) throw syntaxError();
  if (args.length === 2) {
    const count = countArg(args[1]!);
    const set = readSet(ks, args[0]!);
    if (set === undefined || count === 0) return [];
    return sample(setMembers(set), count, false);
  }
  const set = readSet(ks, args[0]!);
  if (set === undefined) return null;
  return sampleRepeated([...set.members], 1)[0]!;
}

function spop({ ks }: CommandContext, args: string[]): RedisReply {
  if (args.length > 2) throw syntaxError();
  const key = args[0]!;
  if (args.length === 2) {
    const count = toInt64(args[1]!) ?? -1; // getPositiveLong…: one message for both refusals
    if (count < 0) throw new RedisReplyError(ERR_OUT_OF_RANGE_POSITIVE);
    const set = readSet(ks, key);
    if (set === undefined || count === 0) return [];
    ks.notify('spop', key);
    if (count >= set.members.size) {
      const all = setMembers(set);
      ks.remove(key);
      ks.notify('del', key);
      return all;
    }
    const popped = sampleDistinct([...set.members], count);
    for (const member of popped) set.members.delete(member);
    return popped;
  }
  const set = readSet(ks, key);
  if (set === undefined) return null;
  const [member] = sampleRepeated([...set.members], 1);
  set.members.delete(member!);
  ks.notify('spop', key);
  ks.removeIfEmpty(key, set.members.size);
  return member!;
}

/** The `WITHVALUES` / `WITHSCORES` flag of HRANDFIELD and ZRANDMEMBER, the only option they take. */
function withFlag(args: string[], flag: string): boolean {
  if (args.length > 3 || (args.length === 3 && args[2]!.toUpperCase() !== flag)) throw syntaxError();
  return args.length === 3;
}

function hrandfield({ ks }: CommandContext, args: string[]): RedisReply {
  if (args.length >= 2) {
    const withValues = withFlag(args, 'WITHVALUES');
    const count = countArg(args[1]!);
    const hash = ks.get<Hash>(args[0]!, 'hash');
    if (hash === undefined || count === 0) return [];
    const picked = sample([...hash], count, withValues);
    return withValues ? picked.flat() : picked.map(([field]) => field);
  }
  const hash = ks.get<Hash>(args[0]!, 'hash');
  if (hash === undefined) return null;
  return sampleRepeated([...hash.keys()], 1)[0]!;
}

function zrandmember({ ks }: CommandContext, args: string[]): RedisReply {
  if (args.length >= 2) {
    const withScores = withFlag(args, 'WITHSCORES');
    const count = countArg(args[1]!);
    const zset = readZSet(ks, args[0]!);
    if (zset === undefined || count === 0) return [];
    const picked = sample(zset.toArray(), count, withScores);
    return withScores ? picked.flatMap((i) => [i.member, formatDouble(i.score)]) : picked.map((i) => i.member);
  }
  const zset = readZSet(ks, args[0]!);
  if (zset === undefined) return null;
  return sampleRepeated(zset.toArray(), 1)[0]!.member;
}

export const randomCommands: CommandDef[] = [
  { name: 'srandmember', arity: -2, handler: srandmember },
  { name: 'spop', arity: -2, handler: spop },
  { name: 'hrandfield', arity: -2, handler: hrandfield },
  { name: 'zrandmember', arity: -2, handler: zrandmember },
];
