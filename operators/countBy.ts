import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import type { StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';
import { aggregateBySteps } from './aggregateBy.ts';
import type { Group } from './localGroupBy.ts';

const self = (record: unknown): unknown => record;
const increment = (_key: string, count: number): number => count + 1;
const add = (_key: string, count: number, partial: number): number => count + partial;

/** The plan of `countBy`: an `aggregateBy` that counts. */
export function countBySteps(extractor: (record: never) => unknown = self): Step[] {
  return aggregateBySteps(extractor, 0, increment as never, add as never, 'countBy');
}

/**
 * Counts records per key → `{ key, value: count }`. The extractor defaults to the record itself.
 *
 * @example
 * GB().countBy((r) => r.value.name.split(' ')[1]).run('person:*') // { key: 'Smith', value: 3 }, …
 */
export function countBy<T>(
  extractor: (record: T) => unknown = self,
  options?: StepOptions,
): OperatorFunction<T, Group<number>> {
  return stepsOperator(countBySteps(extractor), options);
}
