import { concatMap, defer, EMPTY, filter, from, map as rxMap, of, type Observable } from 'rxjs';
import type { KeyData } from '../lib/store/ShardStore.ts';
import { toKeysRecord, type KeysRecord, type KeyNameRecord } from './keysReader.ts';
import { prefixMatcher, type ReaderContext, type Trigger } from './types.ts';

export interface KeysReaderRegisterOptions {
  /** Keys to watch: trailing `*` = starts-with, otherwise the exact key (default `*`). */
  prefix?: string;
  /** Only these events (`set`, `hset`, `del`, `expired`, …), case-insensitive. */
  eventTypes?: readonly string[];
  /** Only keys of these types (`string`, `hash`, …); a deleted key has no type and is skipped then. */
  keyTypes?: readonly string[];
  /** Read the key's value into the record (default true). */
  readValue?: boolean;
}

/**
 * The KeysReader's event side: every keyspace event of this shard whose key matches `prefix` becomes a
 * trigger whose record `{ key, type, value, event }` is read when its execution runs. With `keyTypes` the key
 * is read first, to skip events of other types without an execution.
 */
export function keysReaderEvents(context: ReaderContext, options: KeysReaderRegisterOptions): Observable<Trigger> {
  const { shard } = context;
  const matches = prefixMatcher(options.prefix ?? '*');
  const eventTypes = options.eventTypes && new Set(options.eventTypes.map((e) => e.toLowerCase()));
  const keyTypes = options.keyTypes && new Set(options.keyTypes.map((t) => t.toLowerCase()));
  const readValue = options.readValue ?? true;
  const read = (key: string): Promise<KeyData> =>
    shard.store.readKeys([key], { readValue }).then(([data]) => data ?? { key, type: 'none', value: null });
  const record = (data: KeyData, event: string): KeysRecord | KeyNameRecord => ({
    ...toKeysRecord(data, readValue),
    event,
  });

  const events = shard.store
    .keyspaceEvents()
    .pipe(filter((e) => matches(e.key) && (!eventTypes || eventTypes.has(e.event.toLowerCase()))));
  if (!keyTypes) {
    return events.pipe(
      rxMap((e): Trigger => ({
        shard,
        // Without the value the record is the key and the event, which the notification already carries:
        // no read, so no round trip to Redis (and no script run on it) per event.
        records: readValue
          ? defer(() => from(read(e.key))).pipe(rxMap((data) => record(data, e.event)))
          : of({ key: e.key, event: e.event }),
      })),
    );
  }
  // Reading before the execution, in event order, so only events of the wanted key types trigger.
  return events.pipe(
    concatMap((e) =>
      from(read(e.key)).pipe(
        concatMap((data) =>
          keyTypes.has(data.type) ? of<Trigger>({ shard, records: of(record(data, e.event)) }) : EMPTY,
        ),
      ),
    ),
  );
}
