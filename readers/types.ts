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
  /**
   * Resolves when the execution wants more records (distributed runs: the exchange's senders hold little
   * enough); readers await it between pages. Absent in one process, where nothing waits.
   */
  demand?: () => Promise<void>;
}

/** A batch reader: a cold Observable of records per shard; unsubscribing stops the read. */
export type BatchRead<A, O, R> = (context: ReaderContext, arg: A, options: O) => Observable<R>;

/** One event's worth of work for a registration: the records its execution reads on the event's shard. */
export interface Trigger<R = unknown> {
  /** The shard the event happened on: the execution's initiator. */
  shard: Shard;
  /** The execution's stage-0 input on that shard (read when the execution runs). */
  records: Observable<R>;
  /**
   * The same records as a list (or a Promise of one), read when called: what the engine takes instead of
   * subscribing `records` when the execution runs on this shard alone — no Observable per event.
   */
  load?: () => readonly R[] | PromiseLike<readonly R[]>;
  /**
   * The same list handed to `sink` (once: `loaded` or `failed`) instead of returned — what the engine calls,
   * when present, instead of `load`: no Promise per event. Called as a method of the trigger.
   */
  loadInto?: (sink: LoadSink<R>) => void;
  /** Called once the execution finished (acknowledge a stream batch, …); a rejection is reported. */
  finished?: (outcome: TriggerOutcome) => Promise<void> | void;
  /** How long the event waited before its execution started, ms (stream lag). */
  lagMs?: number;
}

/** Where `Trigger.loadInto` hands a trigger's records: exactly one call, `loaded` or `failed`. */
export interface LoadSink<R = unknown> {
  loaded(records: readonly R[]): void;
  failed(error: unknown): void;
}

/** How a triggered execution ended. */
export interface TriggerOutcome {
  status: 'done' | 'aborted';
  errors: readonly string[];
  /**
   * The gear paused its registration (RedisGears: an error whose message is `PAUSE`): the registration is
   * paused now, and what triggered the execution must run again after unpause (a stream batch stays pending).
   */
  paused?: boolean;
}

/** What an event source may know and change of its registration. */
export interface EventControl {
  readonly registrationId: string;
  /** `name` option, or `'default'`. */
  readonly name: string;
  /** StreamReader's consumer name, when the engine names it (a worker process: after the task, so it follows the task). */
  readonly consumer?: string;
  /** Whether the registration is paused now (a StreamReader stops reading while it is). */
  paused(): boolean;
  /** Reports the registration's state (StreamReader: `WAITING_FOR_RETRY_ON_FAILURE`, `ABORTED`, back to `OK`). */
  setStatus(status: 'OK' | 'ABORTED' | 'WAITING_FOR_RETRY_ON_FAILURE'): void;
  /** Writes a warning to the engine's log, tagged with the shard. */
  warn(message: string): void;
}

/** A reader's event side: per shard, a hot Observable of triggers; unsubscribing stops listening. */
export type EventSource<O> = (context: ReaderContext, options: O, control: EventControl) => Observable<Trigger>;

/** `prefix` as RedisGears reads it: a trailing `*` means starts-with, anything else the exact key. */
export function prefixMatcher(prefix: string): (key: string) => boolean {
  if (prefix === '*') return () => true;
  if (prefix.endsWith('*')) {
    const start = prefix.slice(0, -1);
    return (key) => key.startsWith(start);
  }
  return (key) => key === prefix;
}
