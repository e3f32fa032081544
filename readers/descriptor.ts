/**
 * What a reader says about itself: its name, default argument, batch side, event side and their options with
 * their validation, and how a pause treats its events. `READERS` (readers/index.ts) lists them; the engine and
 * the builder's types read everything about a reader from there, so a new reader or option is one file.
 */
import type { BatchRead, EventSource } from './types.ts';
import type { OptionRules } from './optionRules.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the event side's options are checked by its rules. */
export interface ReaderDescriptor<R = unknown, A = unknown, O extends object = object> {
  readonly name: string;
  /** The argument `run()` uses when none is given (and `register()`'s default `prefix`). */
  readonly defaultArg?: A;
  /** The batch side; absent: `run()` throws `reader do not support run` (CommandReader). */
  readonly run?: BatchRead<A, O, R>;
  /** Checks `run()`'s argument (a GearsError with the reader's message). */
  readonly checkArg?: (arg: unknown) => void;
  /** `run()` options of this reader (the common ones, `collect`, `mode`, …, are the engine's). */
  readonly runOptions: OptionRules;
  /** `register()` options of this reader; absent: `register()` throws `reader do not support register`. */
  readonly registerOptions?: OptionRules;
  /** Checks between options, after each was checked alone (`mode` with `onFailedPolicy`, …). */
  readonly checkRegister?: (options: Readonly<Record<string, unknown>>) => void;
  /** The event side, per shard; absent for readers that run on calls (CommandReader). */
  readonly events?: EventSource<any>;
  /**
   * True: a paused registration's events are dropped (keyspace events cannot wait). False: the source stops
   * reading by itself and resumes where it stopped (a stream keeps its entries).
   */
  readonly pauseDropsEvents: boolean;
  /** Registrations of this reader report `lastEstimatedLagMS` / `avgEstimatedLagMS`. */
  readonly reportsLag?: boolean;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * A reader's descriptor, typed by the record it produces (`R`), `run()`'s argument (`A`) and its `run()`
 * options (`O`): the builder's `ReaderTypes` are derived from these.
 */
export function defineReader<R, A, O extends object = object>(
  descriptor: ReaderDescriptor<R, A, O>,
): ReaderDescriptor<R, A, O> {
  return Object.freeze(descriptor);
}
