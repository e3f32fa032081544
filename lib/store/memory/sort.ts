/**
 * SORT and SORT_RO (`BY pattern`, `BY nosort`, `LIMIT offset count`, `GET pattern…`, `ASC|DESC`, `ALPHA`,
 * `STORE dest`) over lists, sets and sorted sets, as Redis 7.0's `sortCommandGeneric`: patterns substitute the
 * first `*` with the element and may name a hash field after `->`, `GET #` is the element itself.
 */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import { compareBytes } from './bytes.ts';
import { Deque } from './lists/Deque.ts';
import type { Keyspace } from './Keyspace.ts';
import { intArg, strtodRange } from './numbers.ts';
import { syntaxError, wrongType } from './replies.ts';
import type { SortedSet } from './zsets/SortedSet.ts';
import { type CommandContext, type CommandDef } from './types.ts';
import { typeOf, type Hash, type RSet } from './values.ts';

/** `lookupKeyByPattern`: the string (or hash field) a pattern names for `element`, null when there is none. */
function byPattern(ks: Keyspace, pattern: string, element: string): string | null {
  if (pattern === '#') return element;
  const star = pattern.indexOf('*');
  if (star === -1) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow !== -1 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : undefined);
  const value = ks.lookup(key);
  if (value === undefined) return null;
  if (hasField) return typeOf(value) === 'hash' ? ((value as Hash).get(pattern.slice(arrow + 2)) ?? null) : null;
  return typeof value === 'string' ? value : null;
}

interface Sortable {
  element: string;
  score: number;
  /** ALPHA with BY: the weight (null when its key is missing). */
  by: string | null;
}

function sortGeneric({ ks }: CommandContext, args: string[], readOnly: boolean): RedisReply {
  const key = args[0]!;
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let sortBy: string | undefined;
  let dontSort = false;
  let store: string | undefined;
  const gets: string[] = [];
  for (let j = 1; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    const left = args.length - j - 1;
    if (opt === 'ASC') desc = false;
    else if (opt === 'DESC') desc = true;
    else if (opt === 'ALPHA') alpha = true;
    else if (opt === 'LIMIT' && left >= 2) {
      limitStart = intArg(args[j + 1]!);
      limitCount = intArg(args[j + 2]!);
      j += 2;
    } else if (opt === 'STORE' && left >= 1 && !readOnly) {
      store = args[++j]!;
    } else if (opt === 'BY' && left >= 1) {
      sortBy = args[++j]!;
      // A pattern without `*` (`BY nosort`) means: do not sort.
      if (!sortBy.includes('*')) dontSort = true;
    } else if (opt === 'GET' && left >= 1) {
      gets.push(args[++j]!);
    } else throw syntaxError();
  }
  const value = ks.lookup(key);
  let elements: string[];
  if (value === undefined) elements = [];
  else {
    switch (typeOf(value)) {
      case 'list':
        elements = (value as Deque).toArray();
        break;
      case 'set':
        elements = [...(value as RSet).members];
        // Redis sorts a set it stores even with BY nosort, so the result does not depend on hash order.
        if (dontSort && store !== undefined) {
          dontSort = false;
          alpha = true;
          sortBy = undefined;
        }
        break;
      case 'zset':
        elements = (value as SortedSet).toArray().map((item) => item.member);
        break;
      default:
        throw wrongType();
    }
  }
  const length = elements.length;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? length - 1 : start + limitCount - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;
  if (!dontSort) {
    const items: Sortable[] = elements.map((element) => ({ element, score: 0, by: null }));
    for (const item of items) {
      const weight = sortBy === undefined ? item.element : byPattern(ks, sortBy, item.element);
      if (weight === null) continue;
      if (alpha) item.by = weight;
      else {
        const score = strtodRange(weight);
        if (Number.isNaN(score)) throw new RedisReplyError("ERR One or more scores can't be converted into double");
        item.score = score;
      }
    }
    const cmp = (a: Sortable, b: Sortable): number => {
      let c: number;
      if (!alpha) c = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element);
      else if (sortBy !== undefined)
        c = a.by === null || b.by === null ? (a.by === b.by ? 0 : a.by === null ? -1 : 1) : compareBytes(a.by, b.by);
      else c = compareBytes(a.element, b.element);
      return desc ? -c : c;
    };
    elements = items.sort(cmp).map((item) => item.element);
  } else if (desc && value !== undefined && typeOf(value) !== 'set') {
    elements.reverse(); // BY nosort DESC on a list or sorted set: from the tail, as Redis ranges them
  }
  const picked = end >= start ? elements.slice(start, end + 1) : [];
  const out: (string | null)[] = [];
  for (const element of picked) {
    if (gets.length === 0) out.push(element);
    else for (const pattern of gets) out.push(byPattern(ks, pattern, element));
  }
  if (store === undefined) return out;
  if (out.length === 0) {
    if (ks.remove(store)) ks.notify('del', store);
    return 0;
  }
  const list = new Deque();
  for (const v of out) list.pushBack(v ?? '');
  ks.set(store, list);
  ks.notify('sortstore', store);
  return out.length;
}

export const sortCommands: CommandDef[] = [
  { name: 'sort', arity: -2, handler: (ctx, args) => sortGeneric(ctx, args, false) },
  { name: 'sort_ro', arity: -2, handler: (ctx, args) => sortGeneric(ctx, args, true) },
];
