/**
 * The GEO commands of Redis 7.0 (`geo.c`): points are sorted set members whose score is their 52-bit geohash,
 * so ZSCORE, ZRANGE and the rest see what Redis' would. GEOADD, GEOPOS, GEODIST and GEOHASH are here; the
 * searches (GEORADIUS, GEOSEARCH and their forms) in `geoRadius.ts`.
 */
import type { RedisReply } from '../../ShardStore.ts';
import { formatCoord, formatDistance, lonLatArg, unitArg, upper } from './geoArgs.ts';
import { decodeScore, distance, scoreOf, standardGeohash } from './geohash.ts';
import { syntaxError } from '../replies.ts';
import { georadiusCommands } from './geoRadius.ts';
import type { CommandContext, CommandDef } from '../types.ts';
import { readZSet, zaddParsed } from '../zsets/zsets.ts';

/** GEOADD key [NX|XX] [CH] lon lat member …: ZADD with the points' geohashes as scores. */
function geoadd({ ks }: CommandContext, args: string[]): RedisReply {
  let nx = false;
  let xx = false;
  let ch = false;
  let i = 1;
  for (; i < args.length; i++) {
    const opt = upper(args[i]!);
    if (opt === 'NX') nx = true;
    else if (opt === 'XX') xx = true;
    else if (opt === 'CH') ch = true;
    else break;
  }
  // No point at all (`GEOADD k CH CH CH`) is ZADD's syntax error.
  if ((args.length - i) % 3 !== 0 || (nx && xx) || i === args.length) throw syntaxError();
  const scores: number[] = [];
  const members: string[] = [];
  for (let j = i; j < args.length; j += 3) {
    const [lon, lat] = lonLatArg(args[j]!, args[j + 1]!);
    scores.push(scoreOf(lon, lat));
    members.push(args[j + 2]!);
  }
  return zaddParsed(ks, args[0]!, { nx, xx, ch, gt: false, lt: false, incr: false }, scores, members);
}

export const geoCommands: CommandDef[] = [
  { name: 'geoadd', arity: -5, handler: geoadd },
  {
    name: 'geopos',
    arity: -2,
    handler: ({ ks }, args) => {
      const zset = readZSet(ks, args[0]!);
      return args.slice(1).map((member) => {
        const score = zset?.score(member);
        if (score === undefined) return null;
        const [lon, lat] = decodeScore(score);
        return [formatCoord(lon), formatCoord(lat)];
      });
    },
  },
  {
    name: 'geodist',
    arity: -4,
    handler: ({ ks }, args) => {
      let toMeter = 1;
      if (args.length === 4) toMeter = unitArg(args[3]!);
      else if (args.length > 4) throw syntaxError();
      const zset = readZSet(ks, args[0]!);
      const score1 = zset?.score(args[1]!);
      const score2 = zset?.score(args[2]!);
      if (score1 === undefined || score2 === undefined) return null;
      const [lon1, lat1] = decodeScore(score1);
      const [lon2, lat2] = decodeScore(score2);
      return formatDistance(distance(lon1, lat1, lon2, lat2) / toMeter);
    },
  },
  {
    name: 'geohash',
    arity: -2,
    handler: ({ ks }, args) => {
      const zset = readZSet(ks, args[0]!);
      return args.slice(1).map((member) => {
        const score = zset?.score(member);
        return score === undefined ? null : standardGeohash(score);
      });
    },
  },
  ...georadiusCommands,
];
