import { describe, expect, it } from 'vitest';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import { limit } from '../../operators/limit.ts';
import { GearsBuildError } from '../../lib/errors.ts';
import { scheduler } from '../support/rx.ts';

/** Emits 0, 1, 2, … synchronously while subscribed, counting what it emitted. */
function countingSource(total: number): {
  source: Observable<number>;
  emitted: () => number;
  subscribed: () => number;
} {
  let emitted = 0;
  let subscribed = 0;
  const source = new Observable<number>((subscriber) => {
    subscribed++;
    for (let i = 0; i < total && !subscriber.closed; i++) {
      emitted++;
      subscriber.next(i);
    }
    subscriber.complete();
  });
  return { source, emitted: () => emitted, subscribed: () => subscribed };
}

describe('limit (marbles)', () => {
  it('passes the first `length` records and completes with the last one, unsubscribing the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 2, c: 3, d: 4 });
      expectObservable(source.pipe(limit(2))).toBe('-a-(b|)', { a: 1, b: 2 });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('skips `start` records first', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 2, c: 3, d: 4 });
      expectObservable(source.pipe(limit(2, 1))).toBe('---b-(c|)', { b: 2, c: 3 });
    });
  });

  it('passes everything when there are fewer records than the limit', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', { a: 1, b: 2 }).pipe(limit(5))).toBe('-a-b-|', { a: 1, b: 2 });
    });
  });

  it('emits nothing when `start` is past the end', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', { a: 1, b: 2 }).pipe(limit(5, 3))).toBe('-----|');
    });
  });

  it('completes at once with limit(0)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|', { a: 1, b: 2 }).pipe(limit(0))).toBe('|');
    });
  });

  it('passes an error from the source through before the limit is reached', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('reader failed');
      expectObservable(cold('-a-#', { a: 1 }, error).pipe(limit(3))).toBe('-a-#', { a: 1 }, error);
    });
  });
});

describe('limit (upstream and arguments)', () => {
  it('stops the upstream once it took enough records', async () => {
    const { source, emitted, subscribed } = countingSource(1000);
    expect(await lastValueFrom(source.pipe(limit(3), toArray()))).toEqual([0, 1, 2]);
    expect(emitted()).toBe(3);
    expect(subscribed()).toBe(1);
  });

  it('pulls only start + length records from the upstream', async () => {
    const { source, emitted } = countingSource(1000);
    expect(await lastValueFrom(source.pipe(limit(2, 5), toArray()))).toEqual([5, 6]);
    expect(emitted()).toBe(7);
  });

  it.each([
    ['a negative length', () => limit(-1)],
    ['a fractional length', () => limit(1.5)],
    ['a string length', () => limit('3' as never)],
    ['a negative start', () => limit(1, -1)],
    ['a NaN start', () => limit(1, Number.NaN)],
  ])('throws GearsBuildError for %s', (_what, build) => {
    expect(build).toThrow(GearsBuildError);
    expect(build).toThrow('limit argument must be a number');
  });
});
