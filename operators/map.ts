import type { OperatorFunction } from 'rxjs';
import { orderedStep } from './internal/ordered.ts';
import type { StepOptions } from './internal/options.ts';

/**
 * One record in, one record out: emits what `mapper` returns for each record. `mapper` may return a Promise,
 * which is awaited (up to `concurrency` at once, order kept).
 *
 * @example
 * GB().map((r) => r.key).run() // key names
 * of(1, 2).pipe(map(async (n) => n * 2)) // 2, 4
 */
export function map<T, R>(mapper: (record: T) => R | PromiseLike<R>, options?: StepOptions): OperatorFunction<T, R> {
  return orderedStep<T, R>(mapper, (out, _record, result) => out.next(result as R), options);
}
