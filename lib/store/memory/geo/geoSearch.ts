/**
 * The search behind GEORADIUS and GEOSEARCH, as Redis 7.0's `geo.c` runs it: the sorted set's score ranges of
 * the centre cell and its eight neighbours, in that order, keeping the points inside the shape; then Redis'
 * sort — glibc's (stable) `qsort` for all results, the partial quicksort `pqsort` when COUNT keeps fewer — so
 * equal distances come out in the same order as from Redis.
 */
import { cellScores, decodeScore, distanceInShape, searchCells, type Shape } from './geohash.ts';
import type { SortedSet } from '../zsets/SortedSet.ts';

export interface GeoPoint {
  member: string;
  score: number;
  lon: number;
  lat: number;
  /** From the centre, in meters. */
  dist: number;
}

/** `membersOfAllNeighbors`: the points inside `shape`, stopping once `limit` are found (0: no limit). */
export function pointsInShape(zset: SortedSet, shape: Shape, limit: number): GeoPoint[] {
  const found: GeoPoint[] = [];
  const cells = searchCells(shape);
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (cell.bits === 0n && cell.step === 0) continue;
    // Huge radii make neighbours repeat: Redis skips a cell equal to the last one searched (never the centre,
    // whose index 0 reads as "none searched yet").
    const last = cells[lastProcessed]!;
    if (lastProcessed !== 0 && cell.bits === last.bits && cell.step === last.step) continue;
    if (found.length !== 0 && limit !== 0 && found.length >= limit) break;
    pointsInCell(zset, cellScores(cell), shape, found, limit);
    lastProcessed = i;
  }
  return found;
}

/** `geoGetPointsInRange`: min ≤ score < max, in the sorted set's order. */
function pointsInCell(
  zset: SortedSet,
  [min, max]: [number, number],
  shape: Shape,
  found: GeoPoint[],
  limit: number,
): void {
  const from = zset.countBelow(min, false);
  const to = zset.countBelow(max, false);
  if (from >= to) return;
  for (const { member, score } of zset.range(from, to - 1)) {
    const [lon, lat] = decodeScore(score);
    const dist = distanceInShape(shape, lon, lat);
    if (dist !== undefined) found.push({ member, score, lon, lat, dist });
    if (found.length !== 0 && limit !== 0 && found.length >= limit) break;
  }
}

type Compare = (a: GeoPoint, b: GeoPoint) => number;

const ascending: Compare = (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const descending: Compare = (a, b) => -ascending(a, b);

/** Sorts `points` by distance as Redis does when `returned` of them are replied. */
export function sortPoints(points: GeoPoint[], desc: boolean, returned: number): void {
  const cmp = desc ? descending : ascending;
  if (returned === points.length) points.sort(cmp);
  else pqsort(points, cmp, 0, returned - 1);
}

/**
 * Redis' `pqsort.c` (Bentley & McIlroy's quicksort from NetBSD, recursing only into partitions that overlap
 * positions lrange..rrange), on array positions instead of bytes.
 */
function pqsort(a: GeoPoint[], cmp: Compare, lrange: number, rrange: number): void {
  const swap = (i: number, j: number): void => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number): void => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (i: number, j: number, k: number): number =>
    cmp(a[i]!, a[j]!) < 0
      ? cmp(a[j]!, a[k]!) < 0
        ? j
        : cmp(a[i]!, a[k]!) < 0
          ? k
          : i
      : cmp(a[j]!, a[k]!) > 0
        ? j
        : cmp(a[i]!, a[k]!) < 0
          ? i
          : k;
  // Whether positions [start, start + n) overlap the wanted range.
  const wanted = (start: number, n: number): boolean =>
    !((lrange < start && rrange < start) || (lrange >= start + n && rrange >= start + n));

  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let pm = base + 1; pm < base + n; pm++) {
          for (let pl = pm; pl > base && cmp(a[pl - 1]!, a[pl]!) > 0; pl--) swap(pl, pl - 1);
        }
        return;
      }
      let pm = base + Math.floor(n / 2);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1;
      let pb = pa;
      let pc = base + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(a[pb]!, a[base]!)) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = cmp(a[pc]!, a[base]!)) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const pn = base + n;
      let r = Math.min(pa - base, pb - pa);
      vecswap(base, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && wanted(base, r)) sort(base, r);
      r = pd - pc;
      if (r <= 1) return;
      base = pn - r;
      n = r;
      if (!wanted(base, n)) return;
    }
  };
  sort(0, a.length);
}
