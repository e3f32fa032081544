/**
 * One StreamReader registration's consumer on one shard: per matching stream, a small state machine that reads
 * (own pending entries, then claims, then new ones), batches, hands a batch out as a trigger and waits for its
 * outcome before reading on — so at most one execution per stream is in flight, batches in order.
 */
import type { ShardStore } from '../lib/store/ShardStore.ts';
import { isReply, newStreamState, readGroupBatch, type StreamState } from './streamGroupRead.ts';
import { idMs } from './streamGroupReplies.ts';
import { StreamTrimmer } from './StreamTrimmer.ts';
import type { StreamRecord } from './streamReader.ts';
import type { EventControl, Trigger, TriggerOutcome } from './types.ts';

/** What a shard consumer is configured with (`streamReaderEvents` resolves the defaults). */
export interface StreamConsumerSettings {
  group: string;
  consumer: string;
  batch: number;
  /** ms: run a partial batch after this long; 0 = wait for a full batch. */
  duration: number;
  onFailedPolicy: 'continue' | 'abort' | 'retry';
  /** ms */
  retryIntervalMs: number;
  trimStream: boolean;
  /** Entries another consumer left pending this long (ms) are claimed. */
  claimMinIdleMs: number;
  /** How often a stream looks for entries to claim again, ms. */
  claimCheckMs: number;
  /** How often every stream is read without an `xadd` event (lost notifications), ms. */
  pollMs: number;
  /** How often the pause state is looked at, ms. */
  pauseCheckMs: number;
  /** Trims of one stream start at most this often, ms (a trim asked for sooner waits for the clock). */
  trimEveryMs: number;
}

/** State shared by the shard consumers of one registration. */
export interface RegistrationState {
  aborted: boolean;
  /** Streams (over all shards) whose batch waits for a retry. */
  retrying: number;
}

const copy = (records: readonly StreamRecord[]): StreamRecord[] =>
  records.map((r) => ({ ...r, value: { ...r.value } }));

export class StreamConsumer {
  private readonly streams = new Map<string, StreamState>();
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  private ticks = 0;
  /** A stream was left unread because the registration was paused: read them all on unpause. */
  private heldByPause = false;
  private lastClaimCheck = Date.now();
  /**
   * Whether the next batch is read while one runs. Only with `continue`: a batch that is acknowledged whatever
   * happens. With `abort` or `retry` a failed batch stops the stream, and entries read ahead would sit pending
   * (and be claimed by other consumers after `claimMinIdleMs`) for as long as it does.
   */
  private readonly readsAhead: boolean;

  constructor(
    private readonly store: ShardStore,
    private readonly settings: StreamConsumerSettings,
    private readonly control: EventControl,
    private readonly shared: RegistrationState,
    private readonly emit: (records: StreamRecord[], finished: Trigger['finished'], lagMs: number) => void,
  ) {
    this.readsAhead = settings.onFailedPolicy === 'continue';
  }

  /** Starts the pause / poll clock. */
  start(): void {
    this.ticker = setInterval(() => this.tick(), this.settings.pauseCheckMs);
    this.ticker.unref();
  }

  /** Follows a stream (found by SCAN or by its `xadd` event) and reads it. */
  track(key: string): void {
    if (this.stopped) return;
    let s = this.streams.get(key);
    if (!s) {
      const { trimStream, trimEveryMs } = this.settings;
      const warn = (message: string): void => {
        if (!this.stopped) this.control.warn(message);
      };
      s = newStreamState(key, trimStream ? new StreamTrimmer(this.store, key, trimEveryMs, warn) : undefined);
      this.streams.set(key, s);
    }
    this.kick(s);
  }

  /** Whether the stream is followed already. */
  follows(key: string): boolean {
    return this.streams.has(key);
  }

  /** Stops reading, clears every timer. Batches in flight still get acknowledged when they succeed. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.ticker);
    for (const s of this.streams.values()) this.forget(s);
  }

  private tick(): void {
    if (this.stopped || this.shared.aborted) return;
    for (const s of this.streams.values()) if (s.trimmer?.waiting) s.trimmer.request();
    if (this.control.paused()) return;
    const resumed = this.heldByPause;
    this.heldByPause = false;
    const poll = ++this.ticks * this.settings.pauseCheckMs >= this.settings.pollMs;
    if (!resumed && !poll) return;
    this.ticks = 0;
    if (Date.now() - this.lastClaimCheck >= this.settings.claimCheckMs) {
      this.lastClaimCheck = Date.now();
      for (const s of this.streams.values()) {
        if (s.phase === 'new') [s.phase, s.cursor] = ['claim', '0-0'];
      }
    }
    for (const s of this.streams.values()) this.kick(s);
  }

  /** Still followed: not stopped, not aborted, not forgotten. */
  private live(s: StreamState): boolean {
    return !this.stopped && !this.shared.aborted && this.streams.get(s.key) === s;
  }

