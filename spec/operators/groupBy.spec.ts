import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { groupBy, groupBySteps } from '../../operators/groupBy.ts';
import { scheduler } from '../support/rx.ts';

interface Person {
  name: string;
  family: string;
}

const names = (_key: string, list: string[] | undefined, p: Person): string[] => [...(list ?? []), p.name];
const family = (p: Person): string => p.family;

describe('groupBySteps', () => {
  it('repartitions by the key, then reduces per key', () => {
    const steps = groupBySteps(family as never, names as never);
    expect(steps.map((s) => s.kind)).toEqual(['repartition', 'localGroupBy']);
    expect(steps.map((s) => s.op)).toEqual(['groupBy', 'groupBy']);
    expect(steps[0]).toMatchObject({ kind: 'repartition', extractor: family });
    expect(steps[1]).toMatchObject({ kind: 'localGroupBy', extractor: family, reducer: names });
  });
});

describe('groupBy', () => {
  it('emits one { key, value } per key at completion, in first-seen order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', {
        a: { name: 'Rick', family: 'Sanchez' },
        b: { name: 'Jerry', family: 'Smith' },
        c: { name: 'Morty', family: 'Smith' },
      });
      expectObservable(source.pipe(groupBy(family, names))).toBe('------(xy|)', {
        x: { key: 'Sanchez', value: ['Rick'] },
        y: { key: 'Smith', value: ['Jerry', 'Morty'] },
      });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Person>('-|').pipe(groupBy(family, names))).toBe('-|');
    });
  });

  it('errors the stream when the reducer throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('bad');
      const grouped = cold('-a-|', { a: { name: 'Rick', family: 'Sanchez' } }).pipe(
        groupBy(family, () => {
          throw error;
        }),
      );
      expectObservable(grouped).toBe('-#', undefined, error);
    });
  });

  it('drops a failing record, reports it and groups the rest', async () => {
    const errors: unknown[] = [];
    const people: Person[] = [
      { name: 'Rick', family: 'Sanchez' },
      { name: '', family: 'Smith' },
      { name: 'Beth', family: 'Smith' },
    ];
    const result = await lastValueFrom(
      of(...people).pipe(
        groupBy(
          family,
          (key, list: string[] | undefined, p) => {
            if (p.name === '') throw new Error('no name');
            return names(key, list, p);
          },
          { onError: (e) => errors.push(e) },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([
      { key: 'Sanchez', value: ['Rick'] },
      { key: 'Smith', value: ['Beth'] },
    ]);
    expect(errors).toEqual([new Error('no name')]);
  });

  it('awaits an async reducer per record', async () => {
    const result = await lastValueFrom(
      of(1, 2, 3, 4).pipe(
        groupBy(
          (n) => (n % 2 === 0 ? 'even' : 'odd'),
          async (_key, total: number | undefined, n) => (total ?? 0) + n,
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([
      { key: 'odd', value: 4 },
      { key: 'even', value: 6 },
    ]);
  });
});
