import { concatMap, defer, EMPTY, filter, from, map as rxMap, of, type Observable } from 'rxjs';
import type { Shard } from '../lib/cluster/topology.ts';
import type { KeyData, KeyspaceEvent } from '../lib/store/ShardStore.ts';
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

/** A trigger whose records are read when its execution runs; the Observable form is made only if asked for. */
class EventTrigger implements Trigger {
  constructor(
    readonly shard: Shard,
    readonly load: () => unknown[] | Promise<unknown[]>,
  ) {}

  get records(): Observable<unknown> {
    return defer(() => {
      const list = this.load();
      return Array.isArray(list) ? from(list) : from(list).pipe(concatMap((records) => from(records)));
    });
  }
}

/**
 * Reads keys as their executions ask for them, one `readKeys` for all the keys asked for in the same turn of
 * the event loop: a burst of events (a client's pipeline, a MULTI, a busy second) costs one batch read (one
 * pipelined round trip) instead of one per event. Each key is still read when its execution runs, type and value
 * from one reply (`ReadStrategy`); only the moment moves, to the end of the current microtask queue.
 */
function batchedReads(
  shard: Shard,
  readValue: boolean,
): <R>(key: string, then: (data: KeyData) => R) => Promise<R> {
  let keys: string[] | undefined;
  let reply: Promise<KeyData[]> | undefined;
  return (key, then) => {
    if (!keys || !reply) {
      const batch: string[] = (keys = []);
      reply = Promise.resolve().then(() => {
        keys = reply = undefined;
        return shard.store.readKeys(batch, { readValue });
      });
    }
    const index = keys.push(key) - 1;
    return reply.then((data) => then(data[index] ?? { key, type: 'none', value: null }));
  };
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
  const readInBatch = batchedReads(shard, readValue);
  const record = (data: KeyData, event: string): KeysRecord | KeyNameRecord => {
    // A fresh object from toKeysRecord: set its event rather than copy it.
    const made = toKeysRecord(data, readValue);
    made.event = event;
    return made;
  };

  const events = shard.store
    .keyspaceEvents()
    .pipe(filter((e) => matches(e.key) && (!eventTypes || eventTypes.has(e.event.toLowerCase()))));
  if (!keyTypes) {
    // Without the value the record is the key and the event, which the notification already carries:
    // no read, so no round trip to Redis (and no script run on it) per event.
    const load = readValue
      ? (e: KeyspaceEvent) => () => readInBatch(e.key, (data) => [record(data, e.event)])
      : (e: KeyspaceEvent) => () => [{ key: e.key, event: e.event }];
    return events.pipe(rxMap((e): Trigger => new EventTrigger(shard, load(e))));
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
