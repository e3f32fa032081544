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

// The helpers operators share with the engine and the cluster layer live in lib/rx.
export { isPromiseLike, whileOpen } from '../../lib/rx/index.ts';
