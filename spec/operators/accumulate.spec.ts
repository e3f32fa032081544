import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, Subject, toArray } from 'rxjs';
import { accumulate } from '../../operators/accumulate.ts';
import { scheduler, deferred, flush } from '../support/rx.ts';

const sum = (total: number | undefined, n: number): number => (total ?? 0) + n;

describe('accumulate (marbles)', () => {
  it('emits the accumulator once, in the frame the source completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b--c-|', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(accumulate(sum))).toBe('--------(x|)', { x: 6 });
    });
  });

  it('starts from undefined', () => {
    const seen: unknown[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const folded = cold('-a-b|', { a: 'x', b: 'y' }).pipe(
        accumulate((acc: string | undefined, r: string) => {
          seen.push(acc);
          return (acc ?? '') + r;
        }),
      );
      expectObservable(folded).toBe('----(s|)', { s: 'xy' });
    });
    expect(seen).toEqual([undefined, 'x']);
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('--|').pipe(accumulate(sum))).toBe('--|');
    });
  });

  it('emits nothing on empty input even with a zero, unless emitEmpty', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('--|').pipe(accumulate(sum, { zero: () => 0 }))).toBe('--|');
    });
  });

  it('emits the zero on empty input with emitEmpty', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('--|').pipe(accumulate(sum, { zero: () => 0, emitEmpty: true }))).toBe('--(z|)', {
        z: 0,
      });
    });
  });

  it('folds from the zero when there is one', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const folded = cold('-a-b|', { a: 1, b: 2 }).pipe(accumulate(sum, { zero: () => 100, emitEmpty: true }));
      expectObservable(folded).toBe('----(x|)', { x: 103 });
    });
  });

  it('passes an error from the source through without emitting', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('reader failed');
      expectObservable(cold('-a-#', { a: 1 }, error).pipe(accumulate(sum))).toBe('---#', undefined, error);
    });
  });

  it('errors the stream when the reducer throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const error = new Error('bad record');
      const source = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
      const folded = source.pipe(
        accumulate((total: number | undefined, n: number) => {
          if (n === 2) throw error;
          return sum(total, n);
        }),
      );
      expectObservable(folded).toBe('---#', undefined, error);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('drops the record and keeps the accumulator when the reducer throws with onError', () => {
    const errors: unknown[] = [];
    const error = new Error('bad record');
    scheduler().run(({ cold, expectObservable }) => {
      const folded = cold('-a-b-c-|', { a: 1, b: 2, c: 3 }).pipe(
        accumulate(
          (total: number | undefined, n: number) => {
            if (n === 2) throw error;
            return sum(total, n);
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(folded).toBe('-------(x|)', { x: 4 });
    });
    expect(errors).toEqual([error]);
  });

  it('emits nothing when every record failed', () => {
    const errors: unknown[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const folded = cold('-a-b|', { a: 1, b: 2 }).pipe(
        accumulate(
          () => {
            throw new Error('always');
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(folded).toBe('----|');
    });
    expect(errors).toHaveLength(2);
  });

  it('makes a fresh zero for every subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const folded = cold('-a-b|', { a: 1, b: 2 }).pipe(
        accumulate(
          (list: number[] | undefined, n: number) => {
            list!.push(n);
            return list!;
          },
          { zero: () => [] as number[] },
        ),
      );
      expectObservable(folded).toBe('----(x|)', { x: [1, 2] });
      expectObservable(folded).toBe('----(x|)', { x: [1, 2] });
    });
  });
});

describe('accumulate (async)', () => {
  it('awaits an async reducer and folds in input order', async () => {
    const result = await lastValueFrom(
      of('a', 'b', 'c').pipe(
        accumulate(async (acc: string | undefined, r: string) => {
          await flush();
          return (acc ?? '') + r;
        }),
        toArray(),
      ),
    );
    expect(result).toEqual(['abc']);
  });

  it('folds one record at a time: never two reducers in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: [number | undefined, number][] = [];
    const result = await lastValueFrom(
      of(1, 2, 3, 4).pipe(
        accumulate(async (total: number | undefined, n: number) => {
          calls.push([total, n]);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await flush();
          inFlight--;
          return (total ?? 0) + n;
        }),
      ),
    );
    expect(result).toBe(10);
    expect(maxInFlight).toBe(1);
    expect(calls).toEqual([
      [undefined, 1],
      [1, 2],
      [3, 3],
      [6, 4],
    ]);
  });

  it('leaves the accumulator unchanged when the reducer rejects, and reports the error', async () => {
    const errors: unknown[] = [];
    const error = new Error('rejected');
    const seen: (number | undefined)[] = [];
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(
        accumulate(
          (total: number | undefined, n: number) => {
            seen.push(total);
            return n === 2 ? Promise.reject(error) : Promise.resolve((total ?? 0) + n);
          },
          { onError: (e) => errors.push(e) },
        ),
      ),
    );
    expect(result).toBe(4);
    expect(seen).toEqual([undefined, 1, 1]);
    expect(errors).toEqual([error]);
  });

  it('errors the stream when the reducer rejects and there is no onError', async () => {
    const error = new Error('rejected');
    await expect(lastValueFrom(of(1).pipe(accumulate(() => Promise.reject(error))))).rejects.toBe(error);
  });

  it('emits only after the last async step settled', async () => {
    const gate = deferred<number>();
    const seen: number[] = [];
    let completed = false;
    of(1)
      .pipe(accumulate(() => gate.promise))
      .subscribe({ next: (n) => seen.push(n), complete: () => (completed = true) });
    await flush();
    expect(seen).toEqual([]);
    expect(completed).toBe(false);
    gate.resolve(42);
    await flush();
    expect(seen).toEqual([42]);
    expect(completed).toBe(true);
  });

  it('calls the reducer no more after an unsubscribe', async () => {
    const source = new Subject<number>();
    const gate = deferred<number>();
    const called: number[] = [];
    const seen: number[] = [];
    const subscription = source
      .pipe(
        accumulate((_total: number | undefined, n: number) => {
          called.push(n);
          return gate.promise;
        }),
      )
      .subscribe((n) => seen.push(n));
    source.next(1);
    source.next(2); // waits behind the pending step
    subscription.unsubscribe();
    gate.resolve(1);
    await flush();
    source.complete();
    await flush();
    expect(called).toEqual([1]);
    expect(seen).toEqual([]);
  });
});
