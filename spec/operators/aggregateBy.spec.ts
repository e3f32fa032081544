import { describe, expect, it } from 'vitest';
import { concat, lastValueFrom, of, toArray } from 'rxjs';
import { aggregateBy, aggregateBySteps } from '../../operators/aggregateBy.ts';
import { stepsOperator } from '../../operators/internal/stepOperator.ts';
import type { Step } from '../../lib/builder/steps.ts';
import { scheduler } from '../support/rx.ts';

const letter = (r: string): string => r[0]!;
const count = (_key: string, n: number): number => n + 1;
const add = (_key: string, n: number, partial: number): number => n + partial;

describe('aggregateBySteps', () => {
  it('is localGroupBy, repartition by the group key, localGroupBy', () => {
    const steps = aggregateBySteps(letter as never, 0, count as never, add as never);
    expect(steps.map((s) => s.kind)).toEqual(['localGroupBy', 'repartition', 'localGroupBy']);
    expect(steps.map((s) => s.op)).toEqual(['aggregateBy', 'aggregateBy', 'aggregateBy']);
    const repartition = steps[1] as Extract<Step, { kind: 'repartition' }>;
    expect(repartition.extractor({ key: 'k', value: 3 })).toBe('k');
  });

  it('names its steps after the operation that expanded into it', () => {
    const steps = aggregateBySteps(letter as never, 0, count as never, add as never, 'countBy');
    expect(steps.map((s) => s.op)).toEqual(['countBy', 'countBy', 'countBy']);
  });

  it('folds the partials of several shards per key with combOp', async () => {
    const [local, repartition, global] = aggregateBySteps(letter as never, 0, count as never, add as never);
    const shardA = of('a1', 'b1', 'a2').pipe(stepsOperator([local!]));
    const shardB = of('b2', 'a3').pipe(stepsOperator([local!]));
    const result = await lastValueFrom(concat(shardA, shardB).pipe(stepsOperator([repartition!, global!]), toArray()));
    expect(result).toEqual([
      { key: 'a', value: 3 },
      { key: 'b', value: 2 },
    ]);
  });
});

describe('aggregateBy', () => {
  it('emits { key, value } per key at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', { a: 'x1', b: 'y1', c: 'x2' });
      expectObservable(source.pipe(aggregateBy(letter, 0, count, add))).toBe('------(xy|)', {
        x: { key: 'x', value: 2 },
        y: { key: 'y', value: 1 },
      });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(aggregateBy(letter, 0, count, add))).toBe('---|');
    });
  });

  it('passes the key, the accumulator and the partial to combOp, from a fresh zero', async () => {
    const calls: unknown[][] = [];
    await lastValueFrom(
      of('a1', 'a2').pipe(
        aggregateBy(letter, 10, count, (key, acc, partial) => {
          calls.push([key, acc, partial]);
          return acc + partial;
        }),
      ),
    );
    expect(calls).toEqual([['a', 10, 12]]);
  });

  it('gives every key and every run a fresh copy of zero', async () => {
    const zero: string[] = [];
    const gather = (_key: string, list: string[], r: string): string[] => {
      list.push(r);
      return list;
    };
    const merge = (_key: string, list: string[], partial: string[]): string[] => {
      list.push(...partial);
      return list;
    };
    const aggregated = of('a1', 'b1', 'a2').pipe(aggregateBy(letter, zero, gather, merge), toArray());
    const expected = [
      { key: 'a', value: ['a1', 'a2'] },
      { key: 'b', value: ['b1'] },
    ];
    expect(await lastValueFrom(aggregated)).toEqual(expected);
    expect(await lastValueFrom(aggregated)).toEqual(expected);
    expect(zero).toEqual([]);
  });

  it('awaits async seqOp and combOp', async () => {
    const result = await lastValueFrom(
      of('a1', 'a2', 'b1').pipe(
        aggregateBy(
          letter,
          0,
          async (_k, n) => n + 1,
          async (_k, n, partial) => n + partial,
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
  });

  it('drops a record whose seqOp throws, reports it and keeps the others', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of('a1', 'a!', 'a2').pipe(
        aggregateBy(
          letter,
          0,
          (_k, n, r) => {
            if (r.endsWith('!')) throw new Error('bang');
            return n + 1;
          },
          add,
          { onError: (e) => errors.push(e) },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([{ key: 'a', value: 2 }]);
    expect(errors).toEqual([new Error('bang')]);
  });
});
