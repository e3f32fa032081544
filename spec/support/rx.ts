import { expect } from 'vitest';
import { TestScheduler } from 'rxjs/testing';

/** A marble-test scheduler asserting with vitest's deep equality. */
export const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A promise with its resolve/reject, for settling async callbacks exactly when a test wants. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
