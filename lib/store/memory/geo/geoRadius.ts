/**
 * GEORADIUS, GEORADIUSBYMEMBER (and their `_RO` forms), GEOSEARCH and GEOSEARCHSTORE: Redis 7.0's
 * `georadiusGeneric`, with its argument checks in the same order, so the same call gets the same error.
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { formatCoord, formatDistance, lonLatArg, sizeArg, unitArg, upper } from './geoArgs.ts';
import { decodeScore, type Shape } from './geohash.ts';
import { pointsInShape, sortPoints, type GeoPoint } from './geoSearch.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg } from '../numbers.ts';
import { syntaxError } from '../replies.ts';
import { SortedSet } from '../zsets/SortedSet.ts';
import type { CommandContext, CommandDef } from '../types.ts';
import { readZSet } from '../zsets/zsets.ts';

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

/** `extractDistanceOrReply`: `<radius> <unit>`. */
function radiusArgs(shape: Shape, radiusText: string, unitText: string): void {
  const radius = sizeArg(radiusText, 'radius');
  if (radius < 0) throw new RedisReplyError('ERR radius cannot be negative');
  shape.conversion = unitArg(unitText);
  shape.radius = radius;
  delete shape.box;
}

/** `extractBoxOrReply`: `<width> <height> <unit>`. */
function boxArgs(shape: Shape, widthText: string, heightText: string, unitText: string): void {
  const width = sizeArg(widthText, 'width');
  const height = sizeArg(heightText, 'height');
  if (height < 0 || width < 0) throw new RedisReplyError('ERR height or width cannot be negative');
  shape.conversion = unitArg(unitText);
  shape.box = { width, height };
  delete shape.radius;
}

function memberPosition(zset: SortedSet, member: string): [number, number] {
  const score = zset.score(member);
  if (score === undefined) throw new RedisReplyError('ERR could not decode requested zset member');
  return decodeScore(score);
}

interface Options {
  withDist: boolean;
  withHash: boolean;
  withCoord: boolean;
  sort: 'none' | 'asc' | 'desc';
  any: boolean;
  count: number;
  storeKey: string | undefined;
  storeDist: boolean;
}

