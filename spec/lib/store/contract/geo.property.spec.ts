import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryStore } from '../../../../lib/store/memory/index.ts';
import { deletePrefix, runStep, uniquePrefix, type Caller } from './runner.ts';
import { contractRuns } from './randomCommands.ts';
import type { Step } from './scripts/types.ts';

// Random points around a random centre (on the 180th meridian, near the poles, anywhere) and random searches
// among them: which members Redis' cell search finds at the edges, their order, distances, hashes and
// coordinates must be the embedded store's too.

const UNITS = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 } as const;
type Unit = keyof typeof UNITS;

const coordinate = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.double({ min, max, noNaN: true }), fc.constantFrom(min, max, 0, (min + max) / 2));

const centre = fc.record({
  lon: fc.oneof(coordinate(-180, 180), fc.constantFrom(179.99, -179.99, 13.36)),
  lat: fc.oneof(coordinate(-85, 85), fc.constantFrom(84.9, -84.9, 66.5, -80.5)),
  spread: fc.constantFrom(0.0001, 0.01, 1, 10, 90),
});

/** A point at (dx, dy) · spread from the centre, wrapped across ±180° and kept inside the latitude limits. */
function place(c: { lon: number; lat: number; spread: number }, dx: number, dy: number): [string, string] {
  let lon = c.lon + dx * c.spread;
  if (lon > 180) lon -= 360;
  if (lon < -180) lon += 360;
  const lat = Math.max(-85.05, Math.min(85.05, c.lat + (dy * c.spread) / 2));
  return [String(lon), String(lat)];
}

const offset = fc.double({ min: -1, max: 1, noNaN: true });
const distance = fc
  .constantFrom(0, 0.001, 0.1, 1, 10, 100, 1000, 5000, 20000)
  .chain((km) =>
    fc
      .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom<Unit>('m', 'km', 'mi', 'ft'))
      .map(([f, unit]) => [String((km * 1000 * f) / UNITS[unit]), unit] as const),
  );
const options = fc
  .record({
    withDist: fc.boolean(),
    withCoord: fc.boolean(),
    withHash: fc.boolean(),
    order: fc.constantFrom([], ['ASC'], ['DESC']),
    count: fc.option(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.boolean()), { nil: undefined }),
  })
  .map((o) => [
    ...(o.withDist ? ['WITHDIST'] : []),
    ...(o.withCoord ? ['WITHCOORD'] : []),
    ...(o.withHash ? ['WITHHASH'] : []),
    ...o.order,
    ...(o.count === undefined ? [] : ['COUNT', String(o.count[0]), ...(o.count[1] ? ['ANY'] : [])]),
  ]);

/** STOREDIST's full-precision distances: glibc's and V8's sin/cos/asin may differ in the last bit. */
const roundScores = (r: unknown): unknown =>
  Array.isArray(r) ? r.map((v, i) => (i % 2 === 1 ? Number(Number(v).toPrecision(12)) : v)) : r;

const query = (c: { lon: number; lat: number; spread: number }, members: number): fc.Arbitrary<Step[]> =>
  fc
    .tuple(
      fc.constantFrom('GEORADIUS', 'GEOSEARCH BYRADIUS', 'GEOSEARCH BYBOX', 'GEORADIUSBYMEMBER', 'GEOSEARCHSTORE'),
      offset,
      offset,
      distance,
      distance,
      options,
      fc.nat(members - 1),
    )
    .map(([kind, dx, dy, [r, unit], [h], opts, member]) => {
      const [lon, lat] = place(c, dx / 2, dy / 2);
      switch (kind) {
        case 'GEORADIUS':
          return [{ cmd: ['GEORADIUS', '{p}g', lon, lat, r, unit, ...opts] }];
        case 'GEOSEARCH BYRADIUS':
          return [{ cmd: ['GEOSEARCH', '{p}g', 'FROMLONLAT', lon, lat, 'BYRADIUS', r, unit, ...opts] }];
        case 'GEOSEARCH BYBOX':
          return [{ cmd: ['GEOSEARCH', '{p}g', 'FROMLONLAT', lon, lat, 'BYBOX', r, h, unit, ...opts] }];
        case 'GEORADIUSBYMEMBER':
          return [{ cmd: ['GEORADIUSBYMEMBER', '{p}g', `m${member}`, r, unit, ...opts] }];
        default: {
          const store = opts.filter((o) => !o.startsWith('WITH'));
          return [
            { cmd: ['GEOSEARCHSTORE', '{p}d', '{p}g', 'FROMMEMBER', `m${member}`, 'BYBOX', r, h, unit, ...store] },
            { cmd: ['ZRANGE', '{p}d', '0', '-1', 'WITHSCORES'] },
            { cmd: ['GEOSEARCHSTORE', '{p}d', '{p}g', 'FROMLONLAT', lon, lat, 'BYRADIUS', r, unit, 'STOREDIST'] },
            { cmd: ['ZRANGE', '{p}d', '0', '-1', 'WITHSCORES'], norm: roundScores },
          ];
        }
      }
    });

const scenario: fc.Arbitrary<Step[]> = centre.chain((c) =>
  fc.array(fc.tuple(offset, offset, fc.boolean()), { minLength: 1, maxLength: 120 }).chain((points) => {
    const args: string[] = [];
    points.forEach(([dx, dy, again], i) => {
      // Now and then a member at the very position of the previous one: equal distances.
      const [lon, lat] = again && i > 0 ? [args[args.length - 3]!, args[args.length - 2]!] : place(c, dx, dy);
      args.push(lon, lat, `m${i}`);
    });
    return fc
      .array(query(c, points.length), { minLength: 1, maxLength: 12 })
      .map((queries) => [
        { cmd: ['GEOADD', '{p}g', ...args] },
        ...queries.flat(),
        { cmd: ['GEOPOS', '{p}g', 'm0', `m${points.length - 1}`] },
        { cmd: ['GEOHASH', '{p}g', 'm0', `m${points.length - 1}`] },
        { cmd: ['GEODIST', '{p}g', 'm0', `m${points.length - 1}`, 'km'] },
      ]);
  }),
);

describe('the memory store answers random GEO searches like Redis', () => {
  let oracle: Redis;
  const store = new MemoryStore({ activeExpireInterval: 0 });
  const redisCall: Caller = (command, ...args) => oracle.call(command, ...args);
  const storeCall: Caller = (command, ...args) => store.call(command, ...args);

  beforeAll(() => {
    oracle = new Redis(inject('redisUrl'), { db: 8 });
  });

  afterAll(async () => {
    await store.close();
    oracle.disconnect();
  });

  it('finds the same members, in the same order, with the same distances, hashes and coordinates', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (steps) => {
        const prefix = uniquePrefix('geo-random');
        try {
          const redis = [];
          const ours = [];
          for (const s of steps) {
            redis.push(await runStep(redisCall, s, prefix));
            ours.push(await runStep(storeCall, s, prefix));
          }
          expect(ours).toEqual(redis);
        } finally {
          await deletePrefix(redisCall, prefix);
          await deletePrefix(storeCall, prefix);
        }
      }),
      { numRuns: contractRuns },
    );
  });
});
