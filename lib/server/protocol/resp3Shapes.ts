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

/** `[k1, v1, k2, v2]` as a RESP3 map, each value through `value`. */
function flatMap(items: readonly Reply[], value: (key: Reply, item: Reply) => Reply = (_, item) => item): MapReply {
  const entries: (readonly [Reply, Reply])[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) entries.push([items[i]!, value(items[i]!, items[i + 1]!)]);
  return new MapReply(entries);
}

/** `[f1, v1, f2, v2]` as `[[f1, v1], [f2, v2]]` (HRANDFIELD … WITHVALUES). */
function pairs(flat: readonly Reply[]): Reply[] {
  const out: Reply[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** Each flat `[k1, v1, …]` of an array as a map (XINFO GROUPS / CONSUMERS, the groups of XINFO STREAM FULL). */
function maps(items: Reply): Reply {
  return Array.isArray(items) ? (items as readonly Reply[]).map((item) => (Array.isArray(item) ? flatMap(item) : item)) : items;
}

/** XINFO STREAM's map; with FULL, its groups and their consumers are maps too (their PELs stay arrays). */
function streamInfo(items: readonly Reply[], full: boolean): MapReply {
  if (!full) return flatMap(items);
  return flatMap(items, (key, value) => {
    if (key !== 'groups' || !Array.isArray(value)) return value;
    return (value as readonly Reply[]).map((group) =>
      Array.isArray(group) ? flatMap(group, (k, v) => (k === 'consumers' ? maps(v) : v)) : group,
    );
  });
}

const has = (args: readonly string[], word: string): boolean => args.some((a) => a.toUpperCase() === word);

/** Searches whose WITHCOORD entries end in `[longitude, latitude]`. */
const GEO_SEARCHES = new Set(['GEORADIUS', 'GEORADIUS_RO', 'GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO', 'GEOSEARCH']);

/** `[longitude, latitude]` as doubles (Redis' `addReplyHumanLongDouble`); a missing member's null array as is. */
function coordinates(position: Reply): Reply {
  return Array.isArray(position) ? (position as readonly Reply[]).map(double) : position;
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
    if (upper === 'HGETALL') return flatMap(items);
    if (SETS.has(upper) || (upper === 'SPOP' && args.length > 1)) return new SetReply(items);
    if (upper === 'HRANDFIELD' && has(args, 'WITHVALUES')) return pairs(items);
    // XREAD / XREADGROUP: `[[key, entries], …]` as a map of key → entries.
    if (upper === 'XREAD' || upper === 'XREADGROUP') {
      return new MapReply(
        items.map((item): readonly [Reply, Reply] =>
          Array.isArray(item) && item.length === 2 ? [item[0] as Reply, item[1] as Reply] : [item, null],
        ),
      );
    }
    if (upper === 'XINFO') {
      const sub = (args[0] ?? '').toUpperCase();
      if (sub === 'GROUPS' || sub === 'CONSUMERS') return maps(items);
      if (sub === 'STREAM') return streamInfo(items, has(args, 'FULL'));
    }
    if ((upper === 'LCS' && has(args, 'IDX')) || (upper === 'CONFIG' && (args[0] ?? '').toUpperCase() === 'GET'))
      return flatMap(items);
    if (upper === 'ZMSCORE') return items.map((item) => (item === null ? null : double(item)));
    // Coordinates are doubles in RESP3; distances stay bulk strings (`addReplyDoubleDistance`), hashes integers.
    if (upper === 'GEOPOS') return items.map(coordinates);
    if (GEO_SEARCHES.has(upper) && has(args, 'WITHCOORD')) {
      return items.map((item) => {
        if (!Array.isArray(item) || item.length === 0) return item;
        const entry = item as readonly Reply[];
        return [...entry.slice(0, -1), coordinates(entry[entry.length - 1]!)];
      });
    }
    if ((WITH_SCORES.has(upper) || upper === 'ZRANDMEMBER') && has(args, 'WITHSCORES')) return scoredPairs(items);
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
  if (upper === 'ZADD' && typeof reply === 'string' && has(args, 'INCR'))
    return double(reply);
  return reply;
}
