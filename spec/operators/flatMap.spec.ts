import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { flatMap } from '../../operators/flatMap.ts';
import { scheduler } from '../support/rx.ts';

const collect = <T>(
  records: readonly unknown[],
  expander: (record: never) => unknown,
  onError?: (e: unknown) => void,
) =>
  lastValueFrom(
    of(...records).pipe(flatMap(expander as (record: unknown) => T, onError ? { onError } : {}), toArray()),
  );

describe('flatMap (marbles)', () => {
  it('emits the items of an array in order, in the frame of their record', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-----b-c-|', { a: [1, 2, 3], b: [], c: [4] });
      expectObservable(source.pipe(flatMap((list: number[]) => list))).toBe('-(xyz)---w-|', {
        x: 1,
        y: 2,
        z: 3,
        w: 4,
      });
    });
  });

  it('completes without emitting on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('--|').pipe(flatMap((n: number) => [n, n]))).toBe('--|');
    });
  });

  it('errors the stream when the expander throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('cannot expand');
      const expanded = cold('-a---b-|', { a: 1, b: 2 }).pipe(
        flatMap((n: number) => {
          if (n === 2) throw error;
          return [n, n];
        }),
      );
      expectObservable(expanded).toBe('-(xx)#', { x: 1 }, error);
    });
  });

  it('drops the record, reports the error and goes on when the expander throws with onError', () => {
    const errors: unknown[] = [];
    const error = new Error('cannot expand');
    scheduler().run(({ cold, expectObservable }) => {
      const expanded = cold('-a-b-c-|', { a: 1, b: 2, c: 3 }).pipe(
        flatMap(
          (n: number) => {
            if (n === 2) throw error;
            return [n];
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(expanded).toBe('-x---z-|', { x: 1, z: 3 });
    });
    expect(errors).toEqual([error]);
  });
});

describe('flatMap (what expands)', () => {
  it('expands a Set in insertion order', async () => {
    expect(await collect([new Set(['b', 'a', 'b', 'c'])], (s: Set<string>) => s)).toEqual(['b', 'a', 'c']);
  });

  it('expands a generator in order', async () => {
    function* upTo(n: number): Generator<number> {
      for (let i = 1; i <= n; i++) yield i;
    }
    expect(await collect([2, 3], (n: number) => upTo(n))).toEqual([1, 2, 1, 2, 3]);
  });

  it('expands a Map into its entries', async () => {
    expect(
      await collect(
        [
          new Map([
            ['k1', 1],
            ['k2', 2],
          ]),
        ],
        (m: Map<string, number>) => m,
      ),
    ).toEqual([
      ['k1', 1],
      ['k2', 2],
    ]);
  });

  it('emits a string as one record, not its characters', async () => {
    expect(await collect(['abc', 'de'], (s: string) => s)).toEqual(['abc', 'de']);
  });

  it('emits numbers, null, undefined and plain objects as one record each', async () => {
    const records = [7, null, undefined, { a: [1, 2] }];
    expect(await collect(records, (r: unknown) => r)).toEqual(records);
  });

  it('expands nested arrays one level only', async () => {
    expect(await collect([[[1, 2], [3]]], (r: number[][]) => r)).toEqual([[1, 2], [3]]);
  });

  it('expands the array of a Promise and keeps input order when later promises resolve first', async () => {
    const result = await collect(
      [3, 2, 1],
      (n: number) => new Promise<number[]>((resolve) => setTimeout(() => resolve([n, n * 10]), n)),
    );
    expect(result).toEqual([3, 30, 2, 20, 1, 10]);
  });

  it('drops every item of a generator that throws midway and reports the error', async () => {
    const errors: unknown[] = [];
    const error = new Error('generator broke');
    function* broken(): Generator<number> {
      yield 1;
      yield 2;
      throw error;
    }
    const result = await collect(
      [0, 9],
      (n: number) => (n === 0 ? broken() : [n]),
      (e) => errors.push(e),
    );
    expect(result).toEqual([9]);
    expect(errors).toEqual([error]);
  });

  it('drops a record whose promise rejects and reports the error', async () => {
    const errors: unknown[] = [];
    const error = new Error('rejected');
    const result = await collect(
      [1, 2, 3],
      (n: number) => (n === 2 ? Promise.reject(error) : Promise.resolve([n])),
      (e) => errors.push(e),
    );
    expect(result).toEqual([1, 3]);
    expect(errors).toEqual([error]);
  });
});
