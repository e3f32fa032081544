import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import type { StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';
import type { Group } from './localGroupBy.ts';

const groupKey = (group: Group<unknown>): string => group.key;

/**
 * The plan of `aggregateBy`: a local per-key fold (`seqOp`) from a copy of `zero`, repartition the partial
 * results by key, then a per-key fold of the partials (`combOp`) from a copy of `zero`.
 */
export function aggregateBySteps(
  extractor: (record: never) => unknown,
  zero: unknown,
  seqOp: (key: string, accumulator: never, record: never) => unknown,
  combOp: (key: string, accumulator: never, partial: never) => unknown,
  op = 'aggregateBy',
): Step[] {
  const fresh = (): unknown => structuredClone(zero);
  return [
    { kind: 'localGroupBy', op, extractor, reducer: seqOp, zero: fresh },
    { kind: 'repartition', op, extractor: groupKey },
    {
      kind: 'localGroupBy',
      op,
      extractor: groupKey,
      reducer: (key: string, accumulator: never, partial: Group<never>) => combOp(key, accumulator, partial.value),
      zero: fresh,
    },
  ];
}

/**
 * Per-key aggregation → `{ key, value }`: `seqOp(key, acc, record)` folds records on their own shard,
 * `combOp(key, acc, partial)` folds the shards' partial results on the shard that owns the key. Only one
 * accumulator per key and shard is ever held.
 *
 * @example
 * GB().aggregateBy((r) => r.value.family, 0, (k, a) => a + 1, (k, a, partial) => a + partial).run('person:*')
 */
export function aggregateBy<T, A>(
  extractor: (record: T) => unknown,
  zero: A,
  seqOp: (key: string, accumulator: A, record: T) => A | PromiseLike<A>,
  combOp: (key: string, accumulator: A, partial: A) => A | PromiseLike<A>,
  options?: StepOptions,
): OperatorFunction<T, Group<A>> {
  return stepsOperator(aggregateBySteps(extractor, zero, seqOp as never, combOp as never), options);
}
