import { describe, expect, it } from 'vitest';
import {
  addLongDouble,
  formatLongDouble,
  isFiniteLongDouble,
  parseLongDouble,
  type LongDouble,
} from '../../../../lib/store/memory/longDouble.ts';

function sum(...values: string[]): string {
  let total: LongDouble | undefined = parseLongDouble('0');
  for (const v of values) total = addLongDouble(total!, parseLongDouble(v)!);
  if (!isFiniteLongDouble(total)) throw new Error('not finite');
  return formatLongDouble(total);
}

describe('long double arithmetic (as Redis INCRBYFLOAT)', () => {
  it('adds decimals without the double-precision surprises', () => {
    expect(sum('0.1', '0.2')).toBe('0.3');
    expect(sum('1.1', '2.2', '3.3')).toBe('6.6');
    expect(sum('10', '-0.5')).toBe('9.5');
  });

  it('prints %.17Lf of the exact binary value, trimmed, and -0 as 0', () => {
    expect(sum('124705.58929743909')).toBe('124705.58929743908999654');
    expect(sum('1e20')).toBe('100000000000000000000');
    expect(sum('-0')).toBe('0');
    expect(sum('-1e-30')).toBe('0');
    expect(sum('0x1p-3')).toBe('0.125');
  });

  it('parses like string2ld: no spaces, NaN, junk or out-of-range values', () => {
    for (const bad of ['', ' 1', '1 ', 'nan', 'abc', '.', '1e', '1e5000', '1e-5000']) {
      expect(parseLongDouble(bad)).toBeUndefined();
    }
    expect(parseLongDouble('inf')).toEqual({ neg: false, inf: true });
    expect(parseLongDouble('5.')).toEqual(parseLongDouble('5'));
  });

  it('gives no sum for inf + -inf and an infinite one for inf + 1', () => {
    expect(addLongDouble(parseLongDouble('inf')!, parseLongDouble('-inf')!)).toBeUndefined();
    expect(isFiniteLongDouble(addLongDouble(parseLongDouble('inf')!, parseLongDouble('1')!))).toBe(false);
  });
});
