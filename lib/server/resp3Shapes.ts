import { DoubleReply, MapReply, SetReply, type Reply } from './replies.ts';

/**
 * The embedded store answers every command in RESP2 shapes (flat arrays, scores as strings). After `HELLO 3`
 * Redis 7 answers some commands in RESP3 shapes instead; this reshapes the store's reply for those, so a RESP3
 * client (node-redis 5 with `RESP: 3`) gets an object from HGETALL, a set from SMEMBERS and numbers for scores.
 * The raw proxy needs none of this: Redis itself answers a connection that said `HELLO 3`.
 */

const SETS = new Set(['SMEMBERS', 'SINTER', 'SUNION', 'SDIFF']);
const WITH_SCORES = new Set(['ZRANGE', 'ZREVRANGE', 'ZRANGEBYSCORE', 'ZREVRANGEBYSCORE', 'ZUNION', 'ZINTER', 'ZDIFF']);

/** Redis' double text: `inf`, `-inf`, `nan` as RESP3 spells them, other scores as the store wrote them. */
function double(value: Reply): Reply {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  const text = String(value).toLowerCase();
  return new DoubleReply(text === 'infinity' ? 'inf' : text === '-infinity' ? '-inf' : text);
}

/** `[m1, s1, m2, s2]` as RESP3's `[[m1, s1], [m2, s2]]` with double scores. */
function scoredPairs(flat: readonly Reply[]): Reply[] {
  const pairs: Reply[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, double(flat[i + 1]!)]);
  return pairs;
}

/**
 * `reply` (the store's answer to `upper args…`) in the shape Redis 7 gives a RESP3 client; other replies as
 * they are.
 *
 * @example
 * resp3Shape('HGETALL', ['h'], ['name', 'Rick']) // MapReply [['name', 'Rick']]
 */
export function resp3Shape(upper: string, args: readonly string[], reply: Reply): Reply {
  if (Array.isArray(reply)) {
    const items = reply as readonly Reply[];
    if (upper === 'HGETALL') {
      const entries: (readonly [Reply, Reply])[] = [];
      for (let i = 0; i + 1 < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
      return new MapReply(entries);
    }
    if (SETS.has(upper)) return new SetReply(items);
    if (upper === 'ZMSCORE') return items.map((item) => (item === null ? null : double(item)));
    if (WITH_SCORES.has(upper) && args.some((a) => a.toUpperCase() === 'WITHSCORES')) return scoredPairs(items);
    if (upper === 'ZRANDMEMBER' && args.some((a) => a.toUpperCase() === 'WITHSCORES')) return scoredPairs(items);
    // ZPOPMIN/MAX: one [member, score] without a count, pairs with one; BZPOPMIN/MAX: [key, member, score].
    if (upper === 'ZPOPMIN' || upper === 'ZPOPMAX') {
      return args.length > 1 ? scoredPairs(items) : items.length === 2 ? [items[0]!, double(items[1]!)] : reply;
    }
    if ((upper === 'BZPOPMIN' || upper === 'BZPOPMAX') && items.length === 3)
      return [items[0]!, items[1]!, double(items[2]!)];
    // ZMPOP/BZMPOP: [key, [[member, score], …]], the pairs already nested; only the scores become doubles.
    if ((upper === 'ZMPOP' || upper === 'BZMPOP') && items.length === 2 && Array.isArray(items[1])) {
      const pairs = (items[1] as readonly Reply[]).map((pair) =>
        Array.isArray(pair) && pair.length === 2 ? [pair[0]!, double(pair[1]!)] : pair,
      );
      return [items[0]!, pairs];
    }
    return reply;
  }
  if ((upper === 'ZSCORE' || upper === 'ZINCRBY') && (typeof reply === 'string' || typeof reply === 'number'))
    return double(reply);
  // ZADD … INCR answers the new score (a double in RESP3), or nil when NX/XX/GT/LT stopped it.
  if (upper === 'ZADD' && typeof reply === 'string' && args.some((a) => a.toUpperCase() === 'INCR'))
    return double(reply);
  return reply;
}
