import fc from 'fast-check';

/**
 * Random pipelines as source text (gears that ship): KeysReader records → plain items → 0-4 shape-keeping steps
 * → a last operation; the same steps as spec/properties/pipelines.ts, some throwing so errors are compared too.
 */
const mid: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 2, max: 5 }).map((m) => `.filter((r) => r.n % ${m} !== 0)`),
  fc.integer({ min: 1, max: 9 }).map((a) => `.map((r) => ({ ...r, n: (r.n * 3 + ${a}) % 1000 }))`),
  fc.constant('.map(async (r) => ({ ...r, n: r.n + 1 }))'),
  fc.constant('.flatMap((r) => [r, { ...r, k: r.k + "\'" }])'),
  fc
    .integer({ min: 3, max: 7 })
    .map((m) => `.map((r) => { if (r.n % ${m} === 1) throw new RangeError('n=' + r.n); return r; })`),
  fc.constant('.repartition((r) => r.k)'),
  fc.constant('.repartition((r) => r.t)'),
  fc.constant('.collect()'),
  fc.constant('.sort()'),
  fc.constant('.distinct()'),
);

const end: fc.Arbitrary<string> = fc.constantFrom(
  '',
  '.count()',
  '.countBy((r) => r.t)',
  '.countBy((r) => r.n % 3)',
  '.groupBy((r) => r.t, (k, a, r) => (a ?? 0) + r.n)',
  '.batchGroupBy((r) => r.t, (k, list) => list.length)',
  '.aggregate(0, (a, r) => a + r.n, (a, x) => a + x)',
  '.aggregateBy((r) => r.t, 0, (k, a, r) => Math.max(a, r.n), (k, a, x) => Math.max(a, x))',
  '.avg((r) => r.n)',
  '.map((r) => r.n).sort(true)',
  '.map((r) => r.t).distinct()',
);

/** A script `GB()….run('<prefix>*')` for items read from `prefix`. */
export const sourcePipeline: fc.Arbitrary<(prefix: string) => string> = fc
  .tuple(fc.array(mid, { maxLength: 4 }), end)
  .map(
    ([mids, last]) =>
      (prefix: string) =>
        `GB().map((r) => ({ k: r.key.slice(${prefix.length}), t: r.type, n: Number(r.type === 'hash' ? r.value.n : r.value) }))` +
        `${mids.join('')}${last}.run('${prefix}*')`,
  );

/** Random keys: strings and hashes holding a number, each key once (a key is one type: SET then HSET is WRONGTYPE). */
export const dataset = fc.uniqueArray(
  fc.record({ k: fc.string({ minLength: 1, maxLength: 6 }), hash: fc.boolean(), n: fc.integer({ min: 0, max: 999 }) }),
  { maxLength: 60, selector: (entry) => entry.k },
);

/** Canonical, order-free form of `{ results, errors }`, for comparing as multisets. */
export function multiset(result: { results: unknown[]; errors: string[] }): { results: string[]; errors: string[] } {
  return {
    results: result.results.map((r) => JSON.stringify(r)).sort(),
    errors: [...result.errors].sort(),
  };
}
