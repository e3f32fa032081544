import type { ShardStore } from '../../store/ShardStore.ts';

/** How the Redis exchange transport is set up; see `REDIS_TRANSPORT_DEFAULTS`. */
export interface RedisTransportOptions {
  /** The store holding a key (on a Cluster: the master owning its slot). */
  storeFor: (key: string) => ShardStore;
  /** The stream of an exchange's destination; default `rxg:{x:<exchange>:<to>}` (one slot per destination). */
  streamKey?: (exchange: string, to: number) => string;
  /** The epoch this process sends under for a shard (its lease's fencing token); default 0. */
  epochOf?: (shard: number) => number;
  /** The epoch a receiver accepts from a sender shard; entries under another epoch are dropped. Default: any. */
  acceptEpoch?: (shard: number) => number | undefined;
  /** Records per data entry. */
  batchSize?: number;
  /** Entries a destination stream may hold before senders wait for the receiver (back-pressure). */
  highWater?: number;
  /**
   * Entries a process's links may hold to send (waiting at a high-water mark, or for their XADD) before its
   * readers wait between pages (`demand()`).
   */
  maxQueued?: number;
  /** Entries per read. */
  readCount?: number;
  /**
   * Longest XREAD BLOCK of an inbox with nothing to read, ms (then it reads again): how late an inbox that was
   * left notices it. A blocked read holds a connection of its own (`RedisStore.call`), never the shared one.
   */
  blockMs?: number;
  /** Longest pause between two looks at a destination stream at the high-water mark (a waiting sender), ms. */
  maxPollMs?: number;
  /** Every exchange stream expires this long after its last write, ms (a crashed receiver leaves nothing). */
  ttlMs?: number;
}

export const REDIS_TRANSPORT_DEFAULTS = {
  streamKey: (exchange: string, to: number): string => `rxg:{x:${exchange}:${to}}`,
  epochOf: (): number => 0,
  acceptEpoch: (): number | undefined => undefined,
  batchSize: 256,
  highWater: 64,
  maxQueued: 64,
  readCount: 64,
  blockMs: 500,
  maxPollMs: 32,
  ttlMs: 600_000,
} as const;

export type ResolvedTransportOptions = Required<RedisTransportOptions>;
