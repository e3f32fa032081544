import { describe, expect, it } from 'vitest';
import {
  decrId,
  idString,
  incrId,
  parseId,
  parseRangeEnd,
  parseRangeStart,
  U64_MAX,
} from '../../../../lib/store/memory/streams/streamIds.ts';

describe('stream ids', () => {
  it('parses full, partial and special ids', () => {
    expect(parseId('5-3', 0, true)).toEqual({ ms: 5, seq: 3, seqGiven: true });
    expect(parseId('5', 7, true)).toEqual({ ms: 5, seq: 7, seqGiven: true });
    expect(parseId('5-*', 0, true, true)).toEqual({ ms: 5, seq: 0, seqGiven: false });
    expect(parseId('-', 0, false)).toEqual({ ms: 0, seq: 0, seqGiven: true });
    expect(parseId('+', 0, false)).toEqual({ ms: U64_MAX, seq: U64_MAX, seqGiven: true });
    expect(parseId('007-1', 0, true)).toEqual({ ms: 7, seq: 1, seqGiven: true });
  });

  it('refuses what Redis refuses', () => {
    for (const bad of ['-', '+', 'x', '1-x', '-1', '1-2-3', '18446744073709551616', '5-*']) {
      expect(() => parseId(bad, 0, true)).toThrow('ERR Invalid stream ID specified as stream command argument');
    }
  });

  it('steps ids across the sequence and the 2^64-1 limits', () => {
    expect(incrId({ ms: 1, seq: 2 })).toEqual({ ms: 1, seq: 3 });
    expect(incrId({ ms: 1, seq: U64_MAX })).toEqual({ ms: 2, seq: 0 });
    expect(incrId({ ms: U64_MAX, seq: U64_MAX })).toBeUndefined();
    expect(decrId({ ms: 2, seq: 0 })).toEqual({ ms: 1, seq: U64_MAX });
    expect(decrId({ ms: 0, seq: 0 })).toBeUndefined();
    expect(idString(decrId({ ms: U64_MAX, seq: U64_MAX })!)).toBe('18446744073709551615-18446744073709551614');
  });

  it('reads exclusive interval bounds', () => {
    expect(parseRangeStart('(1-1')).toEqual({ ms: 1, seq: 2 });
    expect(parseRangeEnd('(1-0')).toEqual({ ms: 0, seq: U64_MAX });
    expect(parseRangeEnd('5')).toEqual({ ms: 5, seq: U64_MAX, seqGiven: true });
    expect(() => parseRangeStart('(+')).toThrow('ERR Invalid stream ID');
    expect(() => parseRangeStart('(18446744073709551615-18446744073709551615')).toThrow(
      'ERR invalid start ID for the interval',
    );
    expect(() => parseRangeEnd('(0-0')).toThrow('ERR invalid end ID for the interval');
  });
});
