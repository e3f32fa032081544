import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, Subject, take, toArray } from 'rxjs';
import { orderedStep, sequentialStep } from '../../../operators/internal/ordered.ts';
import { scheduler, deferred, flush } from '../../support/rx.ts';

/** An orderedStep that emits `[record, result]` pairs, to see what `emit` is handed. */
const pairs = <T>(project: (record: T) => unknown, options = {}) =>
  orderedStep<T, [T, unknown]>(project, (out, record, result) => out.next([record, result]), options);

describe('orderedStep', () => {
  it('hands emit the record and the callback’s result, in the same frame', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', { a: 1, b: 2 });
      expectObservable(source.pipe(pairs((n: number) => n * 10))).toBe('-x-y|', { x: [1, 10], y: [2, 20] });
    });
  });

  it('emits synchronous results synchronously', () => {
    const seen: unknown[] = [];
    of(1, 2)
      .pipe(pairs((n: number) => -n))
      .subscribe((p) => seen.push(p));
    expect(seen).toEqual([
      [1, -1],
      [2, -2],
    ]);
  });

  it('holds synchronous results behind an earlier pending promise', async () => {
    const gate = deferred<string>();
    const seen: unknown[] = [];
    let completed = false;
    of(1, 2, 3)
      .pipe(pairs((n: number) => (n === 1 ? gate.promise : `sync${n}`)))
      .subscribe({ next: (p) => seen.push(p), complete: () => (completed = true) });
    expect(seen).toEqual([]);
    gate.resolve('async1');
    await flush();
    expect(seen).toEqual([
      [1, 'async1'],
      [2, 'sync2'],
      [3, 'sync3'],
    ]);
    expect(completed).toBe(true);
  });

  it('starts waiting records in input order as slots free up', async () => {
    const gates = [deferred<number>(), deferred<number>(), deferred<number>(), deferred<number>()];
    const started: number[] = [];
    const seen: unknown[] = [];
    of(0, 1, 2, 3)
      .pipe(
        pairs(
          (i: number) => {
            started.push(i);
            return gates[i]!.promise;
          },
          { concurrency: 2 },
        ),
      )
      .subscribe((p) => seen.push(p));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve(1);
    await flush();
    expect(started).toEqual([0, 1, 2]);
    expect(seen).toEqual([]);
    gates[0]!.resolve(0);
    await flush();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(seen).toEqual([
      [0, 0],
      [1, 1],
    ]);
    gates[3]!.resolve(3);
    gates[2]!.resolve(2);
    await flush();
    expect(seen.map((p) => (p as unknown[])[0])).toEqual([0, 1, 2, 3]);
  });

  it('keeps input order when a record arrives re-entrantly while others wait', async () => {
    const source = new Subject<number>();
    const seen: number[] = [];
    source
      .pipe(
        orderedStep<number, number>(
          async (n) => n,
          (out, _r, v) => out.next(v as number),
          { concurrency: 1 },
        ),
      )
      .subscribe((n) => {
        seen.push(n);
        if (n === 1) source.next(3); // arrives while 2 waits for a slot
      });
    source.next(1);
    source.next(2);
    await flush();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('completes only after every pending promise settled', async () => {
    const gate = deferred<number>();
    const source = new Subject<number>();
    let completed = false;
    source.pipe(pairs(() => gate.promise)).subscribe({ complete: () => (completed = true) });
    source.next(1);
    source.complete();
    await flush();
    expect(completed).toBe(false);
    gate.resolve(1);
    await flush();
    expect(completed).toBe(true);
  });

  it('errors at once when the source errors, even with promises pending', () => {
    const source = new Subject<number>();
    let failure: unknown;
    source.pipe(pairs(() => new Promise(() => {}))).subscribe({ error: (e: unknown) => (failure = e) });
    source.next(1);
    source.error(new Error('source failed'));
    expect(failure).toEqual(new Error('source failed'));
  });

  it('reports an error thrown by emit to onError and goes on', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(
        orderedStep<number, number>(
          (n) => n,
          (out, n) => {
            if (n === 2) throw new Error('emit failed');
            out.next(n);
          },
          { onError: (e) => errors.push(e) },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([1, 3]);
    expect(errors).toEqual([new Error('emit failed')]);
  });

  it('starts no waiting record once a callback threw without onError', async () => {
    const gate = deferred<number>();
    const started: number[] = [];
    let failure: unknown;
    of(1, 2, 3, 4)
      .pipe(
        pairs(
          (n: number) => {
            started.push(n);
            if (n === 1) return gate.promise;
            throw new Error(`bad ${n}`);
          },
          { concurrency: 1 },
        ),
      )
      .subscribe({ error: (e: unknown) => (failure = e) });
    gate.resolve(1);
    await flush();
    expect(failure).toEqual(new Error('bad 2'));
    expect(started).toEqual([1, 2]);
  });

  it('calls no callback after the downstream took what it wanted', () => {
    const started: number[] = [];
    of(1, 2, 3, 4)
      .pipe(
        pairs((n: number) => started.push(n)),
        take(1),
      )
      .subscribe();
    expect(started).toEqual([1]);
  });
});

describe('sequentialStep', () => {
  it('runs finish once the source completed and hands it the subscriber', () => {
    const stepped: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: 1, b: 2 });
      const folded = source.pipe(
        sequentialStep<number, string>(
          (n) => void stepped.push(n),
          (out) => out.next(`after ${stepped.length}`),
        ),
      );
      expectObservable(folded).toBe('-----(x|)', { x: 'after 2' });
    });
    expect(stepped).toEqual([1, 2]);
  });

  it('holds later records back until a step’s promise settled', async () => {
    const gates = [deferred<void>(), deferred<void>()];
    const started: number[] = [];
    let finished = false;
    of(0, 1)
      .pipe(
        sequentialStep<number, never>(
          (i) => {
            started.push(i);
            return gates[i]!.promise;
          },
          () => (finished = true),
        ),
      )
      .subscribe();
    expect(started).toEqual([0]);
    gates[0]!.resolve();
    await flush();
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(false);
    gates[1]!.resolve();
    await flush();
    expect(finished).toBe(true);
  });

  it('goes on after a rejected step with onError', async () => {
    const errors: unknown[] = [];
    const stepped: number[] = [];
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(
        sequentialStep<number, number[]>(
          (n) => (n === 2 ? Promise.reject(new Error('step failed')) : Promise.resolve(void stepped.push(n))),
          (out) => out.next([...stepped]),
          { onError: (e) => errors.push(e) },
        ),
      ),
    );
    expect(result).toEqual([1, 3]);
    expect(errors).toEqual([new Error('step failed')]);
  });

  it('errors the stream when finish throws', async () => {
    const folded = of(1).pipe(
      sequentialStep<number, never>(
        () => undefined,
        () => {
          throw new Error('finish failed');
        },
      ),
    );
    await expect(lastValueFrom(folded)).rejects.toEqual(new Error('finish failed'));
  });

  it('calls no step after one threw without onError (synchronous source)', () => {
    const stepped: number[] = [];
    let failure: unknown;
    of(1, 2, 3)
      .pipe(
        sequentialStep<number, never>(
          (n) => {
            stepped.push(n);
            throw new Error(`bad ${n}`);
          },
          () => undefined,
        ),
      )
      .subscribe({ error: (e: unknown) => (failure = e) });
    expect(stepped).toEqual([1]);
    expect(failure).toEqual(new Error('bad 1'));
  });

  it('calls neither step nor finish after an unsubscribe', async () => {
    const source = new Subject<number>();
    const gate = deferred<void>();
    const stepped: number[] = [];
    let finished = false;
    const subscription = source
      .pipe(
        sequentialStep<number, never>(
          (n) => {
            stepped.push(n);
            return gate.promise;
          },
          () => (finished = true),
        ),
      )
      .subscribe();
    source.next(1);
    source.next(2);
    subscription.unsubscribe();
    gate.resolve();
    await flush();
    expect(stepped).toEqual([1]);
    expect(finished).toBe(false);
  });
});
