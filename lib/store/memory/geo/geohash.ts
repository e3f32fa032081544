/**
 * Redis 7.0's geohash (`geohash.c`, `geohash_helper.c`), operation for operation so scores, decoded
 * coordinates, distances and the cells a search visits are the same doubles Redis computes: a point is a
 * 52-bit integer (26 latitude bits in the even positions, 26 longitude bits in the odd ones) kept as a sorted
 * set score, latitudes limited to ±85.05112878 (Web Mercator).
 */

export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_STEP_MAX = 26;
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180;
const TWO_32 = 4294967296;

/** A geohash cell: `bits` holds `2·step` interleaved bits; `{0n, 0}` is Redis' "zero" (skipped) cell. */
export interface HashBits {
  bits: bigint;
  step: number;
}

export interface Range {
  min: number;
  max: number;
}

interface Area {
  longitude: Range;
  latitude: Range;
}

const WGS84: [Range, Range] = [
  { min: GEO_LONG_MIN, max: GEO_LONG_MAX },
  { min: GEO_LAT_MIN, max: GEO_LAT_MAX },
];

/** The 16 low bits of `x` spread to the even bit positions of a 32-bit word. */
function spread(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** The even bits of a 32-bit word packed into 16 bits (`spread`'s inverse). */
function compact(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** `interleave64(lat, lon)` as two 32-bit halves (latitude bits even, longitude bits odd). */
function interleave(lat: number, lon: number): [hi: number, lo: number] {
  const lo = (spread(lat) | (spread(lon) << 1)) >>> 0;
  const hi = (spread(lat >>> 16) | (spread(lon >>> 16) << 1)) >>> 0;
  return [hi, lo];
}

/** `geohashEncode`: the cell of `step` bits per axis holding the point, undefined outside the ranges. */
export function encode(
  longitude: number,
  latitude: number,
  step: number,
  [longRange, latRange]: [Range, Range] = WGS84,
): HashBits | undefined {
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) {
    return undefined;
  }
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) {
    return undefined;
  }
  const scale = 2 ** step;
  // C converts the offsets to uint32_t: truncation (they are in [0, 2^step]).
  const latOffset = Math.trunc(((latitude - latRange.min) / (latRange.max - latRange.min)) * scale);
  const longOffset = Math.trunc(((longitude - longRange.min) / (longRange.max - longRange.min)) * scale);
  const [hi, lo] = interleave(latOffset, longOffset);
  return { bits: (BigInt(hi) << 32n) | BigInt(lo), step };
}

/**
 * GEOADD's score: the 26-step hash aligned to 52 bits, as ZADD reads its decimal text (a point on the 180th
 * meridian or at the latitude limit sets a bit above the 52; such a score is rounded to a double, as one
 * correctly rounded addition rounds it here).
 */
export function scoreOf(longitude: number, latitude: number): number {
  const [longRange, latRange] = WGS84;
  const scale = 2 ** GEO_STEP_MAX;
  const latOffset = Math.trunc(((latitude - latRange.min) / (latRange.max - latRange.min)) * scale);
  const longOffset = Math.trunc(((longitude - longRange.min) / (longRange.max - longRange.min)) * scale);
  const [hi, lo] = interleave(latOffset, longOffset);
  return hi * TWO_32 + lo;
}

/** `(uint64_t)score` as x86-64 code compiled by GCC converts it, split in 32-bit halves. */
function scoreWords(score: number): [hi: number, lo: number] {
  if (score >= 0 && score < 2 ** 53 && Number.isInteger(score)) {
    const hi = Math.floor(score / TWO_32);
    return [hi, score - hi * TWO_32];
  }
  let v: bigint;
  if (score < 2 ** 63) {
    v = score > -(2 ** 63) ? BigInt.asUintN(64, BigInt(Math.trunc(score))) : 1n << 63n;
  } else {
    const rest = score - 2 ** 63;
    v = rest < 2 ** 63 ? BigInt(Math.trunc(rest)) + (1n << 63n) : 0n;
  }
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** `geohashDecode` of a cell given as its deinterleaved axis numbers. */
function cellArea(ilato: number, ilono: number, step: number): Area {
  const [longRange, latRange] = WGS84;
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const cells = 2 ** step;
  // `ilato + 1` is uint32_t arithmetic in C: it wraps to 0.
  const nextLat = (ilato + 1) >>> 0;
  const nextLon = (ilono + 1) >>> 0;
  return {
    latitude: {
      min: latRange.min + ((ilato * 1.0) / cells) * latScale,
      max: latRange.min + ((nextLat * 1.0) / cells) * latScale,
    },
    longitude: {
      min: longRange.min + ((ilono * 1.0) / cells) * longScale,
      max: longRange.min + ((nextLon * 1.0) / cells) * longScale,
    },
  };
}

function decodeWords(hi: number, lo: number, step: number): Area {
  const ilato = (compact(lo) | (compact(hi) << 16)) >>> 0;
  const ilono = (compact(lo >>> 1) | (compact(hi >>> 1) << 16)) >>> 0;
  return cellArea(ilato, ilono, step);
}

export function decodeCell(hash: HashBits): Area {
  return decodeWords(Number(hash.bits >> 32n), Number(hash.bits & 0xffffffffn), hash.step);
}

/** `decodeGeohash`: a sorted set score as [longitude, latitude], the middle of its 26-step cell. */
export function decodeScore(score: number): [number, number] {
  const [hi, lo] = scoreWords(score);
  const area = decodeWords(hi, lo, GEO_STEP_MAX);
  let x = (area.longitude.min + area.longitude.max) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (area.latitude.min + area.latitude.max) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character standard geohash (re-encoded over ±90° of latitude; the 11th character is `0`). */
export function standardGeohash(score: number): string {
  const [x, y] = decodeScore(score);
  const hash = encode(x, y, GEO_STEP_MAX, [
    { min: -180, max: 180 },
    { min: -90, max: 90 },
  ]);
  const bits = hash?.bits ?? 0n;
  let out = '';
  for (let i = 0; i < 11; i++) {
    out += GEOALPHABET[i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  }
  return out;
}

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

export function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/** `geohashGetDistance`: haversine on Redis' earth radius, in meters. */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** A search area (`GeoShape`): a circle of `radius` or a `width` × `height` box, in units of `conversion` m. */
export interface Shape {
  lon: number;
  lat: number;
  conversion: number;
  radius?: number;
  box?: { width: number; height: number };
}

/** `geoWithinShape` after decoding: the distance from the centre in meters, undefined when outside. */
export function distanceInShape(shape: Shape, x: number, y: number): number | undefined {
  if (shape.box === undefined) {
    const d = distance(shape.lon, shape.lat, x, y);
    return d > shape.radius! * shape.conversion ? undefined : d;
  }
  const widthM = shape.box.width * shape.conversion;
  const heightM = shape.box.height * shape.conversion;
  if (latDistance(y, shape.lat) > heightM / 2) return undefined;
  if (distance(x, y, shape.lon, y) > widthM / 2) return undefined;
  return distance(shape.lon, shape.lat, x, y);
}

/** `geohashEstimateStepsByRadius`. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** `geohashBoundingBox`: [min lon, min lat, max lon, max lat]. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const { lon, lat } = shape;
  const height = shape.conversion * (shape.box === undefined ? shape.radius! : shape.box.height / 2);
  const width = shape.conversion * (shape.box === undefined ? shape.radius! : shape.box.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  const southern = lat < 0;
  return [
    southern ? lon - longDeltaBottom : lon - longDeltaTop,
    lat - latDelta,
    southern ? lon + longDeltaBottom : lon + longDeltaTop,
    lat + latDelta,
  ];
}

const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

function moveX(hash: HashBits, d: number): HashBits {
  const shift = BigInt(64 - hash.step * 2);
  let x = hash.bits & ODD;
  const y = hash.bits & EVEN;
  const zz = EVEN >> shift;
  x = d > 0 ? x + (zz + 1n) : BigInt.asUintN(64, (x | zz) - (zz + 1n));
  x &= ODD >> shift;
  return { bits: x | y, step: hash.step };
}

function moveY(hash: HashBits, d: number): HashBits {
  const shift = BigInt(64 - hash.step * 2);
  const x = hash.bits & ODD;
  let y = hash.bits & EVEN;
  const zz = ODD >> shift;
  y = d > 0 ? y + (zz + 1n) : BigInt.asUintN(64, (y | zz) - (zz + 1n));
  y &= EVEN >> shift;
  return { bits: x | y, step: hash.step };
}

const ZERO: HashBits = { bits: 0n, step: 0 };

/**
 * `geohashCalculateAreasByShapeWGS84` + the order `membersOfAllNeighbors` visits them: the centre cell, then
 * north, south, east, west, north-east, north-west, south-east, south-west; a cell the shape cannot reach is
 * the zero cell (skipped).
 */
export function searchCells(shape: Shape): HashBits[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters =
    (shape.box === undefined
      ? shape.radius!
      : Math.sqrt((shape.box.width / 2) * (shape.box.width / 2) + (shape.box.height / 2) * (shape.box.height / 2))) *
    shape.conversion;
  let steps = estimateSteps(radiusMeters, shape.lat);
  let hash = encode(shape.lon, shape.lat, steps)!;
  let area = decodeCell(hash);
  const north = decodeCell(moveY(hash, 1));
  const south = decodeCell(moveY(hash, -1));
  const east = decodeCell(moveX(hash, 1));
  const west = decodeCell(moveX(hash, -1));
  const decrease =
    north.latitude.max < maxLat ||
    south.latitude.min > minLat ||
    east.longitude.max < maxLon ||
    west.longitude.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(shape.lon, shape.lat, steps)!;
    area = decodeCell(hash);
  }
  const n = moveY(hash, 1);
  const s = moveY(hash, -1);
  // [centre, north, south, east, west, north-east, north-west, south-east, south-west]
  const cells = [hash, n, s, moveX(hash, 1), moveX(hash, -1), moveX(n, 1), moveX(n, -1), moveX(s, 1), moveX(s, -1)];
  if (steps >= 2) {
    const drop = (...indexes: number[]): void => indexes.forEach((i) => (cells[i] = ZERO));
    if (area.latitude.min < minLat) drop(2, 8, 7);
    if (area.latitude.max > maxLat) drop(1, 5, 6);
    if (area.longitude.min < minLon) drop(4, 8, 6);
    if (area.longitude.max > maxLon) drop(3, 7, 5);
  }
  return cells;
}

/** `scoresOfGeoHashBox`: the scores [min, max) of the points inside a cell. */
export function cellScores(hash: HashBits): [number, number] {
  const shift = BigInt(52 - hash.step * 2);
  return [Number(hash.bits << shift), Number((hash.bits + 1n) << shift)];
}
