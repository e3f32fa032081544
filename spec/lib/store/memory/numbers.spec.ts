import { describe, expect, it } from 'vitest';
import {
  doubleArg,
  formatDouble,
  intArg,
  strtodRange,
  toBigInt64,
  toDouble,
  toInt64,
} from '../../../../lib/store/memory/numbers.ts';

describe('toInt64 (string2ll)', () => {
  it('accepts canonical int64 text only', () => {
    expect(toInt64('0')).toBe(0);
    expect(toInt64('-42')).toBe(-42);
    expect(toInt64('9223372036854775807')).toBe(2 ** 63);
    for (const bad of ['', '+1', '01', '-0', ' 1', '1 ', '1.0', '1e3', '9223372036854775808', 'abc']) {
      expect(toInt64(bad)).toBeUndefined();
    }
  });

  it('has an exact bigint twin for arithmetic at the limits', () => {
    expect(toBigInt64('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(toBigInt64('-9223372036854775809')).toBeUndefined();
  });

  it('throws Redis’ integer error from intArg', () => {
    expect(() => intArg('x')).toThrow('ERR value is not an integer or out of range');
  });
});

describe('toDouble (string2d)', () => {
  it('accepts what strtod reads as a whole, including inf and hex floats', () => {
    expect(toDouble('1.5')).toBe(1.5);
    expect(toDouble('-.5e1')).toBe(-5);
    expect(toDouble('+inf')).toBe(Infinity);
    expect(toDouble('-Infinity')).toBe(-Infinity);
    expect(toDouble('0x10')).toBe(16);
    expect(toDouble('0x1p-2')).toBe(0.25);
  });

  it('refuses spaces, NaN, junk, overflow and underflow to zero', () => {
    for (const bad of ['', ' 1', '1 ', 'nan', 'abc', '1e400', '1e-400', '1,5']) expect(toDouble(bad)).toBeUndefined();
    expect(() => doubleArg('x')).toThrow('ERR value is not a valid float');
  });
});

describe('strtodRange', () => {
  it('reads score range bounds as plain strtod: empty is 0, leading spaces and overflow pass', () => {
    expect(strtodRange('')).toBe(0);
    expect(strtodRange(' 2')).toBe(2);
    expect(strtodRange('1e400')).toBe(Infinity);
    expect(strtodRange('x')).toBeNaN();
    expect(strtodRange('nan')).toBeNaN();
  });
});

describe('formatDouble (%.17g)', () => {
  it('prints 17 significant digits without trailing zeros, as Redis 7.0 replies', () => {
    expect(formatDouble(1.5)).toBe('1.5');
    expect(formatDouble(3)).toBe('3');
    expect(formatDouble(1.1)).toBe('1.1000000000000001');
    expect(formatDouble(0.1)).toBe('0.10000000000000001');
    expect(formatDouble(-2.5)).toBe('-2.5');
  });

  it('switches to exponent form below 1e-4 and from 1e17', () => {
    expect(formatDouble(1e-5)).toBe('1.0000000000000001e-05');
    expect(formatDouble(0.0001)).toBe('0.0001');
    expect(formatDouble(1e20)).toBe('1e+20');
    expect(formatDouble(123456789012345680)).toBe('1.2345678901234568e+17');
    expect(formatDouble(1e16)).toBe('10000000000000000');
    expect(formatDouble(5e-324)).toBe('4.9406564584124654e-324');
  });

  it('rounds exact ties to even like printf', () => {
    expect(formatDouble(100 + 1 / 32768)).toBe('100.00003051757812');
  });

  it('prints infinities as inf and -inf', () => {
    expect(formatDouble(Infinity)).toBe('inf');
    expect(formatDouble(-Infinity)).toBe('-inf');
    expect(formatDouble(0)).toBe('0');
  });
});
