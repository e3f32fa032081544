import { defer, from, isObservable, Observable, type ObservableInput } from 'rxjs';
import { GearsError } from '../lib/errors.ts';
import type { ReaderContext } from './types.ts';

/** What a GeneratorReader function may return. */
export type GeneratorSource<T> = Iterable<T> | AsyncIterable<T> | Observable<T>;

/**
 * Records from your own function (RedisGears' PythonReader): an iterable, async iterable or Observable. Called
 * on every shard in `async` mode, on the initiator only in `async_local`.
 *
 * @example
 * GB('GeneratorReader').map((n) => n * 2).run(function* () { yield* [1, 2, 3] }, { mode: 'async_local' })
 */
export function generatorReader<T>(context: ReaderContext, generator: () => GeneratorSource<T>): Observable<T> {
  // Subscribing inside the shard's runtime context makes the generator's body (which runs on iteration, not
  // on the call) see the context too, so `execute()` and `hashtag()` work in it.
  return new Observable<T>((subscriber) =>
    context.invoke(() => defer(() => toObservable(generator)).subscribe(subscriber)),
  );
}

function toObservable<T>(generator: () => GeneratorSource<T>): Observable<T> {
  if (typeof generator !== 'function') throw new GearsError('GeneratorReader argument must be a function');
  const source = generator() as unknown;
  if (isObservable(source)) return source as Observable<T>;
  if (source !== null && typeof source === 'object' && (Symbol.iterator in source || Symbol.asyncIterator in source)) {
    return from(source as ObservableInput<T>);
  }
  throw new GearsError('GeneratorReader function must return an iterable, an async iterable or an Observable');
}
