import { describe, expect, it } from 'vitest';
import { concat, lastValueFrom, of, toArray } from 'rxjs';
import { avg, avgSteps } from '../../operators/avg.ts';
import { stepsOperator } from '../../operators/internal/stepOperator.ts';
import { scheduler } from '../support/rx.ts';

describe('avgSteps', () => {
  it('is accumulate, collect, accumulate, map, each named avg', () => {
    const steps = avgSteps();
    expect(steps.map((s) => s.kind)).toEqual(['accumulate', 'collect', 'accumulate', 'map']);
    expect(steps.map((s) => s.op)).toEqual(['avg', 'avg', 'avg', 'avg']);
  });

  it('weighs every record equally across shards (not a mean of means)', async () => {
    const steps = avgSteps();
    const local = steps.slice(0, 1);
    const shardA = of(1, 2, 3).pipe(stepsOperator(local)); // sum 6, count 3
    const shardB = of(10).pipe(stepsOperator(local)); // sum 10, count 1
    const shardC = of<number[]>().pipe(stepsOperator(local));
    const result = await lastValueFrom(concat(shardA, shardB, shardC).pipe(stepsOperator(steps.slice(1)), toArray()));
    expect(result).toEqual([4]);
  });
});

describe('avg', () => {
  it('emits the mean once, at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c|', { a: 1, b: 2, c: 6 }).pipe(avg())).toBe('------(m|)', { m: 3 });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(avg())).toBe('---|');
    });
  });

  it('reads numeric strings with the default extractor', async () => {
    expect(await lastValueFrom(of('14', '17', '35').pipe(avg()))).toBe(22);
  });

  it('averages what the extractor returns', async () => {
    const people = [{ age: 10 }, { age: 20 }];
    expect(await lastValueFrom(of(...people).pipe(avg((p) => p.age)))).toBe(15);
  });

  it('reports a non-numeric value to onError and leaves it out of the mean', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of<unknown[]>(2, 'abc', 4).pipe(avg(Number, { onError: (e) => errors.push(e) })),
    );
    expect(result).toBe(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TypeError);
    expect((errors[0] as Error).message).toBe('avg: "abc" is not a number');
  });

  it('reports an extractor that returns a Promise and leaves the record out', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of(2, 3, 4).pipe(avg((n) => (n === 3 ? Promise.resolve(n) : n), { onError: (e) => errors.push(e) })),
    );
    expect(result).toBe(3);
    expect(errors).toEqual([new TypeError('avg extractor returned a Promise: extractors must be synchronous')]);
  });

  it('emits nothing, not NaN, when no value was numeric', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(of('x', 'y').pipe(avg(Number, { onError: (e) => errors.push(e) }), toArray()));
    expect(result).toEqual([]);
    expect(errors).toHaveLength(2);
  });

  it('errors the stream on a non-numeric value when there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const averaged = cold('-a-b-|', { a: 1, b: 'abc' }).pipe(avg());
      expectObservable(averaged).toBe('---#', undefined, new TypeError('avg: "abc" is not a number'));
    });
  });

  it('starts from a zero sum on every subscription', async () => {
    const averaged = of(2, 4).pipe(avg());
    expect(await lastValueFrom(averaged)).toBe(3);
    expect(await lastValueFrom(averaged)).toBe(3);
  });
});
