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
  const demand = context.demand;
  if (demand) return paced(context, generator, demand);
  return new Observable<T>((subscriber) =>
    context.invoke(() => defer(() => toObservable(generator)).subscribe(subscriber)),
  );
}

/** Records per page of a synchronous generator in a distributed run: between pages it waits for demand. */
const PAGE = 1024;

/**
 * A distributed run's GeneratorReader: a synchronous iterable is read in pages, each after the exchange's
 * demand (a slow receiver holds the generator, and the event loop turns between pages, so leases are
 * renewed); an async iterable or an Observable paces itself.
 */
function paced<T>(
  context: ReaderContext,
  generator: () => GeneratorSource<T>,
  demand: () => Promise<void>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let stopped = false;
    const source = context.invoke(() => {
      if (typeof generator !== 'function') throw new GearsError('GeneratorReader argument must be a function');
      return generator() as unknown;
    });
    if (isObservable(source) || (source !== null && typeof source === 'object' && Symbol.asyncIterator in source)) {
      const inner = context.invoke(() => toObservable(() => source as GeneratorSource<T>).subscribe(subscriber));
      return () => inner.unsubscribe();
    }
    if (source === null || typeof source !== 'object' || !(Symbol.iterator in source))
      throw new GearsError('GeneratorReader function must return an iterable, an async iterable or an Observable');
    const iterator = (source as Iterable<T>)[Symbol.iterator]();
    const loop = async (): Promise<void> => {
      for (;;) {
        await demand();
        if (stopped) return;
        for (let i = 0; i < PAGE; i++) {
          const next = context.invoke(() => iterator.next());
          if (next.done) return;
          subscriber.next(next.value);
          if (stopped) return;
        }
      }
    };
    loop().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      stopped = true;
      iterator.return?.();
    };
  });
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
