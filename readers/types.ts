import type { Observable } from 'rxjs';
import type { Shard, Topology } from '../lib/cluster/topology.ts';

/** What a reader is told about the shard it reads. */
export interface ReaderContext {
  shard: Shard;
  topology: Topology;
  /** Whether this shard owns the hash slot of `key` (readers that read one key read it on its owner only). */
  owns(key: string): boolean;
  /** Calls a user callback (a generator, a pattern generator) inside the runtime context of this shard. */
  invoke<R>(fn: () => R): R;
}

/** A batch reader: a cold Observable of records per shard; unsubscribing stops the read. */
export type BatchRead<A, O, R> = (context: ReaderContext, arg: A, options: O) => Observable<R>;

/** The names `GB()` accepts. */
export type ReaderName =
  'KeysReader' | 'KeysOnlyReader' | 'StreamReader' | 'ShardsIDReader' | 'GeneratorReader' | 'CommandReader';

export const READER_NAMES: readonly ReaderName[] = [
  'KeysReader',
  'KeysOnlyReader',
  'StreamReader',
  'ShardsIDReader',
  'GeneratorReader',
  'CommandReader',
];