function georadius(flags: number) {
  return (ctx: CommandContext, args: string[]): RedisReply => {
    const { ks } = ctx;
    const name = ctx.command ?? 'georadius';
    const zset = readZSet(ks, args[flags & GEOSEARCHSTORE ? 1 : 0]!);
    const shape: Shape = { lon: 0, lat: 0, conversion: 0 };
    const o: Options = {
      withDist: false,
      withHash: false,
      withCoord: false,
      sort: 'none',
      any: false,
      count: 0,
      storeKey: undefined,
      storeDist: false,
    };
    // `base`: where the options start in `args` (which leave the command name out).
    let base: number;
    if (flags & RADIUS_COORDS) {
      base = 5;
      [shape.lon, shape.lat] = lonLatArg(args[1]!, args[2]!);
      radiusArgs(shape, args[3]!, args[4]!);
    } else if (flags & RADIUS_MEMBER) {
      base = 4;
      // Without the key Redis still parses the options, to know which empty reply to give.
      if (zset !== undefined) {
        [shape.lon, shape.lat] = memberPosition(zset, args[1]!);
        radiusArgs(shape, args[2]!, args[3]!);
      }
    } else {
      base = flags & GEOSEARCHSTORE ? 2 : 1;
      if (flags & GEOSEARCHSTORE) o.storeKey = args[0]!;
    }
    let fromMember = false;
    let fromLonLat = false;
    let byRadius = false;
    let byBox = false;
    const remaining = args.length - base;
    const search = (flags & GEOSEARCH) !== 0;
    const radiusStore = (flags & RADIUS_NOSTORE) === 0 && !search;
    for (let i = 0; i < remaining; i++) {
      const arg = upper(args[base + i]!);
      const next = (k: number): string => args[base + i + k]!;
      if (arg === 'WITHDIST') o.withDist = true;
      else if (arg === 'WITHHASH') o.withHash = true;
      else if (arg === 'WITHCOORD') o.withCoord = true;
      else if (arg === 'ANY') o.any = true;
      else if (arg === 'ASC') o.sort = 'asc';
      else if (arg === 'DESC') o.sort = 'desc';
      else if (arg === 'COUNT' && i + 1 < remaining) {
        o.count = intArg(next(1));
        if (o.count <= 0) throw new RedisReplyError('ERR COUNT must be > 0');
        i++;
      } else if ((arg === 'STORE' || arg === 'STOREDIST') && i + 1 < remaining && radiusStore) {
        o.storeKey = next(1);
        o.storeDist = arg === 'STOREDIST';
        i++;
      } else if (arg === 'STOREDIST' && flags & GEOSEARCHSTORE) {
        o.storeDist = true;
      } else if (arg === 'FROMMEMBER' && i + 1 < remaining && search && !fromLonLat) {
        if (zset !== undefined) [shape.lon, shape.lat] = memberPosition(zset, next(1));
        fromMember = true;
        i++;
      } else if (arg === 'FROMLONLAT' && i + 2 < remaining && search && !fromMember) {
        [shape.lon, shape.lat] = lonLatArg(next(1), next(2));
        fromLonLat = true;
        i += 2;
      } else if (arg === 'BYRADIUS' && i + 2 < remaining && search && !byBox) {
        radiusArgs(shape, next(1), next(2));
        byRadius = true;
        i += 2;
      } else if (arg === 'BYBOX' && i + 3 < remaining && search && !byRadius) {
        boxArgs(shape, next(1), next(2), next(3));
        byBox = true;
        i += 3;
      } else {
        throw syntaxError();
      }
    }
    if (o.storeKey !== undefined && (o.withDist || o.withHash || o.withCoord)) {
      const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
      throw new RedisReplyError(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    }
    if (search && !(fromMember || fromLonLat)) {
      throw new RedisReplyError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
    }
    if (search && !(byRadius || byBox)) {
      throw new RedisReplyError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
    }
    if (o.any && o.count === 0) throw new RedisReplyError('ERR the ANY argument requires COUNT argument');
    if (zset === undefined) {
      if (o.storeKey === undefined) return [];
      deleteStore(ks, o.storeKey);
      return 0;
    }
    // COUNT without an order means the nearest ones (except with ANY).
    if (o.count !== 0 && o.sort === 'none' && !o.any) o.sort = 'asc';
    const points = pointsInShape(zset, shape, o.any ? o.count : 0);
    if (points.length === 0 && o.storeKey === undefined) return [];
    const returned = o.count === 0 || points.length < o.count ? points.length : o.count;
    if (o.sort !== 'none') sortPoints(points, o.sort === 'desc', returned);
    const chosen = points.slice(0, returned);
    if (o.storeKey === undefined) return reply(chosen, shape.conversion, o);
    return store(ks, o.storeKey, chosen, shape.conversion, o.storeDist, search ? 'geosearchstore' : 'georadiusstore');
  };
}

function reply(points: GeoPoint[], conversion: number, o: Options): RedisReply {
  const plain = !o.withDist && !o.withHash && !o.withCoord;
  return points.map((p) => {
    if (plain) return p.member;
    const item: RedisReply[] = [p.member];
    if (o.withDist) item.push(formatDistance(p.dist / conversion));
    if (o.withHash) item.push(p.score);
    if (o.withCoord) item.push([formatCoord(p.lon), formatCoord(p.lat)]);
    return item;
  });
}

function deleteStore(ks: Keyspace, key: string): void {
  if (ks.lookup(key) === undefined) return;
  ks.remove(key);
  ks.notify('del', key);
}

function store(
  ks: Keyspace,
  key: string,
  points: GeoPoint[],
  conversion: number,
  storeDist: boolean,
  event: string,
): RedisReply {
  if (points.length === 0) {
    deleteStore(ks, key);
    return 0;
  }
  const zset = new SortedSet();
  for (const p of points) zset.set(p.member, storeDist ? p.dist / conversion : p.score);
  ks.set(key, zset);
  ks.notify(event, key);
  return points.length;
}

export const georadiusCommands: CommandDef[] = [
  { name: 'georadius', arity: -6, handler: georadius(RADIUS_COORDS) },
  { name: 'georadius_ro', arity: -6, handler: georadius(RADIUS_COORDS | RADIUS_NOSTORE) },
  { name: 'georadiusbymember', arity: -5, handler: georadius(RADIUS_MEMBER) },
  { name: 'georadiusbymember_ro', arity: -5, handler: georadius(RADIUS_MEMBER | RADIUS_NOSTORE) },
  { name: 'geosearch', arity: -7, handler: georadius(GEOSEARCH) },
  { name: 'geosearchstore', arity: -8, handler: georadius(GEOSEARCH | GEOSEARCHSTORE) },
];
