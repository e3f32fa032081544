/**
 * The x87 `long double` arithmetic INCRBYFLOAT and HINCRBYFLOAT use in Redis 7.0, emulated exactly with BigInt:
 * values parse like `strtold` (correctly rounded to a 64-bit significand), add with one rounding, and print
 * like `ld2string(…, LD_STR_HUMAN)` (`%.17Lf`, trailing zeros dropped). With plain doubles `INCRBYFLOAT k 0.1`
 * then `0.2` would give `0.30000000000000004` where Redis gives `0.3`.
 */

const PRECISION = 64n;

/** A finite value `(-1)^neg · m · 2^e` with `m < 2^64`, or an infinity. */
export type LongDouble = { neg: boolean; m: bigint; e: number } | { neg: boolean; inf: true };

export const ZERO_LD: LongDouble = { neg: false, m: 0n, e: 0 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds `num / den` (positive) to an integer, half to even. */
function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  return r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
}

/** `num / den · 2^e` rounded once (half to even) to 64 significant bits. */
function normalise(neg: boolean, num: bigint, den: bigint, e: number): LongDouble {
  if (num === 0n) return { neg, m: 0n, e: 0 };
  // Scale so the truncated quotient has 64 or 65 bits; the remainder decides the one rounding.
  const shift = Number(PRECISION) - (bitLength(num) - bitLength(den));
  const n = shift >= 0 ? num << BigInt(shift) : num;
  const d = shift >= 0 ? den : den << BigInt(-shift);
  let m = n / d;
  const r = n % d;
  e -= shift;
  if (bitLength(m) > Number(PRECISION)) {
    const low = m & 1n;
    m >>= 1n;
    e += 1;
    if (low === 1n && (r > 0n || (m & 1n) === 1n)) m += 1n;
  } else {
    const r2 = r * 2n;
    if (r2 > d || (r2 === d && (m & 1n) === 1n)) m += 1n;
  }
  if (bitLength(m) > Number(PRECISION)) {
    m >>= 1n;
    e += 1;
  }
  if (e + Number(PRECISION) > 16384) return { neg, inf: true };
  return { neg, m, e };
}

const DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/;

/**
 * Redis' `string2ld`: the whole string must be a `strtold` number without leading space, not NaN, not out of
 * range. Returns `undefined` when Redis refuses it.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  if (s.length === 0 || s.length >= 5 * 1024 || /^\s/.test(s)) return undefined;
  const inf = /^([+-]?)(?:inf|infinity)$/i.exec(s);
  if (inf) return { neg: inf[1] === '-', inf: true };
  const dec = DECIMAL.exec(s);
  const hex = dec ? null : HEX.exec(s);
  const match = dec ?? hex;
  if (!match) return undefined;
  const [, sign, whole = '', frac = '', expText = '0'] = match;
  if (whole === '' && frac === '') return undefined;
  const neg = sign === '-';
  const exp = Number(expText);
  if (!Number.isSafeInteger(exp)) return undefined;
  let value: LongDouble;
  if (dec) {
    const digits = BigInt(whole + frac || '0');
    const k = exp - frac.length;
    // Far outside long double (about 3.6e-4951 to 1.2e4932) strtold reports ERANGE: refuse before big powers.
    const magnitude = k + (whole + frac).replace(/^0+/, '').length;
    if (digits !== 0n && (magnitude > 4934 || magnitude < -4952)) return undefined;
    value = k >= 0 ? normalise(neg, digits * 10n ** BigInt(k), 1n, 0) : normalise(neg, digits, 10n ** BigInt(-k), 0);
  } else {
    const digits = BigInt(`0x${whole + frac || '0'}`);
    const e = exp - 4 * frac.length;
    if (digits !== 0n && (e > 17000 || e < -17000)) return undefined;
    value = normalise(neg, digits, 1n, e);
  }
  if ('inf' in value) return undefined; // overflow is ERANGE for strtold
  if (value.m !== 0n && value.e + Number(PRECISION) < -16445) return undefined; // underflow to zero
  return value;
}

/** `a + b` rounded once, as the FPU does; undefined for NaN (inf + -inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if ('inf' in a || 'inf' in b) {
    if ('inf' in a && 'inf' in b && a.neg !== b.neg) return undefined;
    return 'inf' in a ? a : b;
  }
  const e = Math.min(a.e, b.e);
  const x = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const y = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = x + y;
  if (sum === 0n) return { neg: false, m: 0n, e: 0 };
  return normalise(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
}

export function isFiniteLongDouble(v: LongDouble | undefined): v is { neg: boolean; m: bigint; e: number } {
  return v !== undefined && !('inf' in v);
}

/** `ld2string(…, LD_STR_HUMAN)`: `%.17Lf` with trailing zeros (and a bare `.`) removed, `-0` as `0`. */
export function formatLongDouble(v: { neg: boolean; m: bigint; e: number }): string {
  const scale = 10n ** 17n;
  const scaled = v.e >= 0 ? (v.m << BigInt(v.e)) * scale : divRound(v.m * scale, 1n << BigInt(-v.e));
  const whole = (scaled / scale).toString();
  const frac = (scaled % scale).toString().padStart(17, '0').replace(/0+$/, '');
  const text = frac === '' ? whole : `${whole}.${frac}`;
  return v.neg && text !== '0' ? `-${text}` : text;
}

/** A finite double as the long double it converts to exactly (`(long double)d`). */
export function longDoubleOf(d: number): { neg: boolean; m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const neg = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { neg, m: fraction, e: -1074 }; // zero and subnormals
  return { neg, m: fraction | (1n << 52n), e: biased - 1075 };
}

/** C's `%.<digits>f` of a double: its exact value rounded half to even, `inf`/`-inf` for infinities. */
export function formatFixed(d: number, digits: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  const v = longDoubleOf(d);
  const scale = 10n ** BigInt(digits);
  const scaled = v.e >= 0 ? (v.m << BigInt(v.e)) * scale : divRound(v.m * scale, 1n << BigInt(-v.e));
  const whole = (scaled / scale).toString();
  const text = digits === 0 ? whole : `${whole}.${(scaled % scale).toString().padStart(digits, '0')}`;
  return v.neg ? `-${text}` : text;
}
