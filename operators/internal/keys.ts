import { isPromiseLike } from './options.ts';

/**
 * The grouping key of an extracted value: strings as they are; numbers, bigints and booleans as `String(k)`;
 * anything else as canonical JSON (object keys sorted), so `{a:1,b:2}` and `{b:2,a:1}` group together.
 */
export function keyOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'symbol':
    case 'function':
      return String(value); // JSON.stringify gives undefined for these, and a key must be a string
    default:
      return canonicalJson(value);
  }
}

/** JSON with object keys sorted at every depth; `undefined` and functions as JSON.stringify treats them. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Map)
      return Object.fromEntries([...v.entries()].sort(([a], [b]) => compareKeys(String(a), String(b))));
    if (v instanceof Set) return [...v];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort(compareKeys)) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Calls a (synchronous) extractor and turns its value into a grouping key. An extractor that returns a
 * Promise is a bug the key would silently hide (every Promise has the same JSON), so it is an error — and the
 * Promise gets a handler, so a rejection does not surface as an unhandled one.
 */
export function extractKey<T>(extractor: (record: T) => unknown, record: T): string {
  const value = extractor(record);
  if (isPromiseLike(value)) {
    value.then(undefined, () => undefined);
    throw new TypeError('extractor returned a Promise: extractors must be synchronous');
  }
  return keyOf(value);
}
