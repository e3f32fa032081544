import type { OperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import { isPromiseLike, type StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';

interface Mean {
  sum: number;
  count: number;
}

const zero = (): Mean => ({ sum: 0, count: 0 });

/** The plan of `avg`: per shard a running sum and count, collect, add them up, divide. */
export function avgSteps(extractor: (record: never) => unknown = Number): Step[] {
  return [
    {
      kind: 'accumulate',
      op: 'avg',
      fn: (mean: Mean, record: never) => {
        const extracted = extractor(record);
        if (isPromiseLike(extracted)) {
          extracted.then(undefined, () => undefined);
          throw new TypeError('avg extractor returned a Promise: extractors must be synchronous');
        }
        const value = Number(extracted);
        if (Number.isNaN(value)) throw new TypeError(`avg: ${JSON.stringify(record)} is not a number`);
        mean.sum += value;
        mean.count += 1;
        return mean;
      },
      zero,
    },
    { kind: 'collect', op: 'avg' },
    {
      kind: 'accumulate',
      op: 'avg',
      fn: (total: Mean, shard: Mean) => ({ sum: total.sum + shard.sum, count: total.count + shard.count }),
      zero,
    },
    { kind: 'map', op: 'avg', fn: (total: Mean) => total.sum / total.count },
  ];
}

/**
 * The arithmetic mean of `extractor(record)` (default `Number(record)`), as one number; nothing on empty input.
 * A value that is not a number is reported in `errors` and left out.
 *
 * @example
 * GB().map((r) => r.value.age).avg().run('person:*') // { results: [44.6], errors: [] }
 */
export function avg<T>(extractor: (record: T) => unknown = Number, options?: StepOptions): OperatorFunction<T, number> {
  return stepsOperator(avgSteps(extractor), options);
}
