import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray, type Observable } from 'rxjs';
import { filter } from '../../operators/filter.ts';
import { scheduler } from '../support/rx.ts';

describe('filter (marbles)', () => {
  it('keeps the records whose predicate is truthy, in their own frames', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 2, c: 3, d: 4 });
      expectObservable(source.pipe(filter((n: number) => n % 2 === 0))).toBe('---b---d-|', { b: 2, d: 4 });
    });
  });

  it('uses truthiness, not `=== true`', () => {
    const values = { a: 0, b: '', c: null, d: undefined, e: Number.NaN, f: 'x', g: 1, h: {}, i: [] as unknown[] };
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcdefghi|', values);
      expectObservable(source.pipe(filter((v: unknown) => v))).toBe('-----fghi|', values);
    });
  });

  it('completes without emitting on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--|').pipe(filter(() => true))).toBe('--|');
    });
  });

  it('errors the stream when the predicate throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('bad predicate');
      const kept = cold('-a-b-|', { a: 1, b: 2 }).pipe(
        filter((n: number) => {
          if (n === 2) throw error;
          return true;
        }),
      );
      expectObservable(kept).toBe('-a-#', { a: 1 }, error);
    });
  });

  it('drops the record, reports the error and goes on when the predicate throws with onError', () => {
    const errors: unknown[] = [];
    const error = new Error('bad predicate');
    scheduler().run(({ cold, expectObservable }) => {
      const kept = cold('-a-b-c-|', { a: 1, b: 2, c: 3 }).pipe(
        filter(
          (n: number) => {
            if (n === 2) throw error;
            return true;
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(kept).toBe('-a---c-|', { a: 1, c: 3 });
    });
    expect(errors).toEqual([error]);
  });
});

describe('filter (types and async)', () => {
  it('narrows the record type with a type-guard predicate', async () => {
    const mixed: Observable<string | number> = of<(string | number)[]>('a', 1, 'b', 2);
    const strings: Observable<string> = mixed.pipe(filter((r): r is string => typeof r === 'string'));
    const result: string[] = await lastValueFrom(strings.pipe(toArray()));
    expect(result).toEqual(['a', 'b']);
  });

  it('keeps the record type with a plain predicate', async () => {
    const mixed: Observable<string | number> = of<(string | number)[]>('a', 1);
    // @ts-expect-error a predicate that is not a type guard does not narrow
    const narrowed: Observable<string> = mixed.pipe(filter((r) => String(r) === 'a'));
    expect(await lastValueFrom(narrowed.pipe(toArray()))).toEqual(['a']);
  });

  it('awaits a Promise predicate and keeps input order', async () => {
    const result = await lastValueFrom(
      of(5, 4, 3, 2, 1).pipe(
        filter((n) => new Promise<boolean>((resolve) => setTimeout(() => resolve(n % 2 === 1), n))),
        toArray(),
      ),
    );
    expect(result).toEqual([5, 3, 1]);
  });

  it('drops a record whose predicate rejects and reports the error', async () => {
    const errors: unknown[] = [];
    const error = new Error('rejected');
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(
        filter((n) => (n === 1 ? Promise.reject(error) : Promise.resolve(true)), { onError: (e) => errors.push(e) }),
        toArray(),
      ),
    );
    expect(result).toEqual([2, 3]);
    expect(errors).toEqual([error]);
  });
});
