import { describe, expect, it } from 'vitest';
import { toKeyData } from '../../../../lib/store/redis/readKeys.ts';
import { pairsToRecord, parseScore, toReply } from '../../../../lib/store/redis/replies.ts';

describe('reply conversion', () => {
  it('turns Buffers into strings, deep inside arrays too', () => {
    expect(toReply([Buffer.from('a'), [Buffer.from('é'), 1, null]])).toEqual(['a', ['é', 1, null]]);
  });

  it('rejects a reply with an error inside (EXEC) with that error', () => {
    const error = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(() => toReply(['OK', error])).toThrow(error);
  });

  it('parses scores as Redis prints them', () => {
    expect([parseScore('1.5'), parseScore('inf'), parseScore('-inf'), parseScore('+inf'), parseScore('-0')]).toEqual([
      1.5,
      Infinity,
      -Infinity,
      Infinity,
      -0,
    ]);
  });

  it('keeps __proto__ as an own field', () => {
    const record = pairsToRecord(['__proto__', 'x', 'a', 'b']);
    expect(Object.keys(record)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });

  it('treats an empty collection read after TYPE as a key that vanished in between', () => {
    expect(toKeyData('k', 'hash', [], true)).toBeUndefined();
    expect(toKeyData('k', 'string', null, true)).toBeUndefined();
    expect(toKeyData('k', 'list', ['a'], true)).toEqual({ key: 'k', type: 'list', value: ['a'] });
  });
});
