import type { KeysRecord, KeysReaderOptions } from '../../readers/keysReader.ts';
import type { KeysOnlyReaderOptions } from '../../readers/keysOnlyReader.ts';
import type { StreamRecord, StreamReaderOptions } from '../../readers/streamReader.ts';
import type { GeneratorSource } from '../../readers/generatorReader.ts';
import type { ReaderName } from '../../readers/types.ts';

/** Per reader: the record it produces, the argument `run()` takes and its reader options. */
export interface ReaderTypes {
  KeysReader: { record: KeysRecord; arg: string; options: KeysReaderOptions };
  KeysOnlyReader: { record: string; arg: string; options: KeysOnlyReaderOptions };
  StreamReader: { record: StreamRecord; arg: string; options: StreamReaderOptions };
  ShardsIDReader: { record: string; arg: undefined; options: object };
  GeneratorReader: { record: unknown; arg: () => GeneratorSource<unknown>; options: object };
  CommandReader: { record: string[]; arg: never; options: object };
}

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

export const DEFAULT_RUN_OPTIONS = { collect: true, mode: 'async', unblocking: false } as const;
