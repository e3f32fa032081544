import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import type { StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';

const increment = (count: number): number => count + 1;
const add = (count: number, shardCount: number): number => count + shardCount;
const zero = (): number => 0;

/**
 * The plan of `count`: every shard emits its count (0 too), collect, sum. Because each shard emits, the total
 * is 0 on empty input rather than nothing (RedisGears emits nothing there).
 */
export function countSteps(): Step[] {
  return [
    { kind: 'accumulate', op: 'count', fn: increment, zero, emitEmpty: true },
    { kind: 'collect', op: 'count' },
    { kind: 'accumulate', op: 'count', fn: add, zero },
  ];
}

/**
 * The number of records, as one record; 0 on empty input.
 *
 * @example
 * GB().count().run('person:*') // { results: [5], errors: [] }
 */
export function count<T>(options?: StepOptions): OperatorFunction<T, number> {
  return stepsOperator(countSteps(), options);
}
