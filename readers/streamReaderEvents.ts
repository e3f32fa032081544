import { hostname } from 'node:os';
import { filter, from, Observable } from 'rxjs';
import { StreamConsumer, type RegistrationState, type StreamConsumerSettings } from './StreamConsumer.ts';
import type { StreamRecord } from './streamReader.ts';
import { prefixMatcher, type EventControl, type ReaderContext, type Trigger } from './types.ts';

export interface StreamReaderRegisterOptions {
  /** Streams to consume: trailing `*` = starts-with, otherwise the exact key (default `*`). */
  prefix?: string;
  /** Entries per execution (default 1): as RedisGears, an execution runs once `batch` entries are pending. */
  batch?: number;
  /** ms: run a partial batch once its first entry waited this long; 0 (default) = wait for a full batch. */
  duration?: number;
  /** When an execution had errors: `continue` (acknowledge, go on), `abort` (stop, status ABORTED), `retry`. */
  onFailedPolicy?: 'continue' | 'abort' | 'retry';
  /** Seconds before a failed batch runs again with `retry` (default 5). */
  onFailedRetryInterval?: number;
  /** Trim processed entries (XTRIM MINID below what any group has not acknowledged; default true). */
  trimStream?: boolean;
  /** Names the consumer group: `rxgears:<name>` (default `rxgears:default`). */
  name?: string;
  /**
   * Seconds between two SCANs for matching streams not followed yet (default 30; 0 = only at registration).
   * New streams are found by their first `xadd` notification; this finds those whose notification was lost
   * (subscriber reconnecting, `notify-keyspace-events` turned off) or that appeared without one (RENAME, COPY,
   * RESTORE). Each rescan walks the shard's whole keyspace: raise it on very large keyspaces.
   */
  rescanInterval?: number;
}

export const DEFAULT_STREAM_REGISTER_OPTIONS = {
  prefix: '*',
  batch: 1,
  duration: 0,
  onFailedPolicy: 'continue',
  onFailedRetryInterval: 5,
  trimStream: true,
  rescanInterval: 30,
} as const satisfies StreamReaderRegisterOptions;

/**
 * Timings of the consumers (not options: RedisGears has none of them). Entries another consumer left pending
 * for `claimMinIdleMs` are taken over — long enough that a live consumer's batch is not stolen, short enough
 * that a crashed one's entries do not wait long. `pollMs` bounds how long an entry waits when its `xadd`
 * notification was lost (pub/sub is fire-and-forget). `trimEveryMs`: at most one trim per stream that often —
 * a trim is three round trips on the connection the reads share.
 */
export const STREAM_CONSUMER_TIMINGS = {
  claimMinIdleMs: 30_000,
  claimCheckMs: 10_000,
  pollMs: 1_000,
  pauseCheckMs: 100,
  trimEveryMs: 100,
} as const;

/**
 * The consumer name of this process in a registration's group: `<RXGEARS_CONSUMER or hostname>:<name>`. Stable
 * across restarts, so a restarted process reads its own pending entries at once (other consumers' entries are
 * claimed only after `claimMinIdleMs`). Processes sharing a host and a registration name must set
 * `RXGEARS_CONSUMER` apart, or they read each other's pending entries.
 */
export function streamConsumerName(name: string): string {
  return `${process.env['RXGEARS_CONSUMER'] || hostname()}:${name}`;
}

/**
 * Per registration, what its shard consumers share (abort, retry status). Keyed by the options object, which
 * the engine hands to every shard of one registration: registration ids alone can repeat across engines in
 * one process (memory shards have fixed ids).
 */
const registrations = new WeakMap<object, RegistrationState>();

/** SCAN MATCH pattern for a prefix: Redis glob characters in it are escaped. */
function prefixGlob(prefix: string): string {
  const starts = prefix.endsWith('*');
  const escaped = (starts ? prefix.slice(0, -1) : prefix).replace(/[*?[\]\\]/g, '\\$&');
  return starts ? `${escaped}*` : escaped;
}

/**
 * The StreamReader's event side on one shard: every stream of the shard whose key matches `prefix` — found by
 * SCAN (TYPE stream) when subscribed, and by its `xadd` events after — is consumed through the group
 * `rxgears:<name>` (created at `0`), `batch` entries per trigger, one trigger in flight per stream. A trigger's
 * outcome decides: success (or `continue`) → XACK and, with `trimStream`, XTRIM MINID; `abort` → status
 * ABORTED, nothing more read, the batch stays pending; `retry` → the same batch again after
 * `onFailedRetryInterval` s. A crash leaves batches pending; they are read again (at-least-once).
 *
 * @example
 * await GB('StreamReader')
 *   .forEach((e) => execute('HINCRBY', `clicks:${e.value.page}`, 'n', 1))
 *   .register({ prefix: 'clicks:*', batch: 100, duration: 50, name: 'clicks' });
 */
