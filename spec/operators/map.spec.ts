import { describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, of, Subject, take, toArray } from 'rxjs';
import { map } from '../../operators/map.ts';
import { scheduler, deferred, flush } from '../support/rx.ts';

describe('map (marbles)', () => {
  it('emits the mapped record in the frame of its input and completes with the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b-c-|', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(map((n: number) => n * 10))).toBe('-x--y-z-|', { x: 10, y: 20, z: 30 });
      expectSubscriptions(source.subscriptions).toBe('^-------!');
    });
  });

  it('completes without emitting on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('---|').pipe(map((n: number) => n))).toBe('---|');
    });
  });

  it('passes an error from the source through', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('reader failed');
      expectObservable(cold('-a-#', { a: 1 }, error).pipe(map((n: number) => n + 1))).toBe('-x-#', { x: 2 }, error);
    });
  });

  it('errors the stream and unsubscribes the source when the mapper throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const error = new Error('bad record');
      const source = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
      const mapped = source.pipe(
        map((n: number) => {
          if (n === 2) throw error;
          return n;
        }),
      );
      expectObservable(mapped).toBe('-a-#', { a: 1 }, error);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('drops the record, reports the error to onError and goes on when the mapper throws', () => {
    const errors: unknown[] = [];
    const error = new Error('bad record');
    scheduler().run(({ cold, expectObservable }) => {
      const mapped = cold('-a-b-c-|', { a: 1, b: 2, c: 3 }).pipe(
        map(
          (n: number) => {
            if (n === 2) throw error;
            return n * 10;
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(mapped).toBe('-x---z-|', { x: 10, z: 30 });
    });
    expect(errors).toEqual([error]);
  });
});

describe('map (async)', () => {
  it('awaits a Promise returned by the mapper', async () => {
    expect(
      await lastValueFrom(
        of(1, 2, 3).pipe(
          map(async (n) => n * 2),
          toArray(),
        ),
      ),
    ).toEqual([2, 4, 6]);
  });

  it('awaits a thenable that is not a native Promise', async () => {
    const thenable = (value: string): PromiseLike<string> => ({
      then: (onFulfilled) => Promise.resolve(value).then(onFulfilled),
    });
    expect(
      await lastValueFrom(
        of('a', 'b').pipe(
          map((s) => thenable(s.toUpperCase())),
          toArray(),
        ),
      ),
    ).toEqual(['A', 'B']);
  });

  it('keeps input order when later promises resolve first', async () => {
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()];
    const seen: string[] = [];
    const subscription = of(0, 1, 2)
      .pipe(map((i) => gates[i]!.promise))
      .subscribe((value) => seen.push(value));
    gates[2]!.resolve('c');
    gates[1]!.resolve('b');
    await flush();
    expect(seen).toEqual([]);
    gates[0]!.resolve('a');
    await flush();
    expect(seen).toEqual(['a', 'b', 'c']);
    subscription.unsubscribe();
  });

  it('keeps input order when synchronous and asynchronous results mix', async () => {
    const result = await lastValueFrom(
      of(1, 2, 3, 4, 5).pipe(
        map((n) => (n % 2 === 0 ? n : new Promise<number>((resolve) => setImmediate(() => resolve(n))))),
        toArray(),
      ),
    );
    expect(result).toEqual([1, 2, 3, 4, 5]);
  });

  it('never has more than `concurrency` promises pending', async () => {
    let pending = 0;
    let maxPending = 0;
    const result = await lastValueFrom(
      of(1, 2, 3, 4, 5, 6, 7).pipe(
        map(
          async (n) => {
            pending++;
            maxPending = Math.max(maxPending, pending);
            await flush();
            pending--;
            return n;
          },
          { concurrency: 2 },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(maxPending).toBe(2);
  });

  it('runs up to 64 promises at once by default', async () => {
    let pending = 0;
    let maxPending = 0;
    const records = Array.from({ length: 100 }, (_, i) => i);
    const result = await lastValueFrom(
      of(...records).pipe(
        map(async (n) => {
          pending++;
          maxPending = Math.max(maxPending, pending);
          await flush();
          pending--;
          return n;
        }),
        toArray(),
      ),
    );
    expect(result).toEqual(records);
    expect(maxPending).toBe(64);
  });

  it('drops a record whose promise rejects and reports the error to onError', async () => {
    const errors: unknown[] = [];
    const error = new Error('rejected');
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(
        map((n) => (n === 2 ? Promise.reject(error) : Promise.resolve(n)), { onError: (e) => errors.push(e) }),
        toArray(),
      ),
    );
    expect(result).toEqual([1, 3]);
    expect(errors).toEqual([error]);
  });

  it('errors the stream when a promise rejects and there is no onError', async () => {
    const error = new Error('rejected');
    await expect(firstValueFrom(of(1).pipe(map(() => Promise.reject(error))))).rejects.toBe(error);
  });

  it('calls the mapper no more once the downstream unsubscribed (synchronous source)', () => {
    const called: number[] = [];
    const seen: number[] = [];
    of(1, 2, 3, 4, 5)
      .pipe(
        map((n) => {
          called.push(n);
          return n;
        }),
        take(2),
      )
      .subscribe((n) => seen.push(n));
    expect(seen).toEqual([1, 2]);
    expect(called).toEqual([1, 2]);
  });

  it('calls the mapper no more once it threw without onError (synchronous source)', () => {
    const called: number[] = [];
    let failure: unknown;
    of(1, 2, 3)
      .pipe(
        map((n) => {
          called.push(n);
          throw new Error(`bad ${n}`);
        }),
      )
      .subscribe({ error: (e: unknown) => (failure = e) });
    expect(called).toEqual([1]);
    expect(failure).toEqual(new Error('bad 1'));
  });

  it('stops calling the mapper and emits nothing more after an unsubscribe', async () => {
    const source = new Subject<number>();
    const gate = deferred<number>();
    const called: number[] = [];
    const seen: number[] = [];
    const subscription = source
      .pipe(
        map((n) => {
          called.push(n);
          return gate.promise;
        }),
      )
      .subscribe((n) => seen.push(n));
    source.next(1);
    subscription.unsubscribe();
    source.next(2);
    gate.resolve(10);
    await flush();
    expect(called).toEqual([1]);
    expect(seen).toEqual([]);
    expect(source.observed).toBe(false);
  });
});
