import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import type { StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';

/**
 * The plan of `aggregate`: a local fold from a fresh copy of `zero` (`structuredClone`), collect, then a global
 * fold of the shards' results with `combiner`, again from a fresh `zero`.
 */
export function aggregateSteps(
  zero: unknown,
  seqOp: (accumulator: never, record: never) => unknown,
  combOp: (accumulator: never, record: never) => unknown,
): Step[] {
  const fresh = (): unknown => structuredClone(zero);
  return [
    { kind: 'accumulate', op: 'aggregate', fn: seqOp, zero: fresh },
    { kind: 'collect', op: 'aggregate' },
    { kind: 'accumulate', op: 'aggregate', fn: combOp, zero: fresh },
  ];
}

/**
 * Folds all records into one value: `seqOp(acc, record)` per shard from a copy of `zero`, then
 * `combOp(acc, shardResult)` over the shards' results. Emits nothing on empty input.
 *
 * @example
 * GB().map((r) => Number(r.value.age)).aggregate(0, (a, age) => Math.max(a, age), (a, m) => Math.max(a, m)).run()
 */
export function aggregate<T, A>(
  zero: A,
  seqOp: (accumulator: A, record: T) => A | PromiseLike<A>,
  combOp: (accumulator: A, shardResult: A) => A | PromiseLike<A>,
  options?: StepOptions,
): OperatorFunction<T, A> {
  return stepsOperator(aggregateSteps(zero, seqOp as never, combOp as never), options);
}
