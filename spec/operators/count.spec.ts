import { describe, expect, it } from 'vitest';
import { concat, lastValueFrom, of, toArray } from 'rxjs';
import { count, countSteps } from '../../operators/count.ts';
import { stepsOperator } from '../../operators/internal/stepOperator.ts';
import { scheduler } from '../support/rx.ts';

describe('countSteps', () => {
  it('is accumulate (emitting on empty input), collect, accumulate, each named count', () => {
    const steps = countSteps();
    expect(steps.map((s) => s.kind)).toEqual(['accumulate', 'collect', 'accumulate']);
    expect(steps.map((s) => s.op)).toEqual(['count', 'count', 'count']);
    expect(steps[0]).toMatchObject({ emitEmpty: true });
    expect(steps[2]).not.toHaveProperty('emitEmpty');
  });

  it('sums the shards’ counts, an empty shard counting 0', async () => {
    const [local, collect, global] = countSteps();
    const shardA = of('x', 'y', 'z').pipe(stepsOperator([local!]));
    const shardB = of<string[]>().pipe(stepsOperator([local!]));
    expect(await lastValueFrom(concat(shardA, shardB).pipe(toArray()))).toEqual([3, 0]);
    const total = concat(
      of('x', 'y', 'z').pipe(stepsOperator([local!])),
      of<string[]>().pipe(stepsOperator([local!])),
    ).pipe(stepsOperator([collect!, global!]));
    expect(await lastValueFrom(total.pipe(toArray()))).toEqual([3]);
  });
});

describe('count', () => {
  it('emits the number of records once, at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-|', { a: 'x', b: 'y', c: 'z' }).pipe(count())).toBe('-------(n|)', { n: 3 });
    });
  });

  it('emits 0 on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(count())).toBe('---(n|)', { n: 0 });
    });
  });

  it('counts null and undefined records too', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b|', { a: null, b: undefined }).pipe(count())).toBe('----(n|)', { n: 2 });
    });
  });

  it('counts from 0 on every subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const counted = cold('-a-a|', { a: 1 }).pipe(count());
      expectObservable(counted).toBe('----(n|)', { n: 2 });
      expectObservable(counted).toBe('----(n|)', { n: 2 });
    });
  });

  it('passes an error from the source through', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('reader failed');
      expectObservable(cold('-a-#', { a: 1 }, error).pipe(count())).toBe('---#', undefined, error);
    });
  });
});
