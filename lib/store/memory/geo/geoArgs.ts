/** The GEO commands' argument parsers and reply formats, with Redis 7.0's error texts (`geo.c`). */
import { RedisReplyError } from '../../../errors.ts';
import { GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN } from './geohash.ts';
import { formatFixed, formatLongDouble, longDoubleOf } from '../longDouble.ts';
import { doubleArg, toDouble } from '../numbers.ts';

/** ASCII-only upper case, as `strcasecmp` compares option names. */
export function upper(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** `extractLongLatOrReply`: two doubles within Web Mercator's limits. */
export function lonLatArg(lonText: string, latText: string): [number, number] {
  const lon = doubleArg(lonText);
  const lat = doubleArg(latText);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new RedisReplyError(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
  }
  return [lon, lat];
}

/** `extractUnitOrReply`: meters per unit. */
export function unitArg(text: string): number {
  const unit = /^(?:m|km|ft|mi)$/i.test(text) ? text.toLowerCase() : '';
  if (unit === 'm') return 1;
  if (unit === 'km') return 1000;
  if (unit === 'ft') return 0.3048;
  if (unit === 'mi') return 1609.34;
  throw new RedisReplyError('ERR unsupported unit provided. please use M, KM, FT, MI');
}

/** A non-negative double argument, or Redis' `ERR need numeric <what>`. */
export function sizeArg(text: string, what: string): number {
  const value = toDouble(text);
  if (value === undefined) throw new RedisReplyError(`ERR need numeric ${what}`);
  return value;
}

/** `addReplyDoubleDistance`: `fixedpoint_d2string(d, 4)`, `llrint` rounding half to even. */
export function formatDistance(d: number): string {
  if (d === 0) return '0.0000';
  const x = d * 10000;
  let value = Math.floor(x);
  const frac = x - value;
  if (frac > 0.5 || (frac === 0.5 && value % 2 !== 0)) value += 1;
  const sign = value < 0 ? '-' : '';
  const digits = String(Math.abs(value)).padStart(5, '0');
  return `${sign}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

/** `addReplyHumanLongDouble` in RESP2: `%.17Lf` of the coordinate, trailing zeros dropped. */
export function formatCoord(d: number): string {
  return formatLongDouble(longDoubleOf(d));
}
