import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { connect, ExecutionFailedError, GearsError, type Gears } from '../../../lib/index.ts';

let gears: Gears;
afterEach(() => gears.close());

describe('toObservable()', () => {
  it('emits the results as an Observable and completes when every shard is done', async () => {
    gears = await connect({ shards: 3 });
    for (let i = 0; i < 10; i++) await gears.execute('SET', `o:${i}`, String(i));
    const values = await lastValueFrom(
      gears
        .GB()
        .map((r) => Number(r.value))
        .toObservable('o:*')
        .pipe(toArray()),
    );
    expect(values.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('runs once per subscription (cold), and unsubscribing stops the run', async () => {
    gears = await connect();
    let reads = 0;
    const observable = gears.GB('GeneratorReader').toObservable(function* () {
      for (let i = 0; i < 1000; i++) {
        reads++;
        yield i;
      }
    });
    expect(reads).toBe(0);
    expect(await firstValueFrom(observable.pipe(take(3), toArray()))).toEqual([0, 1, 2]);
    expect(reads).toBeLessThan(10); // the generator stopped with the subscription
    reads = 0;
    expect(await lastValueFrom(observable.pipe(toArray()))).toHaveLength(1000);
    expect(reads).toBe(1000);
  });

  it('emits every good record, then errors with ExecutionFailedError listing the failed ones', async () => {
    gears = await connect();
    const seen: unknown[] = [];
    const error = await new Promise<unknown>((resolve) =>
      gears
        .GB('GeneratorReader')
        .map((n: unknown) => {
          if (n === 2) throw new RangeError('two');
          return n;
        })
        .toObservable(() => [1, 2, 3])
        .subscribe({ next: (v) => seen.push(v), error: resolve, complete: () => resolve('completed') }),
    );
    expect(seen).toEqual([1, 3]);
    expect(error).toBeInstanceOf(ExecutionFailedError);
    expect((error as ExecutionFailedError).errors).toEqual(['RangeError: two']);
  });

  it('errors at once with a GearsError for bad options', async () => {
    gears = await connect();
    await expect(lastValueFrom(gears.GB().toObservable('*', { mode: 'nope' as never }))).rejects.toThrow(GearsError);
  });
});
