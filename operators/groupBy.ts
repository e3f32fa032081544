import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import type { StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';
import type { Group } from './localGroupBy.ts';

/** The plan of `groupBy`: repartition by key, then a per-key reduce on the shard that owns the key. */
export function groupBySteps(extractor: (record: never) => unknown, reducer: (...args: never[]) => unknown): Step[] {
  return [
    { kind: 'repartition', op: 'groupBy', extractor },
    { kind: 'localGroupBy', op: 'groupBy', extractor, reducer },
  ];
}

/**
 * Groups all records by `extractor` and folds each group with `reducer(key, accumulator, record)` → `{ key, value }`.
 * In a plan the records first move to the shard that owns `hashSlot(key)`, so each key is reduced once.
 *
 * @example
 * GB().groupBy((r) => r.value.family, (k, names, r) => [...(names ?? []), r.value.name]).run('person:*')
 */
export function groupBy<T, A>(
  extractor: (record: T) => unknown,
  reducer: (key: string, accumulator: A | undefined, record: T) => A | PromiseLike<A>,
  options?: StepOptions,
): OperatorFunction<T, Group<A>> {
  return stepsOperator(groupBySteps(extractor, reducer as never), options);
}