  private kick(s: StreamState): void {
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    void this.advance(s)
      .then(
        () => {
          if (s.failing) s.failing = false;
        },
        (error: unknown) => this.readFailed(s, error),
      )
      .finally(() => {
        s.busy = false;
        if (s.again && this.live(s)) this.kick(s);
      });
  }

  /**
   * Moves a stream on as far as it can: creates the group, hands out a batch when one is ready (and no other is
   * in flight), reads otherwise. While a batch runs, the next one is read ahead (`continue` policy only), so
   * Redis reads it while the gear runs instead of after it; it is handed out once the running batch is
   * acknowledged. When the next batch is there, the XACK of the one that ran goes alone and the batch runs as
   * soon as it answers, the read ahead sent just before it runs (bench workload 5: Redis' XREADGROUP of 500,
   * ~0.5 ms, is off the path from batch to batch; with the XACK and the read in one write the batch waited
   * for both). When the next batch still has to be read, the XACK goes with that read (one write).
   */
  private async advance(s: StreamState): Promise<void> {
    const { batch, duration } = this.settings;
    for (;;) {
      s.again = false;
      if (!this.live(s)) {
        this.acknowledgeAlone(s);
        return;
      }
      // The group exists even while paused, so other registrations' trimming keeps what this one has not read.
      if (!s.grouped) {
        await this.ensureGroup(s);
        continue;
      }
      if (this.control.paused()) {
        this.heldByPause = true;
        this.acknowledgeAlone(s);
        return;
      }
      if (s.inFlight) {
        if (s.retryDue) {
          s.retryDue = false;
          this.fire(s, s.inFlight);
        }
        if (!this.readsAhead || s.buffer.length >= batch) return;
      } else if (s.buffer.length >= batch || (s.buffer.length > 0 && s.flushDue)) {
        // Batches in order: the next one runs only once the XACK of the one before succeeded. That XACK goes
        // alone: with the read ahead in the same write, the batch would wait for Redis to read the one after it.
        this.acknowledgeAlone(s);
        if (!(await this.acknowledged(s))) continue;
        if (!this.live(s) || this.control.paused()) continue;
        const records = s.buffer.splice(0, batch);
        // The read ahead goes out before the batch runs, so Redis reads while the gear runs.
        const ahead = this.readsAhead && s.buffer.length < batch ? this.read(s, batch - s.buffer.length) : undefined;
        this.fire(s, records);
        if (ahead !== undefined) await ahead;
        continue;
      }
      if (!(await this.read(s, batch - s.buffer.length))) continue;
      if (!this.live(s)) return;
      // As RedisGears: a batch runs once full, or with what is there when `duration` ms passed.
      if (!s.inFlight && s.buffer.length >= batch) continue;
      if (duration > 0 && s.buffer.length > 0 && s.flushTimer === undefined && !s.flushDue) {
        s.flushTimer = setTimeout(() => {
          s.flushTimer = undefined;
          s.flushDue = true;
          this.kick(s);
        }, duration);
        s.flushTimer.unref();
      }
      if (!s.again) return;
    }
  }

  /**
   * Reads up to `want` entries into the buffer, with the XACK of the batch that ran (`toAck`) in front. False
   * when an XACK failed (this one or one sent alone before): its entries are still pending for this consumer,
   * so what was read is dropped and reading starts again from this consumer's pending entries (they hold the
   * failed batch and that read, in order). A read that fails leaves the XACK's outcome unknown: the same.
   */
  private async read(s: StreamState, want: number): Promise<boolean> {
    const ack = s.toAck;
    s.toAck = undefined;
    let read;
    try {
      read = await readGroupBatch(this.store, this.settings, s, want, ack);
    } catch (error) {
      if (ack) this.rereadPending(s);
      throw error;
    }
    if (ack) {
      if (read.ackError !== undefined) {
        this.ackFailed(s, read.ackError);
        this.rereadPending(s);
        return false;
      }
      this.acknowledgedNow(s);
    }
    if (!(await this.acknowledged(s))) return false;
    s.buffer.push(...read.entries);
    return true;
  }

  /** Sends the XACK of the batch that ran on its own (no read goes with it now). */
  private acknowledgeAlone(s: StreamState): void {
    const ids = s.toAck;
    if (ids === undefined) return;
    s.toAck = undefined;
    s.acked = this.acknowledge(s, ids).then(
      () => true,
      (error: unknown) => {
        this.ackFailed(s, error);
        return false;
      },
    );
  }

  private ackFailed(s: StreamState, error: unknown): void {
    if (!this.stopped)
      this.control.warn(`stream '${s.key}': acknowledging failed, the batch will run again: ${String(error)}`);
  }

  /** Reading starts again from this consumer's pending entries; what was read and not handed out is dropped. */
  private rereadPending(s: StreamState): void {
    [s.phase, s.cursor] = ['history', '0'];
    s.buffer = [];
  }

