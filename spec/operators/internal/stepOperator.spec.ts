import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, map as rxMap, filter as rxFilter, toArray } from 'rxjs';
import { stepOperator, stepsOperator } from '../../../operators/internal/stepOperator.ts';
import type { Step } from '../../../lib/builder/steps.ts';
import { scheduler } from '../../support/rx.ts';

const through = <R>(records: readonly unknown[], step: Step, onError?: (e: unknown) => void): Promise<R[]> =>
  lastValueFrom(of(...records).pipe(stepOperator(step, onError ? { onError } : {}), toArray()));

describe('stepOperator (global steps on one stream)', () => {
  it('makes collect the identity', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: 1, b: 2 });
      expectObservable(source.pipe(stepOperator({ kind: 'collect', op: 'collect' }))).toBe('-a-b-|', { a: 1, b: 2 });
    });
  });

  it('makes repartition the identity and never calls its extractor', () => {
    let calls = 0;
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: 1, b: 2 });
      const step: Step = { kind: 'repartition', op: 'repartition', extractor: () => calls++ };
      expectObservable(source.pipe(stepOperator(step))).toBe('-a-b-|', { a: 1, b: 2 });
    });
    expect(calls).toBe(0);
  });
});

describe('stepOperator (each kind)', () => {
  it('maps a map step to map', async () => {
    expect(await through([1, 2], { kind: 'map', op: 'map', fn: (n: number) => n * 3 })).toEqual([3, 6]);
  });

  it('maps a flatMap step to flatMap', async () => {
    expect(await through([1, 2], { kind: 'flatMap', op: 'flatMap', fn: (n: number) => [n, -n] })).toEqual([
      1, -1, 2, -2,
    ]);
  });

  it('maps a forEach step to forEach', async () => {
    const seen: number[] = [];
    expect(await through([1, 2], { kind: 'forEach', op: 'forEach', fn: (n: number) => seen.push(n) })).toEqual([1, 2]);
    expect(seen).toEqual([1, 2]);
  });

  it('maps a filter step to filter', async () => {
    expect(await through([1, 2, 3], { kind: 'filter', op: 'filter', fn: (n: number) => n !== 2 })).toEqual([1, 3]);
  });

  it('maps an accumulate step to accumulate, starting from undefined', async () => {
    const step: Step = { kind: 'accumulate', op: 'accumulate', fn: (a: number | undefined, n: number) => (a ?? 0) + n };
    expect(await through([1, 2, 3], step)).toEqual([6]);
    expect(await through([], step)).toEqual([]);
  });

  it('passes zero and emitEmpty of an accumulate step on', async () => {
    const step: Step = { kind: 'accumulate', op: 'count', fn: (a: number) => a + 1, zero: () => 10, emitEmpty: true };
    expect(await through(['x'], step)).toEqual([11]);
    expect(await through([], step)).toEqual([10]);
  });

  it('maps a localGroupBy step to localGroupBy, with its zero', async () => {
    const step: Step = {
      kind: 'localGroupBy',
      op: 'countBy',
      extractor: (r: string) => r,
      reducer: (_k: string, n: number) => n + 1,
      zero: () => 0,
    };
    expect(await through(['a', 'b', 'a'], step)).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
  });

  it('maps a limit step to limit with its length and start', async () => {
    expect(await through([1, 2, 3, 4, 5], { kind: 'limit', op: 'limit', length: 2, start: 1 })).toEqual([2, 3]);
  });

  it('applies the RxJS operators of a pipe step in order', async () => {
    const step: Step = {
      kind: 'pipe',
      op: 'pipe',
      operators: [rxMap((n: number) => n + 1), rxFilter((n: number) => n % 2 === 0), rxMap((n: number) => `#${n}`)],
    };
    expect(await through([1, 2, 3], step)).toEqual(['#2', '#4']);
  });

  it('makes an empty pipe step the identity', async () => {
    expect(await through([1, 2], { kind: 'pipe', op: 'pipe', operators: [] })).toEqual([1, 2]);
  });

  it('hands onError to the operator it builds', async () => {
    const errors: unknown[] = [];
    const error = new Error('bad');
    const step: Step = {
      kind: 'map',
      op: 'map',
      fn: (n: number) => {
        if (n === 2) throw error;
        return n;
      },
    };
    expect(await through([1, 2, 3], step, (e) => errors.push(e))).toEqual([1, 3]);
    expect(errors).toEqual([error]);
  });
});

describe('stepsOperator', () => {
  it('chains the steps in order', async () => {
    const steps: Step[] = [
      { kind: 'map', op: 'map', fn: (n: number) => n * 2 },
      { kind: 'collect', op: 'collect' },
      { kind: 'filter', op: 'filter', fn: (n: number) => n > 2 },
      { kind: 'accumulate', op: 'accumulate', fn: (a: number[] | undefined, n: number) => [...(a ?? []), n] },
    ];
    expect(await lastValueFrom(of(1, 2, 3).pipe(stepsOperator<number, number[]>(steps)))).toEqual([4, 6]);
  });

  it('is the identity with no steps', async () => {
    expect(await lastValueFrom(of(1, 2).pipe(stepsOperator<number, number>([]), toArray()))).toEqual([1, 2]);
  });

  it('hands onError to every step', async () => {
    const errors: unknown[] = [];
    const steps: Step[] = [
      {
        kind: 'map',
        op: 'map',
        fn: (n: number) => {
          if (n === 1) throw new Error('map');
          return n;
        },
      },
      {
        kind: 'filter',
        op: 'filter',
        fn: (n: number) => {
          if (n === 2) throw new Error('filter');
          return true;
        },
      },
    ];
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(stepsOperator<number, number>(steps, { onError: (e) => errors.push(e) }), toArray()),
    );
    expect(result).toEqual([3]);
    expect(errors).toEqual([new Error('map'), new Error('filter')]);
  });
});
