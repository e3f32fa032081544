import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { map as rxMap, scan } from 'rxjs';
import { connect, GearsBuildError, type Gears } from '../../../lib/index.ts';

let gears: Gears;
beforeAll(async () => {
  gears = await connect();
});
afterAll(() => gears.close());

describe('GB()', () => {
  it('defaults to the KeysReader with pattern *', () => {
    const { plan } = gears.GB();
    expect(plan.reader).toBe('KeysReader');
    expect(plan.defaultArg).toBe('*');
    expect(plan.steps).toEqual([]);
  });

  it("throws RedisGears' 'reader does not exists' for an unknown reader", () => {
    expect(() => gears.GB('NoSuchReader' as never)).toThrow(new GearsBuildError('reader does not exists'));
  });

  it('throws a GearsBuildError for a description that is not a string', () => {
    expect(() => gears.GB('KeysReader', '*', 42 as never)).toThrow('description must be a string');
  });
});

describe('building', () => {
  it('is immutable: each operation returns a new builder and leaves the old one as it was', () => {
    const base = gears.GB().map((r) => r.key);
    const longer = base.filter((k) => k.startsWith('a'));
    expect(base.plan.steps.map((s) => s.kind)).toEqual(['map']);
    expect(longer.plan.steps.map((s) => s.kind)).toEqual(['map', 'filter']);
    expect(longer).not.toBe(base);
  });

  it.each([
    ['map', () => gears.GB().map('x' as never)],
    ['flatMap', () => gears.GB().flatMap(1 as never)],
    ['forEach', () => gears.GB().forEach(null as never)],
    ['filter', () => gears.GB().filter({} as never)],
    ['accumulate', () => gears.GB().accumulate('x' as never)],
    ['localGroupBy', () => gears.GB().localGroupBy((r) => r.key, 'x' as never)],
    ['repartition', () => gears.GB().repartition(undefined as never)],
    ['groupBy', () => gears.GB().groupBy('x' as never, () => 1)],
    ['batchGroupBy', () => gears.GB().batchGroupBy((r) => r.key, 3 as never)],
    ['aggregate', () => gears.GB().aggregate(0, 'x' as never, (a) => a)],
    [
      'aggregateBy',
      () =>
        gears.GB().aggregateBy(
          (r) => r.key,
          0,
          (_k, a) => a,
          'x' as never,
        ),
    ],
    ['countBy', () => gears.GB().countBy('x' as never)],
    ['avg', () => gears.GB().avg('x' as never)],
    ['sort', () => gears.GB().sort({ compare: 'x' as never })],
    ['pipe', () => gears.GB().pipe('x' as never)],
  ])("%s with a non-function throws '<op> argument must be a function'", (op, build) => {
    expect(build).toThrow(new GearsBuildError(`${op} argument must be a function`));
  });

  it.each([[-1], [1.5], ['3'], [Number.NaN]])("limit(%s) throws 'limit argument must be a number'", (length) => {
    expect(() => gears.GB().limit(length as never)).toThrow(new GearsBuildError('limit argument must be a number'));
  });

  it("limit with a bad start throws 'limit argument must be a number'", () => {
    expect(() => gears.GB().limit(1, -2)).toThrow('limit argument must be a number');
  });

  it("sort with a reverse that is not a boolean throws 'sort reverse argument must be a boolean'", () => {
    expect(() => gears.GB().sort({ reverse: 'yes' as never })).toThrow('sort reverse argument must be a boolean');
  });

  it('expands sugar into primitive steps at build time, keeping the operation name', () => {
    const steps = gears.GB().countBy((r) => r.type).plan.steps;
    expect(steps.map((s) => [s.kind, s.op])).toEqual([
      ['localGroupBy', 'countBy'],
      ['repartition', 'countBy'],
      ['localGroupBy', 'countBy'],
    ]);
    expect(
      gears
        .GB()
        .groupBy(
          (r) => r.key,
          () => 1,
        )
        .plan.steps.map((s) => s.kind),
    ).toEqual(['repartition', 'localGroupBy']);
    expect(
      gears
        .GB()
        .count()
        .plan.steps.map((s) => s.kind),
    ).toEqual(['accumulate', 'collect', 'accumulate']);
  });

  it("gives RedisGears' lower-case names as aliases with the same plans", () => {
    const f = (r: { key: string }) => r.key;
    const plans = (a: { plan: { steps: readonly { kind: string }[] } }) => a.plan.steps.map((s) => s.kind);
    const gb = gears.GB();
    expect(plans(gb.flatmap(f))).toEqual(plans(gb.flatMap(f)));
    expect(plans(gb.foreach(f))).toEqual(plans(gb.forEach(f)));
    expect(plans(gb.localgroupby(f, () => 1))).toEqual(plans(gb.localGroupBy(f, () => 1)));
    expect(plans(gb.groupby(f, () => 1))).toEqual(plans(gb.groupBy(f, () => 1)));
    expect(plans(gb.batchgroupby(f, () => 1))).toEqual(plans(gb.batchGroupBy(f, () => 1)));
    expect(
      plans(
        gb.aggregateby(
          f,
          0,
          (_k, a) => a,
          (_k, a) => a,
        ),
      ),
    ).toEqual(
      plans(
        gb.aggregateBy(
          f,
          0,
          (_k, a) => a,
          (_k, a) => a,
        ),
      ),
    );
    expect(plans(gb.countby(f))).toEqual(plans(gb.countBy(f)));
  });

  it('prints its plan with describe(), one step a line, global steps marked', () => {
    const text = gears
      .GB('KeysReader', 'person:*', 'families')
      .map((r) => r.key)
      .countBy()
      .describe();
    expect(text).toBe(
      [
        "KeysReader('person:*') — families",
        '  map',
        '  localGroupBy (countBy)',
        '  ⇄ repartition (countBy)',
        '  localGroupBy (countBy)',
      ].join('\n'),
    );
  });

  it('accepts RxJS operators through pipe() as one local step', async () => {
    await gears.execute('SET', 'a', '1');
    await gears.execute('SET', 'b', '2');
    const builder = gears.GB().pipe(
      rxMap((r) => Number(r.value)),
      scan((sum: number, n: number) => sum + n, 0),
    );
    expect(builder.plan.steps.map((s) => s.kind)).toEqual(['pipe']);
    const { results } = await builder.run();
    expect(results).toHaveLength(2);
    expect(Math.max(...results)).toBe(3); // a running sum over both keys, whichever came first
  });

  it('can run the same builder many times', async () => {
    await gears.execute('SET', 'again', 'x');
    const builder = gears
      .GB()
      .map((r) => r.key)
      .filter((k) => k === 'again');
    expect((await builder.run()).results).toEqual(['again']);
    expect((await builder.run()).results).toEqual(['again']);
  });
});
