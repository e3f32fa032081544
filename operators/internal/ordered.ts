import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import { DEFAULT_STEP_CONCURRENCY, isPromiseLike, whileOpen, type StepOptions } from './options.ts';

/**
 * The engine of the per-record operators (map, flatMap, forEach, filter): calls `project` on each record and
 * passes its result to `emit`, in input order. A synchronous result is emitted at once (the fast path, no
 * allocation); a Promise is awaited with at most `concurrency` pending, and later results wait for earlier
 * ones so order is kept. A callback that throws or rejects drops its record: `onError` hears of it, or, without
 * `onError`, the stream errors like a plain RxJS operator.
 */
export function orderedStep<T, O>(
  project: (record: T) => unknown,
  emit: (out: Subscriber<O>, record: T, result: unknown) => void,
  options: StepOptions = {},
): OperatorFunction<T, O> {
  const concurrency = options.concurrency ?? DEFAULT_STEP_CONCURRENCY;
  return (source) =>
    new Observable<O>((out) => {
      // Entries in input order; `done` marks a settled one, `failed` one to drop.
      const queue: { record: T; done: boolean; failed: boolean; value: unknown }[] = [];
      const waiting: T[] = [];
      let pending = 0;
      let sourceDone = false;

      const fail = (error: unknown): void => {
        if (options.onError) options.onError(error);
        else out.error(error);
      };
      const safeEmit = (record: T, value: unknown): void => {
        try {
          emit(out, record, value);
        } catch (error) {
          fail(error);
        }
      };
      const drain = (): void => {
        while (queue.length > 0 && queue[0]!.done) {
          const entry = queue.shift()!;
          if (!entry.failed) safeEmit(entry.record, entry.value);
          if (out.closed) return;
        }
        while (waiting.length > 0 && pending < concurrency && !out.closed) start(waiting.shift()!);
        if (sourceDone && queue.length === 0 && waiting.length === 0) out.complete();
      };
      const start = (record: T): void => {
        let result: unknown;
        try {
          result = project(record);
        } catch (error) {
          fail(error);
          return;
        }
        if (!isPromiseLike(result)) {
          if (queue.length === 0) safeEmit(record, result);
          else queue.push({ record, done: true, failed: false, value: result });
          return;
        }
        const entry = { record, done: false, failed: false, value: undefined as unknown };
        queue.push(entry);
        pending++;
        result.then(
          (value) => {
            pending--;
            entry.done = true;
            entry.value = value;
            if (!out.closed) drain();
          },
          (error: unknown) => {
            pending--;
            entry.done = true;
            entry.failed = true;
            if (!out.closed) {
              fail(error);
              drain();
            }
          },
        );
      };

      const subscription = source.pipe(whileOpen(out)).subscribe({
        next: (record) => {
          // A synchronous source keeps emitting after an error or an unsubscribe downstream until `subscribe`
          // returns: call no more callbacks. A record arriving (re-entrantly) while others wait queues behind them.
          if (out.closed) return;
          if (pending >= concurrency || waiting.length > 0) waiting.push(record);
          else start(record);
        },
        error: (error: unknown) => out.error(error),
        complete: () => {
          sourceDone = true;
          drain();
        },
      });
      return () => subscription.unsubscribe();
    });
}

/**
 * A reducing step's state for one stream: `step` folds a record in (a Promise holds back the next record until
 * it settles), `finish` emits what was folded once the input is done. `accumulate` and `localGroupBy` are folds.
 */
export interface Fold {
  step(record: unknown): unknown;
  finish(emit: (record: unknown) => void): void;
}

/**
 * The engine of the reducing operators (accumulate, localGroupBy): feeds records to `step` one at a time.
 * A Promise from `step` holds back later records until it settles, because each step depends on the state
 * the previous one left. `finish` runs once the source completed and every step settled.
 */
export function sequentialStep<T, O>(
  step: (record: T) => unknown,
  finish: (out: Subscriber<O>) => void,
  options: StepOptions = {},
): OperatorFunction<T, O> {
  return (source) =>
    new Observable<O>((out) => {
      const waiting: T[] = [];
      let busy = false;
      let sourceDone = false;

      const fail = (error: unknown): void => {
        if (options.onError) options.onError(error);
        else out.error(error);
      };
      const end = (): void => {
        try {
          finish(out);
          out.complete();
        } catch (error) {
          out.error(error);
        }
      };
      const run = (record: T): void => {
        let result: unknown;
        try {
          result = step(record);
        } catch (error) {
          fail(error);
          return;
        }
        if (!isPromiseLike(result)) return;
        busy = true;
        result.then(
          () => resume(),
          (error: unknown) => {
            if (!out.closed) fail(error);
            resume();
          },
        );
      };
      const resume = (): void => {
        busy = false;
        while (!busy && waiting.length > 0 && !out.closed) run(waiting.shift()!);
        if (!busy && sourceDone && !out.closed) end();
      };

      const subscription = source.pipe(whileOpen(out)).subscribe({
        next: (record) => {
          if (out.closed) return; // see orderedStep: no callbacks after an error or an unsubscribe
          if (busy) waiting.push(record);
          else run(record);
        },
        error: (error: unknown) => out.error(error),
        complete: () => {
          sourceDone = true;
          if (!busy) end();
        },
      });
      return () => subscription.unsubscribe();
    });
}
