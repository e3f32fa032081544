/** Sorted-set commands: ZADD (NX/XX/GT/LT/CH/INCR), ZINCRBY, ZREM, ZSCORE, ZRANGE family, ZCARD, ZCOUNT, ZRANK. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { Keyspace } from '../Keyspace.ts';
import { doubleArg, formatDouble, intArg, strtodRange } from '../numbers.ts';
import { syntaxError } from '../replies.ts';
import { SortedSet, type ZItem } from './SortedSet.ts';
import { lexSelect, parseLexRange } from './zsetLex.ts';
import type { CommandContext, CommandDef } from '../types.ts';

export function readZSet(ks: Keyspace, key: string): SortedSet | undefined {
  return ks.get<SortedSet>(key, 'zset');
}

/** `zaddGenericCommand`, shared by ZADD and ZINCRBY (which, like Redis, also accepts ZADD's flags). */
function zadd(forceIncr: boolean) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const key = args[0]!;
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    let ch = false;
    let incr = forceIncr;
    let i = 1;
    for (; i < args.length; i++) {
      const arg = args[i]!;
      if (arg.length < 2 || arg.length > 4) break; // a score, not an option: skip the case conversion
      const opt = arg.toUpperCase();
      if (opt === 'NX') nx = true;
      else if (opt === 'XX') xx = true;
      else if (opt === 'CH') ch = true;
      else if (opt === 'INCR') incr = true;
      else if (opt === 'GT') gt = true;
      else if (opt === 'LT') lt = true;
      else break;
    }
    const pairs = args.length - i;
    if (pairs % 2 !== 0 || pairs === 0) throw syntaxError();
    if (nx && xx) throw new RedisReplyError('ERR XX and NX options at the same time are not compatible');
    if ((gt && nx) || (lt && nx) || (gt && lt)) {
      throw new RedisReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
    }
    if (incr && pairs > 2) throw new RedisReplyError('ERR INCR option supports a single increment-element pair');
    const scores: number[] = [];
    const members: string[] = [];
    for (let j = i; j < args.length; j += 2) {
      scores.push(doubleArg(args[j]!));
      members.push(args[j + 1]!);
    }
    return zaddParsed(ks, key, { nx, xx, gt, lt, ch, incr }, scores, members);
  };
}

export interface ZaddFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** ZADD once its arguments are checked and parsed (GEOADD computes its scores and comes in here). */
export function zaddParsed(
  ks: Keyspace,
  key: string,
  { nx, xx, gt, lt, ch, incr }: ZaddFlags,
  scores: number[],
  members: string[],
): RedisReply {
  let zset = readZSet(ks, key);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (zset === undefined && !xx) {
    zset = new SortedSet();
    ks.add(key, zset);
  }
  try {
    if (zset !== undefined) {
      for (let j = 0; j < scores.length; j++) {
        const member = members[j]!;
        let score = scores[j]!;
        const current = zset.score(member);
        if (current !== undefined) {
          if (nx) continue;
          if (incr) {
            score += current;
            if (Number.isNaN(score)) throw new RedisReplyError('ERR resulting score is not a number (NaN)');
          }
          if ((lt && score >= current) || (gt && score <= current)) continue;
          if (score !== current) {
            zset.set(member, score);
            updated++;
          }
        } else {
          if (xx) continue;
          zset.set(member, score);
          added++;
        }
        processed++;
        lastScore = score;
      }
    }
  } finally {
    if (added || updated) ks.notify(incr ? 'zincr' : 'zadd', key);
  }
  if (incr) return processed ? formatDouble(lastScore) : null;
  return ch ? added + updated : added;
}

interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** `zslParseRange`: `(` for exclusive, anything strtod reads (`-inf`, `+inf`, …). */
export function parseScoreRange(minText: string, maxText: string): ScoreRange {
  const parse = (text: string): [number, boolean] => {
    const ex = text.startsWith('(');
    const value = strtodRange(ex ? text.slice(1) : text);
    if (Number.isNaN(value)) throw new RedisReplyError('ERR min or max is not a float');
    return [value, ex];
  };
  const [min, minex] = parse(minText);
  const [max, maxex] = parse(maxText);
  return { min, max, minex, maxex };
}

/** Positions [from, to) of the items inside the score range. */
export function scoreSpan(zset: SortedSet, r: ScoreRange): [number, number] {
  if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return [0, 0];
  const from = zset.countBelow(r.min, r.minex);
  const to = zset.countBelow(r.max, !r.maxex);
  return from < to ? [from, to] : [0, 0];
}

export function emit(items: ZItem[], withScores: boolean): string[] {
  const out: string[] = [];
  for (const item of items) {
    out.push(item.member);
    if (withScores) out.push(formatDouble(item.score));
  }
  return out;
}

type RangeKind = 'rank' | 'score' | 'lex';

/** ZRANGESTORE's write: the range as a new sorted set at `dst` (deleted when the range is empty). */
function storeRange(ks: Keyspace, dst: string, items: ZItem[]): RedisReply {
  if (items.length === 0) {
    if (ks.lookup(dst) !== undefined) {
      ks.remove(dst);
      ks.notify('del', dst);
    }
    return 0;
  }
  const zset = new SortedSet();
  for (const item of items) zset.set(item.member, item.score);
  ks.set(dst, zset);
  ks.notify('zrangestore', dst);
  return zset.size;
}

