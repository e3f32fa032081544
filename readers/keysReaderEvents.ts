import { concatMap, defer, EMPTY, filter, from, map as rxMap, of, type Observable } from 'rxjs';
import type { Shard } from '../lib/cluster/topology.ts';
import type { KeyData, KeyspaceEvent } from '../lib/store/ShardStore.ts';
import { toKeysRecord, type KeysRecord, type KeyNameRecord } from './keysReader.ts';
import { prefixMatcher, type LoadSink, type ReaderContext, type Trigger } from './types.ts';

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

/** A keyspace event's trigger: its record is read (or, without the value, made) when its execution runs. */
class EventTrigger implements Trigger {
  constructor(
    readonly shard: Shard,
    readonly event: KeyspaceEvent,
    /** The shard's batched reads; absent when the value is not read (the record is the key and the event). */
    private readonly reads: BatchedReads | undefined,
  ) {}

  loadInto(sink: LoadSink): void {
    if (this.reads) this.reads.read(this, sink);
    else sink.loaded([{ key: this.event.key, event: this.event.event }]);
  }

  load(): unknown[] | Promise<unknown[]> {
    if (!this.reads) return [{ key: this.event.key, event: this.event.event }];
    return new Promise((resolve, reject) =>
      this.loadInto({ loaded: (records) => resolve([...records]), failed: reject }),
    );
  }

  get records(): Observable<unknown> {
    return defer(() => {
      const list = this.load();
      return Array.isArray(list) ? from(list) : from(list).pipe(concatMap((records) => from(records)));
    });
  }
}

/** The keys asked for in one turn, and who waits for each. */
interface Batch {
  keys: string[];
  triggers: EventTrigger[];
  sinks: LoadSink[];
}

/**
 * Reads keys as their executions ask for them, one `readKeys` for all the keys asked for in the same turn of
 * the event loop: a burst of events (a client's pipeline, a MULTI, a busy second) costs one batch read (one
 * pipelined round trip) instead of one per event. Each key is still read when its execution runs, type and value
 * from one reply (`ReadStrategy`); only the moment moves, to the end of the current microtask queue. The reply
 * goes to each execution's sink in the order they asked (no Promise per event).
 */
class BatchedReads {
  private batch: Batch | undefined;

  constructor(
    private readonly shard: Shard,
    private readonly readValue: boolean,
  ) {}

  read(trigger: EventTrigger, sink: LoadSink): void {
    let batch = this.batch;
    if (!batch) {
      const opened: Batch = (batch = this.batch = { keys: [], triggers: [], sinks: [] });
      queueMicrotask(() => this.flush(opened));
    }
    batch.keys.push(trigger.event.key);
    batch.triggers.push(trigger);
    batch.sinks.push(sink);
  }

  private flush(batch: Batch): void {
    this.batch = undefined;
    let reply: Promise<KeyData[]>;
    try {
      reply = this.shard.store.readKeys(batch.keys, { readValue: this.readValue });
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply.then(
      (data) => {
        const { triggers, sinks } = batch;
        for (let i = 0; i < sinks.length; i++) {
          const { key, event } = triggers[i]!.event;
          let records: (KeysRecord | KeyNameRecord)[];
          try {
            // A fresh object from toKeysRecord: set its event rather than copy it.
            const made = toKeysRecord(data[i] ?? { key, type: 'none', value: null }, this.readValue);
            made.event = event;
            records = [made];
          } catch (error) {
            sinks[i]!.failed(error);
            continue;
          }
          // One execution's failure is its own: the others of the batch still get their records.
          try {
            sinks[i]!.loaded(records);
          } catch (error) {
            sinks[i]!.failed(error);
          }
        }
      },
      (error: unknown) => {
        for (const sink of batch.sinks) sink.failed(error);
      },
    );
  }
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
    const reads = readValue ? new BatchedReads(shard, readValue) : undefined;
    return events.pipe(rxMap((e): Trigger => new EventTrigger(shard, e, reads)));
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
