import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, GearsError, type Gears, type GearsBuilder } from '../../lib/index.ts';

/**
 * Hostile gear functions: callbacks that throw Errors, strings or undefined, reject, return values that cannot
 * be cloned across shards, or hang for a while; and bad arguments to the builder. Whatever happens, building
 * throws a GearsError or the run settles with `{ results, errors }` — never a crash, a hang or an unhandled
 * rejection (vitest fails the file on one).
 */
type Hostile = (value: unknown) => unknown;

const hostile: fc.Arbitrary<{ name: string; fn: Hostile }> = fc.constantFrom(
  { name: 'identity', fn: (v: unknown) => v },
  {
    name: 'throw Error',
    fn: () => {
      throw new Error('boom');
    },
  },
  {
    name: 'throw string',
    fn: () => {
      throw 'a string';
    },
  },
  {
    name: 'throw undefined',
    fn: () => {
      throw undefined;
    },
  },
  { name: 'reject', fn: () => Promise.reject(new TypeError('rejected')) },
  { name: 'reject null', fn: () => Promise.reject(null) },
  { name: 'return a function', fn: () => () => 1 },
  { name: 'return undefined', fn: () => undefined },
  { name: 'return a symbol', fn: () => Symbol('s') },
  { name: 'slow resolve', fn: (v: unknown) => new Promise((r) => setTimeout(() => r(v), 1)) },
  {
    name: 'throw sometimes',
    fn: (v: unknown) => {
      if (JSON.stringify(v ?? null).length % 2) throw new Error('odd');
      return v;
    },
  },
);

type Op = { name: string; apply: (b: GearsBuilder<unknown>, f: Hostile) => GearsBuilder<unknown> };
const ops: Op[] = [
  { name: 'map', apply: (b, f) => b.map(f) },
  { name: 'flatMap', apply: (b, f) => b.flatMap(f as never) },
  { name: 'filter', apply: (b, f) => b.filter(f) },
  { name: 'forEach', apply: (b, f) => b.forEach(f) },
  { name: 'accumulate', apply: (b, f) => b.accumulate((_a, r) => f(r)) },
  { name: 'localGroupBy', apply: (b, f) => b.localGroupBy(f, (_k, _a, r) => f(r)) },
  { name: 'groupBy', apply: (b, f) => b.groupBy(f, (_k, _a, r) => f(r)) },
  { name: 'batchGroupBy', apply: (b, f) => b.batchGroupBy(f, (_k, l) => f(l)) },
  { name: 'repartition', apply: (b, f) => b.repartition(f) },
  { name: 'collect', apply: (b) => b.collect() },
  {
    name: 'aggregate',
    apply: (b, f) =>
      b.aggregate(
        0,
        (_a, r) => f(r) as number,
        (a) => f(a) as number,
      ),
  },
  {
    name: 'aggregateBy',
    apply: (b, f) =>
      b.aggregateBy(
        f,
        0,
        (_k, _a, r) => f(r) as number,
        (_k, a) => f(a) as number,
      ),
  },
  { name: 'countBy', apply: (b, f) => b.countBy(f) },
  { name: 'count', apply: (b) => b.count() },
  { name: 'avg', apply: (b, f) => b.avg(f) },
  { name: 'sort', apply: (b, f) => b.sort({ compare: (x) => f(x) as number }) },
  { name: 'distinct', apply: (b) => b.distinct() },
  { name: 'limit', apply: (b) => b.limit(3) },
];

const badArgument = fc.constantFrom<unknown>(undefined, null, 1, 'x', {}, [], Symbol('s'), -1, Number.NaN);

describe('fuzz: hostile pipelines on 3 embedded shards', () => {
  let gears: Gears;
  beforeAll(async () => {
    gears = await connect({ shards: 3, cloneRecords: true });
    for (let i = 0; i < 30; i++) await gears.execute('HSET', `fuzz:${i}`, 'n', i, 'name', `n${i}`);
    await gears.execute('SET', 'fuzz:s', 'str');
    await gears.execute('RPUSH', 'fuzz:l', 'a', 'b');
  });
  afterAll(() => gears.close());

  it('always settles with results and errors, whatever the callbacks do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...ops), hostile), { minLength: 1, maxLength: 5 }),
        async (steps) => {
          let builder = gears.GB() as unknown as GearsBuilder<unknown>;
          for (const [op, { fn }] of steps) builder = op.apply(builder, fn);
          const outcome = await Promise.race([
            builder.run('fuzz:*'),
            new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
          ]);
          expect(outcome).not.toBe('hung');
          const { results, errors } = outcome as { results: unknown[]; errors: string[] };
          expect(Array.isArray(results)).toBe(true);
          for (const error of errors) expect(error).toMatch(/^\w+: /);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('throws a GearsError at build time for any bad argument, never anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ops.filter((o) => !['collect', 'count', 'distinct', 'limit'].includes(o.name))),
        badArgument,
        (op, bad) => {
          try {
            op.apply(gears.GB() as unknown as GearsBuilder<unknown>, bad as Hostile);
          } catch (error) {
            expect(error).toBeInstanceOf(GearsError);
            return;
          }
          // Some ops wrap the argument in a function of their own (aggregate's combiner): then it fails at run time.
        },
      ),
    );
  });

  it('rejects bad run arguments and options with a GearsError, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        badArgument,
        fc.dictionary(
          fc.constantFrom('collect', 'mode', 'noScan', 'readValue', 'count', 'unblocking', 'bogus'),
          badArgument,
        ),
        async (arg, options) => {
          try {
            await gears.GB().run(arg as never, options as never);
          } catch (error) {
            expect(error).toBeInstanceOf(GearsError);
          }
        },
      ),
    );
  });
});
