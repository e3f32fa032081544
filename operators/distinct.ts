import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import type { StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';
import type { Group } from './localGroupBy.ts';
import { keyOf } from './internal/keys.ts';

// The type is part of the identity: `keyOf` alone would merge 1 and '1', or null and 'null'.
const identity = (record: unknown): string => `${typeof record}:${keyOf(record)}`;
const first = (_key: string, kept: unknown, record: unknown): unknown => (kept === undefined ? record : kept);
const value = (group: Group<unknown>): unknown => group.value;

/**
 * The plan of `distinct`: de-duplicate on each shard (so only distinct values travel), collect, de-duplicate
 * again. Values are compared by type and `keyOf`: primitives by value, objects by canonical JSON.
 */
export function distinctSteps(): Step[] {
  return [
    { kind: 'localGroupBy', op: 'distinct', extractor: identity, reducer: first },
    { kind: 'map', op: 'distinct', fn: value },
    { kind: 'collect', op: 'distinct' },
    { kind: 'localGroupBy', op: 'distinct', extractor: identity, reducer: first },
    { kind: 'map', op: 'distinct', fn: value },
  ];
}

/**
 * Drops repeated records (by value; objects by canonical JSON). A global step.
 *
 * @example
 * GB().map((r) => r.value.name.split(' ')[1]).distinct().run('person:*') // ['Sanchez', 'Smith', 'Pibbles']
 */
export function distinct<T>(options?: StepOptions): MonoTypeOperatorFunction<T> {
  return stepsOperator(distinctSteps(), options);
}