export function streamReaderEvents(
  context: ReaderContext,
  options: StreamReaderRegisterOptions,
  control: EventControl,
): Observable<Trigger> {
  const { shard } = context;
  const prefix = options.prefix ?? DEFAULT_STREAM_REGISTER_OPTIONS.prefix;
  const matches = prefixMatcher(prefix);
  const settings: StreamConsumerSettings = {
    group: `rxgears:${control.name}`,
    consumer: control.consumer ?? streamConsumerName(control.name),
    batch: options.batch ?? DEFAULT_STREAM_REGISTER_OPTIONS.batch,
    duration: options.duration ?? DEFAULT_STREAM_REGISTER_OPTIONS.duration,
    onFailedPolicy: options.onFailedPolicy ?? DEFAULT_STREAM_REGISTER_OPTIONS.onFailedPolicy,
    retryIntervalMs: (options.onFailedRetryInterval ?? DEFAULT_STREAM_REGISTER_OPTIONS.onFailedRetryInterval) * 1000,
    trimStream: options.trimStream ?? DEFAULT_STREAM_REGISTER_OPTIONS.trimStream,
    ...STREAM_CONSUMER_TIMINGS,
  };

  return new Observable<Trigger>((subscriber) => {
    let shared = registrations.get(options);
    if (!shared) registrations.set(options, (shared = { aborted: false, retrying: 0 }));
    const emit = (records: StreamRecord[], finished: Trigger['finished'], lagMs: number): void => {
      const trigger: Trigger = { shard, records: from(records), load: () => records, lagMs };
      if (finished) trigger.finished = finished;
      subscriber.next(trigger);
    };
    const consumer = new StreamConsumer(shard.store, settings, control, shared, emit);
    // Subscribed before the SCAN, so a stream created meanwhile is seen one way or the other.
    const events = shard.store
      .keyspaceEvents()
      .pipe(filter((e) => e.event === 'xadd' && matches(e.key)))
      .subscribe({
        // Out of the writer's command (the embedded store notifies synchronously).
        next: (e) => void Promise.resolve().then(() => consumer.track(e.key)),
        error: (error: unknown) => subscriber.error(error),
      });
    consumer.start();
    const glob = prefixGlob(prefix);
    const rescanMs = (options.rescanInterval ?? DEFAULT_STREAM_REGISTER_OPTIONS.rescanInterval) * 1000;
    let scanning = true;
    let rescan: NodeJS.Timeout | undefined;
    let failing = false;
    const retried = rescanMs > 0 ? ` (tried again every ${rescanMs / 1000} s)` : '';
    /** One SCAN (TYPE stream) of the shard: every matching stream not followed yet is followed from now on. */
    const scanOnce = async (): Promise<void> => {
      let cursor = '0';
      do {
        const page = await shard.store.scan(cursor, { match: glob, type: 'stream', count: 1000 });
        for (const key of page.keys) if (scanning && matches(key) && !consumer.follows(key)) consumer.track(key);
        cursor = page.cursor;
      } while (cursor !== '0' && scanning);
    };
    /** Scans, then schedules the next scan; a failed scan is reported once (until one succeeds) and retried. */
    const scan = (what: string): void => {
      void scanOnce()
        .then(
          () => void (failing = false),
          (error: unknown) => {
            if (scanning && !failing) control.warn(`${what} failed${retried}: ${String(error)}`);
            failing = true;
          },
        )
        .finally(() => {
          if (!scanning || rescanMs === 0) return;
          rescan = setTimeout(() => scan('looking for new streams'), rescanMs);
          rescan.unref();
        });
    };
    // The first SCAN once the subscription receives events: a stream created before that is found by the
    // SCAN, one created after it by its `xadd` event. (If the subscription fails, register() says so.)
    void shard.store
      .keyspaceReady()
      .catch(() => undefined)
      .then(() => {
        if (scanning) scan('finding existing streams');
      });

    return () => {
      scanning = false;
      clearTimeout(rescan);
      events.unsubscribe();
      consumer.stop();
    };
  });
}
