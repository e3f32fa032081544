/**
 * Sorted-set algebra (`zunionInterDiffGenericCommand`): ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
 * Plain sets count as sorted sets whose scores are all 1, as in Redis.
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg, toDouble, toInt64 } from '../numbers.ts';
import { syntaxError, wrongType } from '../replies.ts';
import { SortedSet } from './SortedSet.ts';
import { type CommandContext, type CommandDef } from '../types.ts';
import { typeOf, type RSet } from '../values.ts';
import { emit } from './zsets.ts';

type Op = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** One input: member → score (a view of the sorted set's own map, or scores of 1 for a set). */
interface Source {
  scores: ReadonlyMap<string, number> | undefined;
  weight: number;
  size: number;
}

function readSource(ks: Keyspace, key: string): Source {
  const value = ks.lookup(key);
  if (value === undefined) return { scores: undefined, weight: 1, size: 0 };
  const type = typeOf(value);
  if (type === 'zset') {
    const zset = value as SortedSet;
    return { scores: zset.scores, weight: 1, size: zset.size };
  }
  if (type === 'set') {
    const members = (value as RSet).members;
    return { scores: new Map([...members].map((m) => [m, 1])), weight: 1, size: members.size };
  }
  throw wrongType();
}

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'min') return value < target ? value : target;
  if (how === 'max') return value > target ? value : target;
  const sum = target + value;
  return Number.isNaN(sum) ? 0 : sum; // inf + -inf is 0 by Redis' convention
}

/** `score * weight`, 0 where that is NaN (0 * inf). */
function weighted(score: number, weight: number): number {
  const v = score * weight;
  return Number.isNaN(v) ? 0 : v;
}

function compute(op: Op, sources: Source[], how: Aggregate, limit: number): { result: SortedSet; count: number } {
  const result = new SortedSet();
  let count = 0;
  if (op === 'union') {
    const acc = new Map<string, number>();
    for (const src of sources) {
      if (src.scores === undefined) continue;
      for (const [member, score] of src.scores) {
        const value = weighted(score, src.weight);
        const prev = acc.get(member);
        acc.set(member, prev === undefined ? value : aggregate(prev, value, how));
      }
    }
    for (const [member, score] of acc) result.set(member, score);
  } else if (op === 'inter') {
    const ordered = [...sources].sort((a, b) => a.size - b.size);
    const [first, ...rest] = ordered;
    if (first?.scores !== undefined) {
      for (const [member, score] of first.scores) {
        let total = weighted(score, first.weight);
        let all = true;
        for (const src of rest) {
          const other = src.scores?.get(member);
          if (other === undefined) {
            all = false;
            break;
          }
          total = aggregate(total, other * src.weight, how);
        }
        if (!all) continue;
        count++;
        if (limit === -1) result.set(member, total);
        else if (limit > 0 && count >= limit) break;
      }
    }
  } else {
    const [first, ...rest] = sources;
    if (first?.scores !== undefined) {
      for (const [member, score] of first.scores) {
        if (!rest.some((src) => src.scores?.has(member))) result.set(member, score);
      }
    }
  }
  return { result, count };
}

/**
 * `ZUNION|ZINTER|ZDIFF numkeys key… [WEIGHTS w…] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`, the STORE forms
 * (`dst numkeys key…`, no WITHSCORES) and `ZINTERCARD numkeys key… [LIMIT n]` (`cardinality`).
 */
function zsetOp(op: Op, mode: 'reply' | 'store' | 'cardinality', name: string) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const store = mode === 'store';
    const cardinality = mode === 'cardinality';
    const numkeysAt = store ? 1 : 0;
    const setnum = intArg(args[numkeysAt]!);
    if (setnum < 1) throw new RedisReplyError(`ERR at least 1 input key is needed for '${name}' command`);
    if (setnum > args.length - numkeysAt - 1) throw syntaxError();
    const keys = args.slice(numkeysAt + 1, numkeysAt + 1 + setnum);
    const sources = keys.map((key) => readSource(ks, key));
    let how: Aggregate = 'sum';
    let withScores = false;
    let limit = cardinality ? 0 : -1;
    for (let j = numkeysAt + 1 + setnum; j < args.length; j++) {
      const opt = args[j]!.toUpperCase();
      const remaining = args.length - j;
      if (op !== 'diff' && !cardinality && remaining >= setnum + 1 && opt === 'WEIGHTS') {
        for (let i = 0; i < setnum; i++) {
          const weight = toDouble(args[++j]!);
          if (weight === undefined) throw new RedisReplyError('ERR weight value is not a float');
          sources[i]!.weight = weight;
        }
      } else if (op !== 'diff' && !cardinality && remaining >= 2 && opt === 'AGGREGATE') {
        const value = args[++j]!.toLowerCase();
        if (value !== 'sum' && value !== 'min' && value !== 'max') throw syntaxError();
        how = value;
      } else if (!store && !cardinality && opt === 'WITHSCORES') {
        withScores = true;
      } else if (cardinality && remaining >= 2 && opt === 'LIMIT') {
        const n = toInt64(args[++j]!);
        if (n === undefined || n < 0) throw new RedisReplyError("ERR LIMIT can't be negative");
        limit = n;
      } else throw syntaxError();
    }
    const { result, count } = compute(op, sources, how, limit);
    if (cardinality) return count;
    if (!store) return emit(result.toArray(), withScores);
    const dst = args[0]!;
    if (result.size > 0) {
      ks.set(dst, result);
      ks.notify(`z${op}store`, dst);
      return result.size;
    }
    if (ks.lookup(dst) !== undefined) {
      ks.remove(dst);
      ks.notify('del', dst);
    }
    return 0;
  };
}

export const zsetAlgebraCommands: CommandDef[] = [
  { name: 'zunion', arity: -3, handler: zsetOp('union', 'reply', 'zunion') },
  { name: 'zinter', arity: -3, handler: zsetOp('inter', 'reply', 'zinter') },
  { name: 'zdiff', arity: -3, handler: zsetOp('diff', 'reply', 'zdiff') },
  { name: 'zunionstore', arity: -4, handler: zsetOp('union', 'store', 'zunionstore') },
  { name: 'zinterstore', arity: -4, handler: zsetOp('inter', 'store', 'zinterstore') },
  { name: 'zdiffstore', arity: -4, handler: zsetOp('diff', 'store', 'zdiffstore') },
  { name: 'zintercard', arity: -3, handler: zsetOp('inter', 'cardinality', 'zintercard') },
];
