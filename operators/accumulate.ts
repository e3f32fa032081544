import { defer, type OperatorFunction } from 'rxjs';
import { sequentialStep } from './internal/ordered.ts';
import { isPromiseLike, type StepOptions } from './internal/options.ts';

export interface AccumulateOptions<A> extends StepOptions {
  /**
   * Makes the starting accumulator (called once per stream). Without it the accumulator starts `undefined`,
   * as in RedisGears.
   */
  zero?: () => A;
  /** Emit the accumulator even when no record came (only meaningful with `zero`). Default false. */
  emitEmpty?: boolean;
}

/**
 * Folds every record into one accumulator and emits it once, when the input completes; nothing on empty input
 * (unless `emitEmpty`). `reducer(acc, record)` may return a Promise; records are folded one at a time. A record
 * whose reducer throws is dropped and the accumulator stays as it was.
 *
 * @example
 * GB().map((r) => Number(r.value.age)).accumulate((max, age) => Math.max(max ?? 0, age)).run('person:*')
 */
export function accumulate<T, A>(
  reducer: (accumulator: A | undefined, record: T) => A | PromiseLike<A>,
  options: AccumulateOptions<A> = {},
): OperatorFunction<T, A> {
  return (source) =>
    defer(() => {
      let accumulator: A | undefined = options.zero ? options.zero() : undefined;
      let seen = false;
      return source.pipe(
        sequentialStep<T, A>(
          (record) => {
            const result = reducer(accumulator, record);
            if (isPromiseLike(result)) {
              return Promise.resolve(result).then((value) => {
                accumulator = value;
                seen = true;
              });
            }
            accumulator = result;
            seen = true;
            return undefined;
          },
          (out) => {
            if (seen || options.emitEmpty) out.next(accumulator as A);
          },
          options,
        ),
      );
    });
}
