import type { OperatorFunction, Subscriber } from 'rxjs';
import { orderedStep } from './internal/ordered.ts';
import type { StepOptions } from './internal/options.ts';

/** What a flatMap callback may return: a list of records, or one record. */
export type FlatMapResult<R> = R | readonly R[] | Iterable<R>;

/**
 * One record in, any number out: an array or other iterable (Set, Map entries, generator) is expanded
 * **in order**; any other value, including a string, is emitted as one record (RedisGears' flatmap expands
 * only lists). The callback may return a Promise of either.
 *
 * @example
 * GB().flatMap((r) => Object.values(r.value)).run('person:*')
 */
export function flatMap<T, R>(
  expander: (record: T) => FlatMapResult<R> | PromiseLike<FlatMapResult<R>>,
  options?: StepOptions,
): OperatorFunction<T, R> {
  return orderedStep<T, R>(expander, emitExpanded, options);
}

function emitExpanded<R>(out: Subscriber<R>, _record: unknown, result: unknown): void {
  if (Array.isArray(result)) {
    for (const item of result as R[]) out.next(item);
  } else if (result !== null && typeof result === 'object' && Symbol.iterator in result) {
    // Drained before emitting: an iterator that throws midway drops its whole record, not just the rest of it.
    for (const item of [...(result as Iterable<R>)]) out.next(item);
  } else {
    out.next(result as R);
  }
}
