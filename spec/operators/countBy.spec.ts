import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { countBy, countBySteps } from '../../operators/countBy.ts';
import type { Step } from '../../lib/builder/steps.ts';
import { scheduler } from '../support/rx.ts';

describe('countBySteps', () => {
  it('is localGroupBy, repartition, localGroupBy, each named countBy', () => {
    const steps = countBySteps();
    expect(steps.map((s) => s.kind)).toEqual(['localGroupBy', 'repartition', 'localGroupBy']);
    expect(steps.map((s) => s.op)).toEqual(['countBy', 'countBy', 'countBy']);
  });

  it('extracts the record itself by default and uses a given extractor otherwise', () => {
    const byDefault = countBySteps()[0] as Extract<Step, { kind: 'localGroupBy' }>;
    expect(byDefault.extractor('rec')).toBe('rec');
    const extractor = (r: { k: string }): string => r.k;
    expect(countBySteps(extractor as never)[0]).toMatchObject({ extractor });
  });
});

describe('countBy', () => {
  it('emits { key, value: count } per key at completion, in first-seen order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d|', { a: 'x', b: 'y', c: 'x', d: 'x' });
      expectObservable(source.pipe(countBy())).toBe('--------(pq|)', {
        p: { key: 'x', value: 3 },
        q: { key: 'y', value: 1 },
      });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--|').pipe(countBy())).toBe('--|');
    });
  });

  it('keys numbers as strings and objects by canonical JSON', async () => {
    const result = await lastValueFrom(
      of<unknown[]>(1, { a: 1, b: 2 }, 1, { b: 2, a: 1 }, true).pipe(countBy(), toArray()),
    );
    expect(result).toEqual([
      { key: '1', value: 2 },
      { key: '{"a":1,"b":2}', value: 2 },
      { key: 'true', value: 1 },
    ]);
  });

  it('counts by a given extractor', async () => {
    const people = ['Rick Sanchez', 'Morty Smith', 'Summer Smith'];
    const result = await lastValueFrom(
      of(...people).pipe(
        countBy((p) => p.split(' ')[1]),
        toArray(),
      ),
    );
    expect(result).toEqual([
      { key: 'Sanchez', value: 1 },
      { key: 'Smith', value: 2 },
    ]);
  });

  it('drops a record whose extractor throws, reports it and counts the others', async () => {
    const errors: unknown[] = [];
    const result = await lastValueFrom(
      of('a', '', 'a').pipe(
        countBy(
          (r) => {
            if (r === '') throw new Error('empty');
            return r;
          },
          { onError: (e) => errors.push(e) },
        ),
        toArray(),
      ),
    );
    expect(result).toEqual([{ key: 'a', value: 2 }]);
    expect(errors).toEqual([new Error('empty')]);
  });

  it('errors the stream when the extractor throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('empty');
      const counted = cold('-a-b|', { a: 'a', b: '' }).pipe(
        countBy((r: string) => {
          if (r === '') throw error;
          return r;
        }),
      );
      expectObservable(counted).toBe('---#', undefined, error);
    });
  });
});
