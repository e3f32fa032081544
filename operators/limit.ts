import { pipe, skip, take, type MonoTypeOperatorFunction } from 'rxjs';
import { GearsBuildError } from '../lib/errors.ts';

/**
 * Passes `length` records after skipping `start`, per shard (a local step, as in RedisGears). Reaching the
 * limit stops the reader upstream.
 *
 * @example
 * GB().limit(10).run() // at most 10 records from each shard
 */
export function limit<T>(length: number, start = 0): MonoTypeOperatorFunction<T> {
  assertLimitArguments(length, start);
  return pipe(skip(start), take(length));
}

export function assertLimitArguments(length: unknown, start: unknown): void {
  for (const value of [length, start]) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new GearsBuildError('limit argument must be a number');
    }
  }
}
