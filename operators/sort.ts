import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Step } from '../lib/builder/steps.ts';
import { isPromiseLike, type StepOptions } from './internal/options.ts';
import { stepsOperator } from './internal/stepOperator.ts';
import { canonicalJson } from './internal/keys.ts';

export interface SortOptions<T> {
  /** Descending instead of ascending. */
  reverse?: boolean;
  /** Your own order; `reverse` flips it. */
  compare?: (a: T, b: T) => number;
}

const RANK: Record<string, number> = { number: 0, bigint: 0, string: 1, boolean: 2 };

/** Numbers numerically, then strings by code point, then everything else by canonical JSON. */
export function defaultCompare(a: unknown, b: unknown): number {
  const ra = RANK[typeof a] ?? 3;
  const rb = RANK[typeof b] ?? 3;
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  const sa = ra === 1 ? (a as string) : ra === 2 ? String(a) : canonicalJson(a);
  const sb = rb === 1 ? (b as string) : rb === 2 ? String(b) : canonicalJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** A user's compare, guarded: a Promise instead of a number is an error (and its rejection is handled). */
function checkedCompare(compare: (a: unknown, b: unknown) => unknown): (a: unknown, b: unknown) => number {
  return (a, b) => {
    const order = compare(a, b);
    if (isPromiseLike(order)) {
      order.then(undefined, () => undefined);
      throw new TypeError('sort compare returned a Promise: it must return a number');
    }
    return Number(order);
  };
}

/** The plan of `sort`: collect, gather into one list on the initiator, sort, emit in order. */
export function sortSteps(options: SortOptions<never> = {}): Step[] {
  const compare = options.compare
    ? checkedCompare(options.compare as (a: unknown, b: unknown) => unknown)
    : defaultCompare;
  const order = options.reverse ? (a: unknown, b: unknown) => compare(b, a) : compare;
  return [
    { kind: 'collect', op: 'sort' },
    {
      kind: 'accumulate',
      op: 'sort',
      fn: (list: unknown[], record: unknown) => {
        list.push(record);
        return list;
      },
      zero: () => [],
    },
    { kind: 'flatMap', op: 'sort', fn: (list: unknown[]) => list.sort(order) },
  ];
}

/** Accepts RedisGears' `sort(reverse)` as well as `sort({ reverse, compare })`. */
export function sortOptions<T>(arg: boolean | SortOptions<T> | undefined): SortOptions<T> {
  return typeof arg === 'boolean' ? { reverse: arg } : (arg ?? {});
}

/**
 * Sorts all records; ascending by default (numbers numerically, strings by code point). A global step: every
 * record is gathered on the initiator. RedisGears' `sort(reverse=True)` default is descending; pass `true`.
 *
 * @example
 * GB().map((r) => Number(r.value.age)).sort().run('person:*') // [14, 17, 35, 70, 87]
 */
export function sort<T>(
  reverseOrOptions?: boolean | SortOptions<T>,
  options?: StepOptions,
): MonoTypeOperatorFunction<T> {
  return stepsOperator(sortSteps(sortOptions(reverseOrOptions) as SortOptions<never>), options);
}
