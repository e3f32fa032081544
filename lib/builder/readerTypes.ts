import type { ReaderDescriptor } from '../../readers/descriptor.ts';
import type { READERS, ReaderName } from '../../readers/index.ts';

/** A descriptor's types: the record it produces, the argument `run()` takes and its reader options. */
type TypesOf<D> = D extends ReaderDescriptor<infer R, infer A, infer O> ? { record: R; arg: A; options: O } : never;

/** Per reader: the record it produces, the argument `run()` takes and its reader options (from `READERS`). */
export type ReaderTypes = { [N in ReaderName]: TypesOf<(typeof READERS)[N]> };

export type ReaderRecord<N extends ReaderName> = ReaderTypes[N]['record'];
export type ReaderArg<N extends ReaderName> = ReaderTypes[N]['arg'];
export type ReaderOptions<N extends ReaderName> = ReaderTypes[N]['options'];

/** Options of `run()` and `toObservable()`, common to every reader. */
export interface RunOptions {
  /** Gather every shard's results at the initiator (default true); false returns the initiator's own only. */
  collect?: boolean;
  /** `async` (default): every shard; `async_local`: the initiator alone, global steps are no-ops. */
  mode?: 'async' | 'async_local';
  /** Resolve at once with the execution id; fetch results later with `getResults(id)`. */
  unblocking?: boolean;
  /** Id of the shard that gathers results (default: the owner of slot 0). */
  initiator?: string;
}
