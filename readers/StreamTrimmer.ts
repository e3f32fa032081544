/**
 * The trims of one stream a registration reads (`trimStream`): `XTRIM MINID` below the oldest entry any group of
 * the stream still needs, one at a time and at most one per `everyMs`.
 */
import { RedisReplyError } from '../lib/errors.ts';
import type { ShardStore } from '../lib/store/ShardStore.ts';
import { trimFloor } from './streamGroupReplies.ts';

export class StreamTrimmer {
  private running = false;
  /** A trim was asked for while one ran, or sooner than `everyMs` after the last one started. */
  private asked = false;
  /** When the last trim started (ms since the epoch). */
  private startedAt = 0;

  constructor(
    private readonly store: ShardStore,
    private readonly key: string,
    private readonly everyMs: number,
    /** Where a failed trim is told (a stream deleted meanwhile is not a failure). */
    private readonly warn: (message: string) => void,
  ) {}

  /** A trim was asked for and waits for the clock: `request()` it again on a later tick. */
  get waiting(): boolean {
    return this.asked;
  }

  /**
   * Trims now, off the reading path, unless a trim runs or one started less than `everyMs` ago: then it waits
   * (`waiting`). A trim's three round trips share the connection with the reads, and on a busy stream a trim
   * after every batch would hold every read up. The floor is read from Redis when the trim runs, so it never
   * covers an entry a group has not acknowledged, however late it runs.
   */
  request(): void {
    const now = Date.now();
    if (this.running || now - this.startedAt < this.everyMs) {
      this.asked = true;
      return;
    }
    this.running = true;
    this.asked = false;
    this.startedAt = now;
    void this.now()
      .catch((error: unknown) => {
        if (!(error instanceof RedisReplyError && error.message.startsWith('ERR no such key')))
          this.warn(`trimming '${this.key}' failed: ${String(error)}`);
      })
      .finally(() => {
        this.running = false;
      });
  }

  /** Trims at once, whatever ran before (the last trim of an unregistered registration). */
  async now(): Promise<void> {
    const floor = await trimFloor(this.store, this.key);
    if (floor !== undefined) await this.store.call('XTRIM', this.key, 'MINID', floor);
  }
}
