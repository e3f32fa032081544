import { describe, expect, it } from 'vitest';
import { canonicalJson, extractKey, keyOf } from '../../../operators/internal/keys.ts';

describe('keyOf', () => {
  it('keeps strings as they are, even when they look like JSON', () => {
    expect(keyOf('Smith')).toBe('Smith');
    expect(keyOf('')).toBe('');
    expect(keyOf('{"a":1}')).toBe('{"a":1}');
  });

  it('stringifies numbers', () => {
    expect(keyOf(1)).toBe('1');
    expect(keyOf(2.5)).toBe('2.5');
    expect(keyOf(-3)).toBe('-3');
    expect(keyOf(Number.NaN)).toBe('NaN');
    expect(keyOf(Infinity)).toBe('Infinity');
  });

  it('stringifies bigints and booleans', () => {
    expect(keyOf(12345678901234567890n)).toBe('12345678901234567890');
    expect(keyOf(true)).toBe('true');
    expect(keyOf(false)).toBe('false');
  });

  it('names undefined and null', () => {
    expect(keyOf(undefined)).toBe('undefined');
    expect(keyOf(null)).toBe('null');
  });

  it('gives objects their canonical JSON, whatever the key order', () => {
    expect(keyOf({ b: 2, a: 1 })).toBe('{"a":1,"b":2}');
    expect(keyOf({ a: 1, b: 2 })).toBe(keyOf({ b: 2, a: 1 }));
    expect(keyOf([3, 1, 2])).toBe('[3,1,2]');
  });

  it('gives a Date its ISO string in JSON', () => {
    expect(keyOf(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('returns a string for symbols and functions, which JSON cannot represent', () => {
    expect(keyOf(Symbol('s'))).toBe('Symbol(s)');
    const fn = (): number => 1;
    expect(typeof keyOf(fn)).toBe('string');
    expect(keyOf(fn)).toBe(String(fn));
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    const a = { z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null };
    const b = { a: null, z: { x: [{ c: 2, d: 1 }], y: 1 } };
    expect(canonicalJson(a)).toBe('{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('sorts keys by code point', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3 })).toBe('{"B":2,"a":3,"b":1}');
  });

  it('keeps array order', () => {
    expect(canonicalJson([{ b: 1, a: 2 }, 'x', 1])).toBe('[{"a":2,"b":1},"x",1]');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('writes bigints as strings, at any depth', () => {
    expect(canonicalJson({ n: 10n, list: [1n] })).toBe('{"list":["1"],"n":"10"}');
  });

  it('writes a Map as an object sorted by key, whatever the insertion order', () => {
    const m1 = new Map<string, unknown>([
      ['b', 1],
      ['a', { y: 2, x: 1 }],
    ]);
    const m2 = new Map<string, unknown>([
      ['a', { x: 1, y: 2 }],
      ['b', 1],
    ]);
    expect(canonicalJson(m1)).toBe('{"a":{"x":1,"y":2},"b":1}');
    expect(canonicalJson(m2)).toBe(canonicalJson(m1));
  });

  it('writes a Set as an array in insertion order', () => {
    expect(canonicalJson(new Set([3, 1, { b: 1, a: 2 }]))).toBe('[3,1,{"a":2,"b":1}]');
    expect(canonicalJson({ s: new Set(['x']) })).toBe('{"s":["x"]}');
  });

  it('leaves out undefined properties and functions, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: 1, f: () => 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined])).toBe('[null]');
  });
});

describe('extractKey', () => {
  it('makes the key of what the extractor returns', () => {
    expect(extractKey((r: { k: unknown }) => r.k, { k: 7 })).toBe('7');
    expect(extractKey((r: { k: unknown }) => r.k, { k: { b: 1, a: 2 } })).toBe('{"a":2,"b":1}');
  });

  it('throws a TypeError when the extractor returns a Promise, and handles its rejection', async () => {
    const rejected = Promise.reject(new Error('async extractor'));
    expect(() => extractKey(() => rejected, 'record')).toThrow(
      new TypeError('extractor returned a Promise: extractors must be synchronous'),
    );
    // Had the rejection no handler, vitest would fail the run with an unhandled rejection.
    await new Promise((resolve) => setImmediate(resolve));
  });
});
