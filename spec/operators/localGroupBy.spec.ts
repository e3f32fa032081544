import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { localGroupBy, type Group } from '../../operators/localGroupBy.ts';
import { scheduler, flush } from '../support/rx.ts';

const count = (_key: string, n: number | undefined): number => (n ?? 0) + 1;

const groups = <T, A>(records: readonly T[], ...args: Parameters<typeof localGroupBy<T, A>>): Promise<Group<A>[]> =>
  lastValueFrom(of(...records).pipe(localGroupBy(...args), toArray()));

describe('localGroupBy (marbles)', () => {
  it('emits { key, value } per key at completion, in first-seen order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 'x1', b: 'y1', c: 'x2', d: 'z1' });
      const grouped = source.pipe(localGroupBy((r: string) => r[0], count));
      expectObservable(grouped).toBe('---------(xyz|)', {
        x: { key: 'x', value: 2 },
        y: { key: 'y', value: 1 },
        z: { key: 'z', value: 1 },
      });
    });
  });

  it('emits nothing on empty input', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(localGroupBy((r: string) => r, count))).toBe('---|');
    });
  });

  it('errors the stream when the extractor throws and there is no onError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const error = new Error('no key');
      const grouped = cold('-a-b-|', { a: 'x', b: '' }).pipe(
        localGroupBy((r: string) => {
          if (r === '') throw error;
          return r;
        }, count),
      );
      expectObservable(grouped).toBe('---#', undefined, error);
    });
  });

  it('drops the record and reports the error when the reducer throws with onError', () => {
    const errors: unknown[] = [];
    const error = new Error('bad record');
    scheduler().run(({ cold, expectObservable }) => {
      const grouped = cold('-a-b-c|', { a: 1, b: 2, c: 3 }).pipe(
        localGroupBy(
          () => 'all',
          (_key: string, total: number | undefined, n: number) => {
            if (n === 2) throw error;
            return (total ?? 0) + n;
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      expectObservable(grouped).toBe('------(x|)', { x: { key: 'all', value: 4 } });
    });
    expect(errors).toEqual([error]);
  });

  it('leaves a key out until its reducer succeeds once, starting it from a fresh zero', async () => {
    const errors: unknown[] = [];
    const zeros: number[] = [];
    const grouped = await groups(
      ['a:1', 'b:boom', 'b:2', 'c:boom'],
      (r: string) => r.split(':')[0],
      (_key: string, total: number[] | undefined, r: string) => {
        const part = r.split(':')[1]!;
        if (part === 'boom') throw new Error(`bad ${r}`);
        return [...total!, Number(part)];
      },
      {
        zero: () => {
          zeros.push(zeros.length);
          return [];
        },
        onError: (e) => errors.push(e),
      },
    );
    expect(grouped).toEqual([
      { key: 'a', value: [1] },
      { key: 'b', value: [2] },
    ]);
    expect(errors.map(String)).toEqual(['Error: bad b:boom', 'Error: bad c:boom']);
    expect(zeros).toEqual([0, 1, 2, 3]);
  });

  it("keeps an async reducer's value for the next record of its key", async () => {
    const grouped = await groups(
      ['x', 'y', 'x', 'x'],
      (r: string) => r,
      async (_k: string, n: number | undefined) => (n ?? 0) + 1,
    );
    expect(grouped).toEqual([
      { key: 'x', value: 3 },
      { key: 'y', value: 1 },
    ]);
  });

  it('keeps separate accumulators for every subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const grouped = cold('-a-a|', { a: 'k' }).pipe(localGroupBy((r: string) => r, count));
      expectObservable(grouped).toBe('----(x|)', { x: { key: 'k', value: 2 } });
      expectObservable(grouped).toBe('----(x|)', { x: { key: 'k', value: 2 } });
    });
  });
});

describe('localGroupBy (keys and reducer)', () => {
  it('passes the key, the accumulator (undefined at first) and the record to the reducer', async () => {
    const calls: unknown[][] = [];
    await groups(
      ['a1', 'a2'],
      (r: string) => r[0],
      (key: string, acc: string | undefined, r: string) => {
        calls.push([key, acc, r]);
        return (acc ?? '') + r;
      },
    );
    expect(calls).toEqual([
      ['a', undefined, 'a1'],
      ['a', 'a1', 'a2'],
    ]);
  });

  it('stringifies number keys, so 1 and "1" are one group', async () => {
    expect(await groups<number | string, number>([1, '1', 2.5], (r) => r, count)).toEqual([
      { key: '1', value: 2 },
      { key: '2.5', value: 1 },
    ]);
  });

  it('groups objects by canonical JSON, whatever their key order', async () => {
    const records = [{ k: { a: 1, b: 2 } }, { k: { b: 2, a: 1 } }, { k: { a: 2 } }];
    expect(await groups(records, (r) => r.k, count)).toEqual([
      { key: '{"a":1,"b":2}', value: 2 },
      { key: '{"a":2}', value: 1 },
    ]);
  });

  it('starts each key from its own zero', async () => {
    let made = 0;
    const result = await groups(
      ['x', 'y', 'x'],
      (r: string) => r,
      (_key: string, list: string[] | undefined, r: string) => {
        list!.push(r);
        return list!;
      },
      {
        zero: () => {
          made++;
          return [] as string[];
        },
      },
    );
    expect(result).toEqual([
      { key: 'x', value: ['x', 'x'] },
      { key: 'y', value: ['y'] },
    ]);
    expect(made).toBe(2);
  });

  it('does not restart from zero when a reducer returned undefined', async () => {
    const seen: unknown[] = [];
    await groups(
      ['k', 'k'],
      (r: string) => r,
      (_key: string, acc: number | undefined) => {
        seen.push(acc);
        return undefined as unknown as number;
      },
      { zero: () => 0 },
    );
    expect(seen).toEqual([0, undefined]);
  });
});

describe('localGroupBy (async)', () => {
  it('reports an extractor that returns a Promise and drops its record', async () => {
    const errors: unknown[] = [];
    const result = await groups(['a', 'b'], (r: string) => (r === 'b' ? Promise.resolve(r) : r), count, {
      onError: (e) => errors.push(e),
    });
    expect(result).toEqual([{ key: 'a', value: 1 }]);
    expect(errors).toEqual([new TypeError('extractor returned a Promise: extractors must be synchronous')]);
  });

  it('folds one record at a time with an async reducer, in input order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await groups(
      ['a1', 'b1', 'a2', 'a3'],
      (r: string) => r[0],
      async (_k: string, acc: string[] | undefined, r: string) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await flush();
        inFlight--;
        return [...(acc ?? []), r];
      },
    );
    expect(result).toEqual([
      { key: 'a', value: ['a1', 'a2', 'a3'] },
      { key: 'b', value: ['b1'] },
    ]);
    expect(maxInFlight).toBe(1);
  });

  it('leaves the key’s accumulator unchanged when the reducer rejects', async () => {
    const errors: unknown[] = [];
    const error = new Error('rejected');
    const result = await groups(
      [1, 2, 3],
      () => 'k',
      (_k: string, total: number | undefined, n: number) =>
        n === 2 ? Promise.reject(error) : Promise.resolve((total ?? 0) + n),
      { onError: (e) => errors.push(e) },
    );
    expect(result).toEqual([{ key: 'k', value: 4 }]);
    expect(errors).toEqual([error]);
  });
});
