import { describe, expect, it } from 'vitest';
import { concat, lastValueFrom, of, toArray } from 'rxjs';
import { aggregate, aggregateSteps } from '../../operators/aggregate.ts';
import { stepsOperator } from '../../operators/internal/stepOperator.ts';
import { scheduler } from '../support/rx.ts';

const max = (a: number, n: number): number => Math.max(a, n);

describe('aggregateSteps', () => {
  it('is accumulate, collect, accumulate, each named aggregate', () => {
    const seq = (a: number, n: number): number => a + n;
    const comb = (a: number, b: number): number => a + b;
    const steps = aggregateSteps(0, seq as never, comb as never);
    expect(steps.map((s) => s.kind)).toEqual(['accumulate', 'collect', 'accumulate']);
    expect(steps.map((s) => s.op)).toEqual(['aggregate', 'aggregate', 'aggregate']);
    expect(steps[0]).toMatchObject({ fn: seq });
    expect(steps[2]).toMatchObject({ fn: comb });
  });

  it('gives each fold a fresh structuredClone of zero', () => {
    const zero = { seen: [] as number[] };
    const [local, , global] = aggregateSteps(zero, (() => 0) as never, (() => 0) as never);
    const a = (local as { zero: () => unknown }).zero();
    const b = (global as { zero: () => unknown }).zero();
    expect(a).toEqual(zero);
    expect(a).not.toBe(zero);
    expect(b).not.toBe(a);
  });

  it('combines the local results of several shards with combOp', async () => {
    const [local, collect, global] = aggregateSteps(0, ((a: number, n: number) => a + n) as never, max as never);
    const shardA = of(1, 2, 3).pipe(stepsOperator([local!]));
    const shardB = of(10).pipe(stepsOperator([local!]));
    const shardC = of<number[]>().pipe(stepsOperator([local!]));
    const result = await lastValueFrom(
      concat(shardA, shardB, shardC).pipe(stepsOperator([collect!, global!]), toArray()),
    );
    expect(result).toEqual([10]); // max of the shards' sums 6 and 10; the empty shard sends nothing
  });
});

describe('aggregate', () => {
  it('emits the combined fold once, at completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', { a: 4, b: 9, c: 2 });
      expectObservable(source.pipe(aggregate(0, max, max))).toBe('-------(x|)', { x: 9 });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<number>('--|').pipe(aggregate(0, max, max))).toBe('--|');
    });
  });

  it('calls combOp with a fresh zero and the local result', async () => {
    const calls: unknown[][] = [];
    const result = await lastValueFrom(
      of(1, 2).pipe(
        aggregate(
          100,
          (a, n: number) => a + n,
          (a, local) => {
            calls.push([a, local]);
            return a + local;
          },
        ),
      ),
    );
    expect(calls).toEqual([[100, 103]]);
    expect(result).toBe(203);
  });

  it('starts every run from a fresh copy of zero, so mutating the accumulator does not leak', async () => {
    const zero: number[] = [];
    const gather = (list: number[], n: number): number[] => {
      list.push(n);
      return list;
    };
    const merge = (list: number[], local: number[]): number[] => {
      list.push(...local);
      return list;
    };
    const aggregated = of(1, 2).pipe(aggregate(zero, gather, merge));
    expect(await lastValueFrom(aggregated)).toEqual([1, 2]);
    expect(await lastValueFrom(aggregated)).toEqual([1, 2]);
    expect(zero).toEqual([]);
  });

  it('awaits an async seqOp', async () => {
    const result = await lastValueFrom(
      of(1, 2, 3).pipe(
        aggregate(
          0,
          async (a, n: number) => a + n,
          (a, b) => a + b,
        ),
      ),
    );
    expect(result).toBe(6);
  });

  it('errors the stream when seqOp throws and there is no onError', async () => {
    const error = new Error('bad');
    const aggregated = of(1).pipe(
      aggregate(
        0,
        () => {
          throw error;
        },
        max,
      ),
    );
    await expect(lastValueFrom(aggregated)).rejects.toBe(error);
  });

  it('drops a record whose seqOp throws and reports the error', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of(1, -1, 2).pipe(
        aggregate(
          0,
          (a, n: number) => {
            if (n < 0) throw new RangeError('negative');
            return a + n;
          },
          (a, b) => a + b,
          { onError: (e) => errors.push(e) },
        ),
      ),
    );
    expect(result).toBe(3);
    expect(errors).toEqual([new RangeError('negative')]);
  });
});
