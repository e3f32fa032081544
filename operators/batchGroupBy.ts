import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import { isPromiseLike, type StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';
import type { Group } from './localGroupBy.ts';

/** The plan of `batchGroupBy`: repartition, gather each key's records into a list, then `reducer(key, list)`. */
export function batchGroupBySteps(
  extractor: (record: never) => unknown,
  reducer: (key: string, records: never[]) => unknown,
): Step[] {
  return [
    { kind: 'repartition', op: 'batchGroupBy', extractor },
    {
      kind: 'localGroupBy',
      op: 'batchGroupBy',
      extractor,
      reducer: (_key: string, list: unknown[], record: unknown) => {
        list.push(record);
        return list;
      },
      zero: () => [],
    },
    {
      kind: 'map',
      op: 'batchGroupBy',
      fn: (group: Group<never[]>) => {
        const value = reducer(group.key, group.value);
        return isPromiseLike(value)
          ? Promise.resolve(value).then((v) => ({ key: group.key, value: v }))
          : { key: group.key, value };
      },
    },
  ];
}

/**
 * Groups all records by `extractor` and calls `reducer(key, records)` once per key with the whole list →
 * `{ key, value }`. Holds every record of a key in memory: prefer `groupBy` when a fold will do.
 *
 * @example
 * GB().batchGroupBy((r) => r.value.family, (k, people) => people.length).run('person:*')
 */
export function batchGroupBy<T, V>(
  extractor: (record: T) => unknown,
  reducer: (key: string, records: T[]) => V | PromiseLike<V>,
  options?: StepOptions,
): OperatorFunction<T, Group<V>> {
  return stepsOperator(batchGroupBySteps(extractor, reducer as never), options);
}
