import { defer, type OperatorFunction } from 'rxjs';
import { sequentialStep, type Fold } from './internal/ordered.ts';
import { isPromiseLike, type StepOptions } from './internal/options.ts';
import { extractKey } from './internal/keys.ts';

/** What grouping operations emit: one record per key. */
export interface Group<V> {
  key: string;
  value: V;
}

export interface LocalGroupByOptions<A> extends StepOptions {
  /** Makes each key's starting accumulator; without it the accumulator starts `undefined`, as in RedisGears. */
  zero?: () => A;
}

/**
 * Groups the records of this stream (one shard) by `extractor` and folds each group with
 * `reducer(key, accumulator, record)`; emits `{ key, value }` per key when the input completes. Only the
 * accumulators are kept, never the records. The extractor is synchronous; its value becomes the key by
 * `keyOf` (strings as is, numbers/booleans stringified, other values as canonical JSON).
 *
 * @example
 * GB().localGroupBy((r) => r.value.family, (k, n, r) => (n ?? 0) + 1).run('person:*')
 */
export function localGroupBy<T, A>(
  extractor: (record: T) => unknown,
  reducer: (key: string, accumulator: A | undefined, record: T) => A | PromiseLike<A>,
  options: LocalGroupByOptions<A> = {},
): OperatorFunction<T, Group<A>> {
  const open = localGroupByFold(extractor, reducer, options);
  return (source) =>
    defer(() => {
      const fold = open();
      return source.pipe(
        sequentialStep<T, Group<A>>(fold.step, (out) => fold.finish((group) => out.next(group as Group<A>)), options),
      );
    });
}

/** `localGroupBy` as a fold: one table of accumulators per call of the returned function (per stream). */
export function localGroupByFold<T, A>(
  extractor: (record: T) => unknown,
  reducer: (key: string, accumulator: A | undefined, record: T) => A | PromiseLike<A>,
  options: LocalGroupByOptions<A> = {},
): () => Fold {
  const zero = options.zero;
  return () => {
    // Each key's accumulator in a slot of its own: a record costs one Map lookup (a set only for a new key).
    const groups = new Map<string, { value: A | undefined }>();
    const store = (key: string, value: A): void => {
      const slot = groups.get(key);
      if (slot) slot.value = value;
      else groups.set(key, { value });
    };
    return {
      step: (record) => {
        const key = extractKey(extractor, record as T);
        const slot = groups.get(key);
        // A key enters the table with the reducer's first result: when it throws, the key is not there.
        const accumulator = slot !== undefined ? slot.value : zero ? zero() : undefined;
        const result = reducer(key, accumulator, record as T);
        if (isPromiseLike(result)) return Promise.resolve(result).then((value) => store(key, value));
        if (slot !== undefined) slot.value = result;
        else groups.set(key, { value: result });
        return undefined;
      },
      finish: (emit) => {
        for (const [key, slot] of groups) emit({ key, value: slot.value as A });
      },
    };
  };
}