  /** `XGROUP CREATE key group 0`; an existing group is fine. */
  private async ensureGroup(s: StreamState): Promise<void> {
    try {
      await this.store.call('XGROUP', 'CREATE', s.key, this.settings.group, '0');
    } catch (error) {
      if (!isReply(error, 'BUSYGROUP')) throw error;
    }
    s.grouped = true;
  }

  private readFailed(s: StreamState, error: unknown): void {
    if (this.stopped) return;
    // The stream or its group is gone (DEL, XGROUP DESTROY) or the key is no stream: forget it; its next
    // `xadd` event follows it again (with a new group).
    // MOVED: the key's slot went to another master (that shard follows it from its next `xadd`).
    if (isReply(error, 'NOGROUP', 'WRONGTYPE', 'MOVED', 'ERR The XGROUP subcommand requires the key to exist')) {
      if (!s.inFlight) this.forget(s);
      return;
    }
    if (!s.failing) this.control.warn(`reading stream '${s.key}' failed (retried on the next poll): ${String(error)}`);
    s.failing = true;
  }

  private forget(s: StreamState): void {
    clearTimeout(s.flushTimer);
    clearTimeout(s.retryTimer);
    s.flushTimer = s.retryTimer = undefined;
    if (this.streams.get(s.key) === s) this.streams.delete(s.key);
  }

  private fire(s: StreamState, records: StreamRecord[]): void {
    clearTimeout(s.flushTimer);
    s.flushTimer = undefined;
    s.flushDue = false;
    s.inFlight = records;
    const lagMs = Math.max(0, Date.now() - idMs(records[0]!.id));
    // The ids to acknowledge, taken before the gear sees (and may change) the records.
    const ids = records.map((r) => r.id);
    // Any batch may run again (`retry`, or a gear that pauses its registration): each attempt gets its own
    // copy of the entries as they were read.
    const handed = copy(records);
    this.emit(handed, (outcome) => this.finished(s, ids, outcome), lagMs);
  }

  private async finished(s: StreamState, ids: string[], outcome: TriggerOutcome): Promise<void> {
    const failed = outcome.status === 'aborted' || outcome.errors.length > 0;
    const policy = failed ? this.settings.onFailedPolicy : 'continue';
    if (this.stopped) {
      // Unregistered meanwhile: the batch is acknowledged and the stream trimmed as after any batch (a batch
      // aborted by `abortPending`, or failed under `abort`/`retry`, stays pending).
      if (outcome.paused || outcome.status === 'aborted' || policy !== 'continue') return;
      await this.acknowledge(s, ids).catch(() => undefined);
      await s.trimmer?.now().catch(() => undefined);
      return;
    }
    if (outcome.paused) {
      // The gear paused the registration: the batch stays pending and runs again once unpaused.
      s.retryDue = true;
      this.kick(s);
      return;
    }
    if (policy === 'abort') {
      this.shared.aborted = true;
      this.control.setStatus('ABORTED');
      this.control.warn(`stream '${s.key}': batch failed, registration aborted (${outcome.errors[0] ?? 'aborted'})`);
      return;
    }
    if (policy === 'retry') {
      if (!s.retrying) {
        s.retrying = true;
        this.shared.retrying++;
      }
      this.control.setStatus('WAITING_FOR_RETRY_ON_FAILURE');
      s.retryTimer = setTimeout(() => {
        s.retryTimer = undefined;
        s.retryDue = true;
        this.kick(s);
      }, this.settings.retryIntervalMs);
      s.retryTimer.unref();
      return;
    }
    // Acknowledged at once (`advance`): alone when the next batch is read already, else with the read that
    // fills it. What is read is handed out only once the XACK succeeded.
    s.toAck = ids;
    if (s.retrying) {
      s.retrying = false;
      if (--this.shared.retrying === 0 && !this.shared.aborted) this.control.setStatus('OK');
    }
    s.inFlight = undefined;
    // Reading already (the read ahead has not come back): the XACK goes now, on its own, not after that read.
    if (s.busy) this.acknowledgeAlone(s);
    this.kick(s);
  }

  /**
   * Waits for an XACK sent alone (`acknowledgeAlone`). When it failed, its entries are still pending for this
   * consumer: reading starts again from them (`rereadPending`). False then.
   */
  private async acknowledged(s: StreamState): Promise<boolean> {
    const acked = s.acked;
    if (acked === undefined) return true;
    s.acked = undefined;
    if (await acked) return true;
    this.rereadPending(s);
    return false;
  }

  /** After an XACK succeeded: trim, off the reading path. */
  private acknowledgedNow(s: StreamState): void {
    if (!this.stopped) s.trimmer?.request();
  }

  /** XACK the batch; then, off the reading path, trim below the oldest entry some group still needs. */
  private async acknowledge(s: StreamState, ids: readonly string[]): Promise<void> {
    const { group } = this.settings;
    if (this.store.acknowledgeGroup) await this.store.acknowledgeGroup(s.key, group, ids);
    else await this.store.call('XACK', s.key, group, ...ids);
    this.acknowledgedNow(s);
  }
}
