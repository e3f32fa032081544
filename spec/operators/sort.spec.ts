import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { defaultCompare, sort, sortOptions, sortSteps } from '../../operators/sort.ts';
import { scheduler } from '../support/rx.ts';

const sorted = <T>(records: readonly T[], ...args: Parameters<typeof sort<T>>): Promise<T[]> =>
  lastValueFrom(of(...records).pipe(sort(...args), toArray()));

describe('sortSteps', () => {
  it('is collect, accumulate into a list, flatMap the sorted list, each named sort', () => {
    const steps = sortSteps();
    expect(steps.map((s) => s.kind)).toEqual(['collect', 'accumulate', 'flatMap']);
    expect(steps.map((s) => s.op)).toEqual(['sort', 'sort', 'sort']);
  });
});

describe('sortOptions', () => {
  it('reads RedisGears’ sort(reverse) boolean', () => {
    expect(sortOptions(true)).toEqual({ reverse: true });
    expect(sortOptions(false)).toEqual({ reverse: false });
  });

  it('passes options through and defaults to none', () => {
    const compare = (a: number, b: number): number => a - b;
    expect(sortOptions({ compare })).toEqual({ compare });
    expect(sortOptions(undefined)).toEqual({});
  });
});

describe('sort (marbles)', () => {
  it('emits every record in order, at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', { a: 3, b: 1, c: 2 });
      expectObservable(source.pipe(sort())).toBe('-------(xyz|)', { x: 1, y: 2, z: 3 });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--|').pipe(sort())).toBe('--|');
    });
  });

  it('starts every subscription from an empty list', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const sortedStream = cold('-a-b|', { a: 2, b: 1 }).pipe(sort());
      expectObservable(sortedStream).toBe('----(xy|)', { x: 1, y: 2 });
      expectObservable(sortedStream).toBe('----(xy|)', { x: 1, y: 2 });
    });
  });
});

describe('sort (order)', () => {
  it('sorts ascending by default, numbers numerically (10 after 9)', async () => {
    expect(await sorted([10, 9, 1, -2, 2.5, 100])).toEqual([-2, 1, 2.5, 9, 10, 100]);
  });

  it('sorts descending with sort(true) and sort({ reverse: true })', async () => {
    expect(await sorted([10, 9, 100], true)).toEqual([100, 10, 9]);
    expect(await sorted([10, 9, 100], { reverse: true })).toEqual([100, 10, 9]);
  });

  it('sorts strings by code point, not by locale', async () => {
    expect(await sorted(['b', 'a', 'B', 'é', 'z', 'A'])).toEqual(['A', 'B', 'a', 'b', 'z', 'é']);
  });

  it('puts numbers before strings before other values', async () => {
    const records: unknown[] = [{ a: 1 }, 'b', 2, true, 'a', 1, null, false];
    expect(await sorted(records)).toEqual([1, 2, 'a', 'b', false, true, null, { a: 1 }]);
  });

  it('uses a custom compare', async () => {
    expect(await sorted(['ccc', 'a', 'bb'], { compare: (x, y) => x.length - y.length })).toEqual(['a', 'bb', 'ccc']);
  });

  it('flips a custom compare with reverse', async () => {
    expect(await sorted(['ccc', 'a', 'bb'], { compare: (x, y) => x.length - y.length, reverse: true })).toEqual([
      'ccc',
      'bb',
      'a',
    ]);
  });

  it('drops the list and reports the error when the compare throws', async () => {
    const errors: unknown[] = [];
    const error = new Error('incomparable');
    const result = await lastValueFrom(
      of(1, 2).pipe(
        sort(
          {
            compare: () => {
              throw error;
            },
          },
          { onError: (e) => errors.push(e) },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([]);
    expect(errors).toEqual([error]);
  });
});

describe('sort (compare returning a Promise)', () => {
  it('reports the error and drops the list', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of(1, 2).pipe(sort({ compare: (async () => 0) as never }, { onError: (e) => errors.push(e) }), toArray()),
    );
    expect(result).toEqual([]);
    expect(errors).toEqual([new TypeError('sort compare returned a Promise: it must return a number')]);
  });
});

describe('defaultCompare', () => {
  it('compares numbers and bigints numerically', () => {
    expect(defaultCompare(9, 10)).toBeLessThan(0);
    expect(defaultCompare(10n, 9)).toBeGreaterThan(0);
    expect(defaultCompare(3, 3)).toBe(0);
  });

  it('compares objects by canonical JSON', () => {
    expect(defaultCompare({ b: 1, a: 2 }, { a: 2, b: 1 })).toBe(0);
    expect(defaultCompare({ a: 1 }, { a: 2 })).toBeLessThan(0);
  });
});
