/**
 * Number parsing and formatting exactly as Redis 7.0 does it, so replies and errors match byte for byte:
 * `string2ll` (strict integers), `string2d` (strict doubles), plain `strtod` (score ranges), and `%.17g`
 * (how 7.0 prints doubles in replies: `ZSCORE` of 1.1 is `1.1000000000000001`).
 */
import { RedisReplyError } from '../../errors.ts';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER } from './replies.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const STRICT_INT = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * Redis' `string2ll`: an optional `-`, no `+`, no leading zeros, no spaces, within int64. Returns the value as a
 * number (exact up to 2^53) or `undefined` when Redis would refuse it.
 */
export function toInt64(s: string): number | undefined {
  if (s.length === 0 || s.length > 20 || !STRICT_INT.test(s)) return undefined;
  if (s.length < 16) return Number(s);
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  return Number(big);
}

/** Like {@link toInt64} but exact, for arithmetic near the int64 limits. */
export function toBigInt64(s: string): bigint | undefined {
  if (s.length === 0 || s.length > 20 || !STRICT_INT.test(s)) return undefined;
  const big = BigInt(s);
  return big < INT64_MIN || big > INT64_MAX ? undefined : big;
}

/** `getLongLongFromObjectOrReply`: an int64 argument or `ERR value is not an integer or out of range`. */
export function intArg(s: string): number {
  const v = toInt64(s);
  if (v === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return v;
}

/** An int64 result as a reply: a number while exact, a `bigint` beyond 2^53. */
export function integerReply(v: number | bigint): number | bigint {
  if (typeof v === 'number') return v;
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function isInt64Range(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;
const NAN = /^[+-]?nan(?:\([0-9a-zA-Z_]*\))?$/i;

/**
 * The longest-prefix-free core of C `strtod` for a whole string (no leading or trailing junk): returns the
 * value, `NaN` when the text is not a number, with `overflow`/`underflow` flags C reports through `ERANGE`.
 */
function strtodWhole(s: string): { value: number; erange: boolean } {
  if (DECIMAL.test(s)) {
    const value = Number(s);
    if (Number.isFinite(value) && value !== 0) return { value, erange: Math.abs(value) < 2.2250738585072014e-308 };
    const mantissaNonZero = /[1-9]/.test(s.split(/[eE]/)[0] ?? '');
    return { value, erange: !Number.isFinite(value) || mantissaNonZero };
  }
  const inf = INFINITY.exec(s);
  if (inf) return { value: inf[1] === '-' ? -Infinity : Infinity, erange: false };
  if (NAN.test(s)) return { value: NaN, erange: false };
  const hex = HEX.exec(s);
  if (hex && ((hex[2] ?? '') !== '' || (hex[3] ?? '') !== '')) {
    const digits = (hex[2] ?? '') + (hex[3] ?? '');
    let value = 0;
    for (const d of digits) value = value * 16 + parseInt(d, 16);
    const exp = Number(hex[4] ?? '0') - 4 * (hex[3] ?? '').length;
    value = value * 2 ** exp;
    if (hex[1] === '-') value = -value;
    const erange = !Number.isFinite(value) || (value === 0 && /[1-9a-fA-F]/.test(digits));
    return { value, erange };
  }
  return { value: NaN, erange: false };
}

/**
 * Redis' `string2d` (ZADD scores, increments): the whole string must be a double, no leading space, no NaN, and
 * no overflow or underflow to zero. Returns `undefined` when Redis would refuse it.
 */
export function toDouble(s: string): number | undefined {
  if (s.length === 0 || /^\s/.test(s)) return undefined;
  const { value, erange } = strtodWhole(s);
  if (Number.isNaN(value)) return undefined;
  if (erange && (!Number.isFinite(value) || value === 0)) return undefined;
  return value;
}

/** `getDoubleFromObjectOrReply`: a double argument or `ERR value is not a valid float`. */
export function doubleArg(s: string): number {
  const v = toDouble(s);
  if (v === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
  return v;
}

/**
 * Plain `strtod` with the check `eptr[0] == '\0' && !isnan` that ZRANGEBYSCORE's range parser makes: leading
 * whitespace is skipped, the empty string is 0 and overflow gives ±inf. Returns `NaN` when Redis refuses it.
 */
export function strtodRange(s: string): number {
  if (s === '') return 0;
  const trimmed = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (trimmed === '') return NaN;
  return strtodWhole(trimmed).value;
}

/**
 * C's `%.17g`, as Redis 7.0 formats every double reply: 17 significant digits rounded half to even, trailing
 * zeros dropped, exponent form below 1e-4 and from 1e17 on, `inf`/`-inf` for infinities.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const sign = d < 0 ? '-' : '';
  const abs = Math.abs(d);
  let [mantissa = '', expText = '0'] = abs.toExponential(16).split('e');
  // JS rounds exact ties away from zero, printf to even: look at the exact expansion for a tie.
  const [full = '', fullExp = '0'] = abs.toExponential(60).split('e');
  const fullDigits = full.replace('.', '');
  if (/^50*$/.test(fullDigits.slice(17)) && Number(fullDigits[16]) % 2 === 0) {
    mantissa = `${fullDigits[0]}.${fullDigits.slice(1, 17)}`;
    expText = fullExp;
  }
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  if (exp < -4 || exp >= 17) {
    let m = `${digits[0]}.${digits.slice(1)}`.replace(/\.?0+$/, '');
    if (m === '') m = '0';
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let text: string;
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1).replace(/0+$/, '');
    text = frac === '' ? intPart : `${intPart}.${frac}`;
  } else {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`.replace(/0+$/, '');
  }
  return sign + text;
}
