import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { batchGroupBy, batchGroupBySteps } from '../../operators/batchGroupBy.ts';
import { scheduler } from '../support/rx.ts';

const firstLetter = (r: string): string => r[0]!;

describe('batchGroupBySteps', () => {
  it('repartitions, gathers each key’s records, then reduces each list', () => {
    const steps = batchGroupBySteps(firstLetter as never, (() => 0) as never);
    expect(steps.map((s) => s.kind)).toEqual(['repartition', 'localGroupBy', 'map']);
    expect(steps.map((s) => s.op)).toEqual(['batchGroupBy', 'batchGroupBy', 'batchGroupBy']);
    expect(steps[0]).toMatchObject({ extractor: firstLetter });
    expect(steps[1]).toMatchObject({ extractor: firstLetter });
  });
});

describe('batchGroupBy', () => {
  it('calls the reducer once per key with all its records, in input order', () => {
    const calls: [string, string[]][] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', { a: 'a1', b: 'b1', c: 'a2' });
      const grouped = source.pipe(
        batchGroupBy(firstLetter, (key, records) => {
          calls.push([key, [...records]]);
          return records.join('+');
        }),
      );
      expectObservable(grouped).toBe('-------(xy|)', {
        x: { key: 'a', value: 'a1+a2' },
        y: { key: 'b', value: 'b1' },
      });
    });
    expect(calls).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1']],
    ]);
  });

  it('emits nothing and never calls the reducer on empty input', () => {
    let calls = 0;
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--|').pipe(batchGroupBy(firstLetter, () => calls++))).toBe('--|');
    });
    expect(calls).toBe(0);
  });

  it('starts every subscription from empty lists', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const grouped = cold('-a-a|', { a: 'a1' }).pipe(batchGroupBy(firstLetter, (_k, records) => records.length));
      expectObservable(grouped).toBe('----(x|)', { x: { key: 'a', value: 2 } });
      expectObservable(grouped).toBe('----(x|)', { x: { key: 'a', value: 2 } });
    });
  });

  it('awaits an async reducer and keeps the order of the keys', async () => {
    const result = await lastValueFrom(
      of('a1', 'b1', 'b2').pipe(
        batchGroupBy(
          firstLetter,
          (key, records) =>
            new Promise<number>((resolve) => setTimeout(() => resolve(records.length), key === 'a' ? 3 : 0)),
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
  });

  it('drops the group whose reducer throws, reports it and keeps the others', async () => {
    const errors: unknown[] = [];
    const error = new Error('bad group');
    const result = await lastValueFrom(
      of('a1', 'b1').pipe(
        batchGroupBy(
          firstLetter,
          (key, records) => {
            if (key === 'a') throw error;
            return records;
          },
          { onError: (e) => errors.push(e) },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([{ key: 'b', value: ['b1'] }]);
    expect(errors).toEqual([error]);
  });

  it('drops the group whose reducer rejects and reports it', async () => {
    const errors: unknown[] = [];
    const error = new Error('rejected');
    const result = await lastValueFrom(
      of('a1', 'b1').pipe(
        batchGroupBy(firstLetter, (key) => (key === 'b' ? Promise.reject(error) : Promise.resolve(key)), {
          onError: (e) => errors.push(e),
        }),
        toArray(),
      ),
    );
    expect(result).toEqual([{ key: 'a', value: 'a' }]);
    expect(errors).toEqual([error]);
  });
});
