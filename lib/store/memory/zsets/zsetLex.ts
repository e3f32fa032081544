/**
 * Lexicographical ranges of sorted sets (BYLEX, ZRANGEBYLEX, ZREVRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX). They are
 * meant for members that share one score; for mixed scores Redis' answer depends on the encoding, and this
 * follows its listpack walk (score order, first member inside the range, then on while still inside).
 */
import { RedisReplyError } from '../../../errors.ts';
import { compareBytes } from '../bytes.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { SortedSet, ZItem } from './SortedSet.ts';
import type { CommandContext, CommandDef } from '../types.ts';

/** A bound: `-` (below everything), `+` (above everything) or a member, inclusive `[` or exclusive `(`. */
type LexBound = { kind: '-' } | { kind: '+' } | { kind: 'value'; value: string; exclusive: boolean };

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

function parseBound(text: string): LexBound {
  if (text === '+') return { kind: '+' };
  if (text === '-') return { kind: '-' };
  if (text.startsWith('(') || text.startsWith('[')) {
    return { kind: 'value', value: text.slice(1), exclusive: text.startsWith('(') };
  }
  throw new RedisReplyError('ERR min or max not valid string range item');
}

/** `zslParseLexRange`. */
export function parseLexRange(minText: string, maxText: string): LexRange {
  return { min: parseBound(minText), max: parseBound(maxText) };
}

/** Bytes, as Redis' `sdscmplex` compares them (not UTF-16 units). */
const compare = compareBytes;

function gteMin(member: string, min: LexBound): boolean {
  if (min.kind !== 'value') return min.kind === '-';
  const c = compareBytes(member, min.value);
  return min.exclusive ? c > 0 : c >= 0;
}

function lteMax(member: string, max: LexBound): boolean {
  if (max.kind !== 'value') return max.kind === '+';
  const c = compareBytes(member, max.value);
  return max.exclusive ? c < 0 : c <= 0;
}

/** `sdscmplex` over bounds: `-` below and `+` above every member. */
function compareBounds(a: LexBound, b: LexBound): number {
  const rank = (x: LexBound): number => (x.kind === '-' ? 0 : x.kind === '+' ? 2 : 1);
  if (a.kind !== 'value' || b.kind !== 'value') return rank(a) - rank(b);
  return compare(a.value, b.value);
}

/** `zzlIsInLexRange`: can the range hold anything at all, given the first and last members? */
function mayHold(items: ZItem[], r: LexRange): boolean {
  const cmp = compareBounds(r.min, r.max);
  const exclusive = (r.min.kind === 'value' && r.min.exclusive) || (r.max.kind === 'value' && r.max.exclusive);
  if (cmp > 0 || (cmp === 0 && exclusive)) return false;
  const first = items[0];
  const last = items[items.length - 1];
  return first !== undefined && last !== undefined && gteMin(last.member, r.min) && lteMax(first.member, r.max);
}

/**
 * The members a lex range selects, in order (`rev` walks from the end), after `offset` skipped, at most
 * `limit` (negative = all) — the listpack walk of `genericZrangebylexCommand`.
 */
export function lexSelect(items: ZItem[], r: LexRange, rev: boolean, offset: number, limit: number): ZItem[] {
  const out: ZItem[] = [];
  if (!mayHold(items, r)) return out;
  const n = items.length;
  let i = rev ? n - 1 : 0;
  const step = rev ? -1 : 1;
  for (; i >= 0 && i < n; i += step) {
    const m = items[i]!.member;
    if (rev ? lteMax(m, r.max) : gteMin(m, r.min)) {
      if (!(rev ? gteMin(m, r.min) : lteMax(m, r.max))) return out;
      break;
    }
  }
  if (i < 0 || i >= n || offset < 0) return out;
  for (; offset > 0 && i >= 0 && i < n; offset--) i += step;
  for (; limit !== 0 && i >= 0 && i < n; i += step, limit--) {
    const item = items[i]!;
    if (!(rev ? gteMin(item.member, r.min) : lteMax(item.member, r.max))) break;
    out.push(item);
  }
  return out;
}

function zlexcount({ ks }: CommandContext, args: string[]): RedisReply {
  const range = parseLexRange(args[1]!, args[2]!);
  const zset = ks.get<SortedSet>(args[0]!, 'zset');
  return zset === undefined ? 0 : lexSelect(zset.toArray(), range, false, 0, -1).length;
}

function zremrangebylex({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const range = parseLexRange(args[1]!, args[2]!);
  const zset = ks.get<SortedSet>(key, 'zset');
  if (zset === undefined) return 0;
  const victims = lexSelect(zset.toArray(), range, false, 0, -1);
  for (const item of victims) zset.delete(item.member);
  if (victims.length > 0) {
    ks.notify('zremrangebylex', key);
    ks.removeIfEmpty(key, zset.size);
  }
  return victims.length;
}

export const lexCommands: CommandDef[] = [
  { name: 'zlexcount', arity: 4, handler: zlexcount },
  { name: 'zremrangebylex', arity: 4, handler: zremrangebylex },
];
