import { defer, type OperatorFunction } from 'rxjs';
import { sequentialStep, type Fold } from './internal/ordered.ts';
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
  const open = accumulateFold(reducer, options);
  return (source) =>
    defer(() => {
      const fold = open();
      return source.pipe(
        sequentialStep<T, A>(fold.step, (out) => fold.finish((value) => out.next(value as A)), options),
      );
    });
}

/** `accumulate` as a fold: one accumulator per call of the returned function (per stream). */
export function accumulateFold<T, A>(
  reducer: (accumulator: A | undefined, record: T) => A | PromiseLike<A>,
  options: AccumulateOptions<A> = {},
): () => Fold {
  return () => {
    let accumulator: A | undefined = options.zero ? options.zero() : undefined;
    let seen = false;
    return {
      step: (record) => {
        const result = reducer(accumulator, record as T);
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
      finish: (emit) => {
        if (seen || options.emitEmpty) emit(accumulator);
      },
    };
  };
}
