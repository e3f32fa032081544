import type { MonoTypeOperatorFunction } from 'rxjs';
import { orderedStep } from './internal/ordered.ts';
import type { StepOptions } from './internal/options.ts';

/**
 * Runs `effect` for each record and passes the record on unchanged (after the Promise, if `effect` returns one).
 * Writes made here are awaited before the record moves on, so an `execute()` per record is never lost.
 *
 * @example
 * GB().forEach((r) => execute('DEL', r.key)).run('tmp:*')
 */
export function forEach<T>(effect: (record: T) => unknown, options?: StepOptions): MonoTypeOperatorFunction<T> {
  return orderedStep<T, T>(effect, (out, record) => out.next(record), options);
}
