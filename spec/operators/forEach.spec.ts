import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { forEach } from '../../operators/forEach.ts';
import { scheduler, flush } from '../support/rx.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

describe('forEach (marbles)', () => {
  it('runs the effect for each record in order and passes the record on unchanged', () => {
    const effects: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b--c|', { a: 1, b: 2, c: 3 });
      // The effect's return value is ignored: the record itself goes on.
      const passed = source.pipe(forEach((n: number) => effects.push(n * 100)));
      expectObservable(passed).toBe('-a-b--c|', { a: 1, b: 2, c: 3 });
    });
    expect(effects).toEqual([100, 200, 300]);
  });

  it('completes without calling the effect on empty input', () => {
    let calls = 0;
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-|').pipe(forEach(() => calls++))).toBe('-|');
    });
    expect(calls).toBe(0);
  });

  it('errors the stream when the effect throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('effect failed');
      const passed = cold('-a-b-|', { a: 1, b: 2 }).pipe(
        forEach((n: number) => {
          if (n === 2) throw error;
        }),
      );
      expectObservable(passed).toBe('-a-#', { a: 1 }, error);
    });
  });

  it('drops the record, reports the error and goes on when the effect throws with onError', () => {
    const errors: unknown[] = [];
    const error = new Error('effect failed');
    scheduler().run(({ cold, expectObservable }) => {
      const passed = cold('-a-b-c|', { a: 1, b: 2, c: 3 }).pipe(
        forEach(
          (n: number) => {
            if (n === 2) throw error;
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(passed).toBe('-a---c|', { a: 1, c: 3 });
    });
    expect(errors).toEqual([error]);
  });
});

describe('forEach (async)', () => {
  it('passes the record on only after the effect’s promise settled', async () => {
    const gate = deferred();
    const seen: string[] = [];
    let completed = false;
    of('r1')
      .pipe(forEach(() => gate.promise))
      .subscribe({ next: (r) => seen.push(r), complete: () => (completed = true) });
    await flush();
    expect(seen).toEqual([]);
    expect(completed).toBe(false);
    gate.resolve();
    await flush();
    expect(seen).toEqual(['r1']);
    expect(completed).toBe(true);
  });

  it('keeps input order when later effects finish first', async () => {
    const finished: number[] = [];
    const resolvers = new Map<number, () => void>();
    const done = lastValueFrom(
      of(3, 1, 2).pipe(
        forEach((n) => new Promise<void>((resolve) => resolvers.set(n, () => resolve(void finished.push(n))))),
        toArray(),
      ),
    );
    // Settle the effects in the opposite order to the records' (deterministic, no timers).
    for (const n of [1, 2, 3]) {
      resolvers.get(n)!();
      await Promise.resolve();
    }
    expect(await done).toEqual([3, 1, 2]);
    expect(finished).toEqual([1, 2, 3]);
  });

  it('never has more than `concurrency` effects pending', async () => {
    let pending = 0;
    let maxPending = 0;
    const result = await lastValueFrom(
      of(1, 2, 3, 4, 5).pipe(
        forEach(
          async () => {
            pending++;
            maxPending = Math.max(maxPending, pending);
            await flush();
            pending--;
          },
          { concurrency: 2 },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([1, 2, 3, 4, 5]);
    expect(maxPending).toBe(2);
  });

  it('drops a record whose effect rejects and reports the error', async () => {
    const errors: unknown[] = [];
    const error = new Error('write failed');
    const result = await lastValueFrom(
      of('a', 'b', 'c').pipe(
        forEach((r) => (r === 'b' ? Promise.reject(error) : Promise.resolve()), { onError: (e) => errors.push(e) }),
        toArray(),
      ),
    );
    expect(result).toEqual(['a', 'c']);
    expect(errors).toEqual([error]);
  });
});
