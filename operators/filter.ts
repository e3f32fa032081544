import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import { orderedStep } from './internal/ordered.ts';
import type { StepOptions } from './internal/options.ts';

/**
 * Keeps the records for which `predicate` returns a truthy value (or a Promise of one). A type-guard predicate
 * narrows the record type for the steps after it.
 *
 * @example
 * GB().filter((r) => r.type === 'hash').map((r) => r.value.name) // r.value is a hash here
 */
export function filter<T, S extends T>(
  predicate: (record: T) => record is S,
  options?: StepOptions,
): OperatorFunction<T, S>;
export function filter<T>(predicate: (record: T) => unknown, options?: StepOptions): MonoTypeOperatorFunction<T>;
export function filter<T>(predicate: (record: T) => unknown, options?: StepOptions): MonoTypeOperatorFunction<T> {
  return orderedStep<T, T>(
    predicate,
    (out, record, keep) => {
      if (keep) out.next(record);
    },
    options,
  );
}
