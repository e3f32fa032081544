import { Observable, Subscription } from 'rxjs';
import { GearsError } from '../../errors.ts';
import type { ExchangeSpec, ShardLink, ShardTransport } from '../transport.ts';
import { encodeEntry, RecordBatch, type EntryBody, type ExchangeEntry } from './entries.ts';
import { pause, receive } from './inbox.ts';
import { REDIS_TRANSPORT_DEFAULTS, type RedisTransportOptions, type ResolvedTransportOptions } from './options.ts';

/**
 * The exchange between processes, over Redis streams: one stream per destination shard, written by every
 * sender, read by the destination's owner. Mailboxes are durable, so a sender starts as soon as its own part
 * runs — a record sent before its receiver reads simply waits — and senders do not wait for receivers to
 * subscribe, as the in-process transport does. Back-pressure: a sender waits while a destination's stream
 * holds `highWater` entries or more (the receiver trims what it consumed), and the process's readers wait
 * (`demand()`) while its links hold `maxQueued` entries or more to send. README "Scaling out".
 */
export class RedisTransport implements ShardTransport {
  private readonly options: ResolvedTransportOptions;
  private readonly backlog: Backlog;

  constructor(options: RedisTransportOptions) {
    this.options = { ...REDIS_TRANSPORT_DEFAULTS, ...options } as ResolvedTransportOptions;
    // XREAD BLOCK 0 would wait for ever: an inbox that was left would hold its connection.
    if (!(Number.isInteger(this.options.blockMs) && this.options.blockMs > 0))
      throw new GearsError(`RedisTransport: blockMs must be a positive integer (ms), got ${String(options.blockMs)}`);
    this.backlog = new Backlog(this.options.maxQueued);
  }

  open<T>(spec: ExchangeSpec): ShardLink<T> {
    return new RedisLink<T>(spec, this.options, this.backlog);
  }

  /** Resolves once the links hold fewer than `maxQueued` entries to send, after a turn of the event loop. */
  demand(): Promise<void> {
    return this.backlog.ready();
  }

  /** Entries the links hold to send now. */
  get queued(): number {
    return this.backlog.held;
  }
}

/** What every link of one transport holds to send; readers wait on it. */
class Backlog {
  held = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  add(): void {
    this.held++;
  }

  remove(count = 1): void {
    this.held -= count;
    if (this.held >= this.max || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  async ready(): Promise<void> {
    while (this.held >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    // A turn of the event loop: timers (lease renewals) and replies run between a reader's pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

interface Outgoing {
  to: number;
  entry: ExchangeEntry;
}

class RedisLink<T> implements ShardLink<T> {
  readonly inbox: Observable<T>;
  private readonly pending: RecordBatch[];
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
    private readonly backlog: Backlog,
  ) {
    this.pending = Array.from({ length: spec.shards }, () => new RecordBatch());
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
    batch.add(record);
    this.counts[to]!++;
    if (batch.count >= this.options.batchSize) this.enqueueData(to);
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
    this.backlog.remove(this.queue.length);
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
    if (batch.count === 0) return;
    const count = batch.count;
    this.enqueue(to, { kind: 'data', count, bytes: batch.take() });
  }

  private enqueue(to: number, body: EntryBody): void {
    const entry: ExchangeEntry = {
      ...body,
      s: this.spec.self,
      e: this.options.epochOf(this.spec.self),
      q: this.sequence++,
    };
    this.queue.push({ to, entry });
    this.backlog.add();
    if (!this.pumping) {
      this.pumping = true;
      this.pump().catch((error: unknown) => {
        // Redis failed: what is left will not be sent, and readers must not wait for it.
        this.backlog.remove(this.queue.length);
        this.queue.length = 0;
        this.failure?.(error);
      });
    }
  }

  /** Writes the queue in order; a data entry waits while its destination's backlog is at the high-water mark. */
  private async pump(): Promise<void> {
    try {
      for (let next = this.queue[0]; next; next = this.queue[0]) {
        const key = this.options.streamKey(this.spec.id, next.to);
        const store = this.options.storeFor(key);
        if (next.entry.kind === 'data') {
          let wait = 1;
          while (!this.aborted && Number(await store.call('XLEN', key)) >= this.options.highWater) {
            await pause(wait);
            wait = Math.min(wait * 2, this.options.maxPollMs);
          }
          if (this.aborted) {
            // Not sent: dropped (abort() emptied the queue, unless this entry came after it).
            this.dropHead(next);
            continue;
          }
        }
        // One transaction: a stream never exists without its time to live, even when a sender dies between
        // the two, or writes after the receiver deleted the stream (a zombie woken from SIGSTOP).
        const tx = await store.transaction();
        await tx.commit([
          ['XADD', key, '*', ...encodeEntry(next.entry)],
          ['PEXPIRE', key, this.options.ttlMs],
        ]);
        // Sent: off the queue (abort() may have emptied it meanwhile, and re-filled it with its markers).
        this.dropHead(next);
      }
    } finally {
      this.pumping = false;
    }
  }

  private dropHead(entry: Outgoing): void {
    if (this.queue[0] !== entry) return;
    this.queue.shift();
    this.backlog.remove();
  }
}
