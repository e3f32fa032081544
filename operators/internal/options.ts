import { takeWhile, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * How an rxgears operator treats its callback. The engine passes `onError` so a throwing callback drops its
 * record and is reported instead of failing the run; used on its own in an RxJS pipeline, an operator without
 * `onError` sends the error down the stream like any RxJS operator.
 */
export interface StepOptions {
  /** Called with the error when a callback throws or rejects; the record is dropped and the stream goes on. */
  onError?: (error: unknown) => void;
  /** Most async callbacks pending at once (default 64). Records still come out in input order. */
  concurrency?: number;
}

export const DEFAULT_STEP_CONCURRENCY = 64;

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Completes the source as soon as `subscriber` is closed. An operator built as `new Observable(s =>
 * source.subscribe({...}))` only gets its teardown back once `subscribe` returns, so a synchronous source
 * (a generator, `of(…)`) would otherwise run to its end after the consumer unsubscribed; `takeWhile` is
 * linked to the source, and stops it at the next record.
 */
export function whileOpen<T>(subscriber: { readonly closed: boolean }): MonoTypeOperatorFunction<T> {
  return takeWhile(() => !subscriber.closed);
}
