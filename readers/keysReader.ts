import { defer, from, EMPTY, map as rxMap, type Observable } from 'rxjs';
import type { KeyData } from '../lib/store/ShardStore.ts';
import type { ReaderContext } from './types.ts';
import { scanPages, DEFAULT_SCAN_COUNT } from './scanKeys.ts';

/** A KeysReader record: the key, its type and value, and the event that triggered the read (null in batch). */
export type KeysRecord = (Exclude<KeyData, { type: 'none' }> | { key: string; type: 'empty'; value: null }) & {
  event: string | null;
};

/** With `readValue: false`: the key name and the event only. */
export interface KeyNameRecord {
  key: string;
  event: string | null;
}

export interface KeysReaderOptions {
  /** Treat the argument as one key name instead of a glob (no SCAN); a missing key gives type `'empty'`. */
  noScan?: boolean;
  /** Read values (default true); false gives `{ key, event }` records. */
  readValue?: boolean;
  /** SCAN COUNT hint per page (default 1000). */
  count?: number;
}

/**
 * Reads the keys of one shard that match a Redis glob, with their types and values: SCAN pages, each page's
 * TYPE + typed reads pipelined in one batch, the next SCAN overlapping the reads.
 *
 * @example
 * GB('KeysReader').run('person:*', { readValue: true })
 */
export function keysReader(
  context: ReaderContext,
  pattern: string,
  options: KeysReaderOptions = {},
): Observable<KeysRecord | KeyNameRecord> {
  const { store } = context.shard;
  const readValue = options.readValue ?? true;
  if (options.noScan) {
    if (!context.owns(pattern)) return EMPTY;
    return defer(() => from(store.readKeys([pattern], { readValue }))).pipe(
      rxMap(([data]) => toKeysRecord(data ?? { key: pattern, type: 'none', value: null }, readValue)),
    );
  }
  return scanPages(
    store,
    pattern,
    options.count ?? DEFAULT_SCAN_COUNT,
    async (keys) => {
      const data = await store.readKeys(keys, { readValue });
      const records: (KeysRecord | KeyNameRecord)[] = [];
      // A key deleted between SCAN and the read is skipped, as if the scan had not seen it.
      for (const item of data) if (item.type !== 'none') records.push(toKeysRecord(item, readValue));
      return records;
    },
    context.demand,
  );
}

/** A KeysReader record from a key's data (`event` set by the caller for event-triggered reads). */
export function toKeysRecord(data: KeyData, readValue: boolean): KeysRecord | KeyNameRecord {
  if (!readValue) return { key: data.key, event: null };
  if (data.type === 'none') return { key: data.key, type: 'empty', value: null, event: null };
  // A set has no order, and Redis' SMEMBERS order depends on its encoding: sorted members make the same set
  // read the same on every store and shard count.
  if (data.type === 'set' && data.value)
    return { key: data.key, type: 'set', value: [...data.value].sort(), event: null };
  // No spread: this runs once per key read, and a literal with known fields is what V8 builds fastest.
  return { key: data.key, type: data.type, value: data.value, event: null } as KeysRecord;
}
