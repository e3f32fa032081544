/**
 * Small RxJS and Promise helpers every layer uses: the bottom of the import graph, next to errors and the
 * logger (the operators, the cluster transport, the engine and the script sandbox share them).
 */
import { takeWhile, type MonoTypeOperatorFunction } from 'rxjs';

/** A Promise or any other thenable: what an async callback returns. */
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