/** `zrangeGenericCommand` for ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX and ZREVRANGEBYLEX. */
function zrange(preset: { kind?: RangeKind; rev?: boolean }, store = false) {
  return ({ ks }: CommandContext, argv: string[]): RedisReply => {
    // ZRANGESTORE dst src …: the range arguments of ZRANGE after the destination.
    const dst = store ? argv[0]! : undefined;
    const args = store ? argv.slice(1) : argv;
    const out = (items: ZItem[], withScores: boolean): RedisReply =>
      dst === undefined ? emit(items, withScores) : storeRange(ks, dst, items);
    let kind = preset.kind;
    let rev = preset.rev;
    let withScores = false;
    let offset = 0;
    let limit = -1;
    for (let j = 3; j < args.length; j++) {
      const opt = args[j]!.toUpperCase();
      const left = args.length - j - 1;
      if (opt === 'WITHSCORES' && !store) withScores = true;
      else if (opt === 'LIMIT' && left >= 2) {
        offset = intArg(args[j + 1]!);
        limit = intArg(args[j + 2]!);
        j += 2;
      } else if (rev === undefined && opt === 'REV') rev = true;
      else if (kind === undefined && opt === 'BYSCORE') kind = 'score';
      else if (kind === undefined && opt === 'BYLEX') kind = 'lex';
      else throw syntaxError();
    }
    kind ??= 'rank';
    rev ??= false;
    if (limit !== -1 && kind === 'rank') {
      throw new RedisReplyError(
        'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
      );
    }
    if (withScores && kind === 'lex') {
      throw new RedisReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    }
    let [minText, maxText] = [args[1]!, args[2]!];
    if (rev && kind !== 'rank') [minText, maxText] = [maxText, minText];
    if (kind === 'lex') {
      const lex = parseLexRange(minText, maxText);
      const zset = readZSet(ks, args[0]!);
      return out(zset === undefined ? [] : lexSelect(zset.toArray(), lex, rev, offset, limit), false);
    }
    let start = 0;
    let end = 0;
    let range: ScoreRange | undefined;
    if (kind === 'rank') {
      start = intArg(minText);
      end = intArg(maxText);
    } else {
      range = parseScoreRange(minText, maxText);
    }
    const zset = readZSet(ks, args[0]!);
    if (zset === undefined) return out([], false);
    const length = zset.size;
    if (range === undefined) {
      if (start < 0) start += length;
      if (end < 0) end += length;
      if (start < 0) start = 0;
      if (start > end || start >= length) return out([], false);
      if (end >= length) end = length - 1;
      const items = rev ? zset.range(length - 1 - end, length - 1 - start).reverse() : zset.range(start, end);
      return out(items, withScores);
    }
    const [from, to] = scoreSpan(zset, range);
    if (offset < 0 || from >= to) return out([], false);
    const count = to - from;
    if (offset >= count) return out([], false);
    const take = limit < 0 ? count - offset : Math.min(limit, count - offset);
    if (take === 0) return out([], false);
    const items = rev
      ? zset.range(to - offset - take, to - offset - 1).reverse()
      : zset.range(from + offset, from + offset + take - 1);
    return out(items, withScores);
  };
}

export const zsetCommands: CommandDef[] = [
  { name: 'zadd', arity: -4, handler: zadd(false) },
  { name: 'zincrby', arity: 4, handler: zadd(true) },
  {
    name: 'zrem',
    arity: -3,
    handler: ({ ks }, args) => {
      const key = args[0]!;
      const zset = readZSet(ks, key);
      if (zset === undefined) return 0;
      let removed = 0;
      for (let i = 1; i < args.length; i++) if (zset.delete(args[i]!)) removed++;
      if (removed > 0) {
        ks.notify('zrem', key);
        ks.removeIfEmpty(key, zset.size);
      }
      return removed;
    },
  },
  {
    name: 'zscore',
    arity: 3,
    handler: ({ ks }, args) => {
      const score = readZSet(ks, args[0]!)?.score(args[1]!);
      return score === undefined ? null : formatDouble(score);
    },
  },
  {
    name: 'zmscore',
    arity: -3,
    handler: ({ ks }, args) => {
      const zset = readZSet(ks, args[0]!);
      return args.slice(1).map((m) => {
        const score = zset?.score(m);
        return score === undefined ? null : formatDouble(score);
      });
    },
  },
  { name: 'zcard', arity: 2, handler: ({ ks }, args) => readZSet(ks, args[0]!)?.size ?? 0 },
  {
    name: 'zcount',
    arity: 4,
    handler: ({ ks }, args) => {
      const range = parseScoreRange(args[1]!, args[2]!);
      const zset = readZSet(ks, args[0]!);
      if (zset === undefined) return 0;
      const [from, to] = scoreSpan(zset, range);
      return to - from;
    },
  },
  {
    name: 'zrank',
    arity: 3,
    handler: ({ ks }, args) => readZSet(ks, args[0]!)?.rank(args[1]!) ?? null,
  },
  {
    name: 'zrevrank',
    arity: 3,
    handler: ({ ks }, args) => {
      const zset = readZSet(ks, args[0]!);
      const rank = zset?.rank(args[1]!);
      return zset === undefined || rank === undefined ? null : zset.size - 1 - rank;
    },
  },
  { name: 'zrange', arity: -4, handler: zrange({}) },
  { name: 'zrevrange', arity: -4, handler: zrange({ kind: 'rank', rev: true }) },
  { name: 'zrangebyscore', arity: -4, handler: zrange({ kind: 'score', rev: false }) },
  { name: 'zrevrangebyscore', arity: -4, handler: zrange({ kind: 'score', rev: true }) },
  { name: 'zrangebylex', arity: -4, handler: zrange({ kind: 'lex', rev: false }) },
  { name: 'zrevrangebylex', arity: -4, handler: zrange({ kind: 'lex', rev: true }) },
  { name: 'zrangestore', arity: -5, handler: zrange({}, true) },
];
