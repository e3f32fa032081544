import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { distinct, distinctSteps } from '../../operators/distinct.ts';
import { scheduler } from '../support/rx.ts';

const distinctOf = <T>(records: readonly T[]): Promise<T[]> =>
  lastValueFrom(of(...records).pipe(distinct(), toArray()));

describe('distinctSteps', () => {
  it('de-duplicates locally, collects, de-duplicates again, each step named distinct', () => {
    const steps = distinctSteps();
    expect(steps.map((s) => s.kind)).toEqual(['localGroupBy', 'map', 'collect', 'localGroupBy', 'map']);
    expect(steps.every((s) => s.op === 'distinct')).toBe(true);
  });
});

describe('distinct', () => {
  it('emits each value once, at completion, in first-seen order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-a-c-b|', { a: 'x', b: 'y', c: 'z' });
      expectObservable(source.pipe(distinct())).toBe('----------(abc|)', { a: 'x', b: 'y', c: 'z' });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--|').pipe(distinct())).toBe('--|');
    });
  });

  it('compares primitives by value and keeps values of different types apart', async () => {
    expect(await distinctOf<unknown>([1, '1', 1, null, 'null', true, 'true', undefined, 'undefined', 2n, 2])).toEqual([
      1,
      '1',
      null,
      'null',
      true,
      'true',
      undefined,
      'undefined',
      2n,
      2,
    ]);
  });

  it('compares objects by canonical JSON and keeps the first one seen', async () => {
    const first = { a: 1, b: 2 };
    const result = await distinctOf<object>([first, { b: 2, a: 1 }, { a: 1 }]);
    expect(result).toEqual([{ a: 1, b: 2 }, { a: 1 }]);
    expect(result[0]).toBe(first);
  });

  it('treats arrays with the same items in another order as different', async () => {
    expect(
      await distinctOf([
        [1, 2],
        [2, 1],
        [1, 2],
      ]),
    ).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('starts every subscription with nothing seen', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const deduplicated = cold('-a-a|', { a: 1 }).pipe(distinct());
      expectObservable(deduplicated).toBe('----(x|)', { x: 1 });
      expectObservable(deduplicated).toBe('----(x|)', { x: 1 });
    });
  });
});
