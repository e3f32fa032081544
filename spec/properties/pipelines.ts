import fc from 'fast-check';
import type { GearsBuilder } from '../../lib/index.ts';
import type { GBFunction } from '../../lib/Gears.ts';
import type { GearContext, Runnable } from '../../lib/testing/index.ts';
import { canonicalJson } from '../../operators/internal/keys.ts';

/** The plain record random pipelines work on: the key without the run's prefix, its type, a number from its value. */
export interface Item {
  k: string;
  t: string;
  n: number;
}

type Mid = { name: string; apply: (b: GearsBuilder<Item>) => GearsBuilder<Item> };
type End = { name: string; apply: (b: GearsBuilder<Item>) => Runnable };

const digest = (value: unknown): number => {
  const text = canonicalJson(value) ?? '';
  let n = 0;
  for (let i = 0; i < text.length; i++) n = (n * 31 + text.charCodeAt(i)) % 1000;
  return n;
};

/** Steps that keep the record shape; some throw for some records so error counts are compared too. */
export const midStep: fc.Arbitrary<Mid> = fc.oneof(
  fc
    .integer({ min: 2, max: 5 })
    .map((m) => ({ name: `filter(n % ${m} != 0)`, apply: (b: GearsBuilder<Item>) => b.filter((r) => r.n % m !== 0) })),
  fc.integer({ min: 1, max: 9 }).map((a) => ({
    name: `map(n * 3 + ${a})`,
    apply: (b: GearsBuilder<Item>) => b.map((r) => ({ ...r, n: (r.n * 3 + a) % 1000 })),
  })),
  fc.constant({
    name: 'async map(n + 1)',
    apply: (b: GearsBuilder<Item>) => b.map(async (r) => ({ ...r, n: r.n + 1 })),
  }),
  fc.constant({
    name: 'flatMap(r => [r, r])',
    apply: (b: GearsBuilder<Item>) => b.flatMap((r) => [r, { ...r, k: `${r.k}'` }]),
  }),
  fc.constant({ name: 'forEach(noop)', apply: (b: GearsBuilder<Item>) => b.forEach(() => undefined) }),
  fc.integer({ min: 3, max: 7 }).map((m) => ({
    name: `map(throws when n % ${m} == 1)`,
    apply: (b: GearsBuilder<Item>) =>
      b.map((r) => {
        if (r.n % m === 1) throw new RangeError(`n=${r.n}`);
        return r;
      }),
  })),
  fc.constant({ name: 'repartition(k)', apply: (b: GearsBuilder<Item>) => b.repartition((r) => r.k) }),
  fc.constant({ name: 'repartition(t)', apply: (b: GearsBuilder<Item>) => b.repartition((r) => r.t) }),
  fc.constant({ name: 'collect()', apply: (b: GearsBuilder<Item>) => b.collect() }),
  fc.constant({ name: 'sort()', apply: (b: GearsBuilder<Item>) => b.sort() }),
  fc.constant({ name: 'distinct()', apply: (b: GearsBuilder<Item>) => b.distinct() }),
);

/** Last operations, each invariant under the shard count (folds are commutative and associative). */
export const endStep: fc.Arbitrary<End> = fc.constantFrom<End>(
  { name: 'run()', apply: (b) => b },
  { name: 'count()', apply: (b) => b.count() },
  { name: 'countBy(t)', apply: (b) => b.countBy((r) => r.t) },
  { name: 'countBy(n % 3)', apply: (b) => b.countBy((r) => r.n % 3) },
  {
    name: 'groupBy(t, sum)',
    apply: (b) =>
      b.groupBy(
        (r) => r.t,
        (_k, a: number | undefined, r) => (a ?? 0) + r.n,
      ),
  },
  {
    name: 'batchGroupBy(t, size)',
    apply: (b) =>
      b.batchGroupBy(
        (r) => r.t,
        (_k, list) => list.length,
      ),
  },
  {
    name: 'aggregate(sum)',
    apply: (b) =>
      b.aggregate(
        0,
        (a, r) => a + r.n,
        (a, x) => a + x,
      ),
  },
  {
    name: 'aggregateBy(t, max)',
    apply: (b) =>
      b.aggregateBy(
        (r) => r.t,
        0,
        (_k, a, r) => Math.max(a, r.n),
        (_k, a, x) => Math.max(a, x),
      ),
  },
  { name: 'avg(n)', apply: (b) => b.avg((r) => r.n) },
  { name: 'map(n).sort(true)', apply: (b) => b.map((r) => r.n).sort(true) },
  { name: 'map(t).distinct()', apply: (b) => b.map((r) => r.t).distinct() },
  {
    name: 'accumulate(sum).collect().accumulate(sum)',
    apply: (b) =>
      b
        .map((r) => r.n)
        .accumulate((a: number | undefined, n: number) => (a ?? 0) + n)
        .collect()
        .accumulate((a: number | undefined, n: number) => (a ?? 0) + n),
  },
);

export interface Pipeline {
  name: string;
  gear: (GB: GBFunction, context: GearContext) => Runnable;
}

/** A random pipeline: KeysReader records → plain items → 0-4 shape-keeping steps → a last operation. */
export const pipeline: fc.Arbitrary<Pipeline> = fc
  .tuple(fc.array(midStep, { maxLength: 4 }), endStep)
  .map(([mids, end]) => ({
    name: [...mids, end].map((s) => s.name).join(' → '),
    gear: (GB, { prefix }) => {
      let builder = GB().map((r): Item => ({ k: r.key.slice(prefix.length), t: r.type, n: digest(r.value) }));
      for (const mid of mids) builder = mid.apply(builder);
      return end.apply(builder);
    },
  }));
