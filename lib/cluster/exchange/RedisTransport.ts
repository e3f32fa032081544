import { Observable, Subscription } from 'rxjs';
import { serialize } from 'node:v8';
import type { ExchangeSpec, ShardLink, ShardTransport } from '../transport.ts';
import { encodeEntry, type EntryBody, type ExchangeEntry } from './entries.ts';
import { pause, receive } from './inbox.ts';
import { REDIS_TRANSPORT_DEFAULTS, type RedisTransportOptions, type ResolvedTransportOptions } from './options.ts';

/**
 * The exchange between processes, over Redis streams: one stream per destination shard, written by every
 * sender, read by the destination's owner. Mailboxes are durable, so a sender starts as soon as its own part
 * runs — a record sent before its receiver reads simply waits — and senders do not wait for receivers to
 * subscribe, as the in-process transport does. Back-pressure: a sender waits while a destination's stream
 * holds `highWater` entries or more (the receiver trims what it consumed). README "Scaling out".
 */
export class RedisTransport implements ShardTransport {
  private readonly options: ResolvedTransportOptions;

  constructor(options: RedisTransportOptions) {
    this.options = { ...REDIS_TRANSPORT_DEFAULTS, ...options } as ResolvedTransportOptions;
  }

  open<T>(spec: ExchangeSpec): ShardLink<T> {
    return new RedisLink<T>(spec, this.options);
  }
}

interface Outgoing {
  to: number;
  entry: ExchangeEntry;
}

class RedisLink<T> implements ShardLink<T> {
  readonly inbox: Observable<T>;
  private readonly pending: Buffer[][];
  private readonly counts: number[];
  private readonly queue: Outgoing[] = [];
  private readonly senders = new Subscription();
  private sender: Observable<never> | undefined;
  private started = false;
  private sequence = 0;
  private finished = false;
  private aborted = false;
  private pumping = false;
  private flushScheduled = false;
  private failure: ((error: unknown) => void) | undefined;

  constructor(
    private readonly spec: ExchangeSpec,
    private readonly options: ResolvedTransportOptions,
  ) {
    this.pending = Array.from({ length: spec.shards }, () => []);
    this.counts = new Array<number>(spec.shards).fill(0);
    const key = options.streamKey(spec.id, spec.self);
    const received = receive<T>(spec.id, key, options.storeFor(key), spec.shards, options);
    this.inbox = new Observable<T>((subscriber) => {
      this.failure = (error) => subscriber.error(error);
      const subscription = received.subscribe(subscriber);
      this.start();
      return () => {
        this.failure = undefined;
        subscription.unsubscribe();
      };
    });
  }

  get closed(): boolean {
    return this.aborted;
  }

  run(sender: Observable<never>): void {
    this.sender = sender;
    if (this.started) this.start();
  }

  send(to: number, record: T): void {
    const batch = this.pending[to];
    if (!batch) throw new RangeError(`no shard ${to} in this exchange`);
    // Serialized at once, record by record: one that cannot travel fails here, alone, as in process.
    batch.push(serializeRecord(record));
    this.counts[to]!++;
    if (batch.length >= this.options.batchSize) this.enqueueData(to);
    else this.scheduleFlush();
  }

  done(): void {
    if (this.finished || this.aborted) return;
    this.finished = true;
    for (let to = 0; to < this.spec.shards; to++) {
      this.enqueueData(to);
      this.enqueue(to, { kind: 'eos', count: this.counts[to]! });
    }
  }

  abort(reason: string): void {
    if (this.finished || this.aborted) return;
    this.aborted = true;
    this.senders.unsubscribe();
    this.queue.length = 0;
    for (let to = 0; to < this.spec.shards; to++) this.enqueue(to, { kind: 'abort', reason });
  }

  private start(): void {
    this.started = true;
    const sender = this.sender;
    this.sender = undefined;
    if (sender && !this.aborted) this.senders.add(sender.subscribe());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.finished || this.aborted) return;
      for (let to = 0; to < this.spec.shards; to++) this.enqueueData(to);
    });
  }

  private enqueueData(to: number): void {
    const batch = this.pending[to]!;
    if (batch.length === 0) return;
    this.pending[to] = [];
    this.enqueue(to, { kind: 'data', records: batch });
  }

  private enqueue(to: number, body: EntryBody): void {
    const entry: ExchangeEntry = {
      ...body,
      s: this.spec.self,
      e: this.options.epochOf(this.spec.self),
      q: this.sequence++,
    };
    this.queue.push({ to, entry });
    if (!this.pumping) {
      this.pumping = true;
      this.pump().catch((error: unknown) => this.failure?.(error));
    }
  }

  /** Writes the queue in order; a data entry waits while its destination's backlog is at the high-water mark. */
  private async pump(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const key = this.options.streamKey(this.spec.id, next.to);
        const store = this.options.storeFor(key);
        if (next.entry.kind === 'data') {
          let wait = 1;
          while (!this.aborted && Number(await store.call('XLEN', key)) >= this.options.highWater) {
            await pause(wait);
            wait = Math.min(wait * 2, this.options.maxPollMs);
          }
          if (this.aborted) continue;
        }
        // One transaction: a stream never exists without its time to live, even when a sender dies between
        // the two, or writes after the receiver deleted the stream (a zombie woken from SIGSTOP).
        const tx = await store.transaction();
        await tx.commit([
          ['XADD', key, '*', ...encodeEntry(next.entry)],
          ['PEXPIRE', key, this.options.ttlMs],
        ]);
      }
    } finally {
      this.pumping = false;
    }
  }
}

/** v8.serialize, failing as `structuredClone` does (a `DataCloneError`), so errors read the same in both modes. */
function serializeRecord(record: unknown): Buffer {
  try {
    return serialize(record);
  } catch (error) {
    throw new DOMException((error as Error).message, 'DataCloneError');
  }
}
