/** A stream as a shard consumer follows it, and how it reads a batch from the registration's group. */
import { RedisReplyError } from '../lib/errors.ts';
import type { ShardStore } from '../lib/store/ShardStore.ts';
import { autoclaimReply, isRecord, readGroupEntries, type GroupEntry } from './streamGroupReplies.ts';
import type { StreamRecord } from './streamReader.ts';

/** One followed stream: where its reading is, what is buffered, in flight, waiting to retry. */
export interface StreamState {
  key: string;
  grouped: boolean;
  phase: 'history' | 'claim' | 'new';
  /** History: last id read of this consumer's pending entries; claim: XAUTOCLAIM's cursor. */
  cursor: string;
  /** Read, delivered to us, not yet handed out (a partial batch waiting for `duration`). */
  buffer: StreamRecord[];
  flushTimer: NodeJS.Timeout | undefined;
  flushDue: boolean;
  /** The batch being executed or waiting for its retry. */
  inFlight: StreamRecord[] | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  retryDue: boolean;
  retrying: boolean;
  /** A read is running (reads of a stream never overlap). */
  busy: boolean;
  /** Something happened while busy: look again after. */
  again: boolean;
  /** The last read failed (warned once until one succeeds). */
  failing: boolean;
  /** A trim is running; another was asked for meanwhile. */
  trimming: boolean;
  trimAgain: boolean;
  /** When the last trim started (ms since the epoch). */
  trimmedAt: number;
  /** The last batch's XACK, sent with the next read: resolves false when it failed. */
  acked: Promise<boolean> | undefined;
}

export function newStreamState(key: string): StreamState {
  return {
    key,
    grouped: false,
    phase: 'history',
    cursor: '0',
    buffer: [],
    flushTimer: undefined,
    flushDue: false,
    inFlight: undefined,
    retryTimer: undefined,
    retryDue: false,
    retrying: false,
    busy: false,
    again: false,
    failing: false,
    trimming: false,
    trimAgain: false,
    trimmedAt: 0,
    acked: undefined,
  };
}

/** Whether `error` is a Redis error reply starting with one of `prefixes`. */
export const isReply = (error: unknown, ...prefixes: string[]): boolean =>
  error instanceof RedisReplyError && prefixes.some((p) => error.message.startsWith(p));

/**
 * Up to `want` entries of one stream for this consumer: its own pending entries first (a restarted process
 * finds what it had been given), then entries other consumers left pending for `claimMinIdleMs` (XAUTOCLAIM),
 * then new ones (`>`). Moves `s.phase` / `s.cursor` along; entries already in `s.buffer` are not taken twice.
 */
export async function readGroupBatch(
  store: ShardStore,
  who: { group: string; consumer: string; claimMinIdleMs: number },
  s: StreamState,
  want: number,
): Promise<StreamRecord[]> {
  const { group, consumer, claimMinIdleMs } = who;
  const out: StreamRecord[] = [];
  // Entries already buffered are not taken twice (only a partial batch waiting for `duration` has any).
  const held = s.buffer.length > 0 ? new Set(s.buffer.map((r) => r.id)) : undefined;
  const take = (entries: GroupEntry[]): void => {
    for (const entry of entries) if (isRecord(entry) && !held?.has(entry.id)) out.push(entry);
  };
  while (out.length < want) {
    const count = want - out.length;
    if (s.phase === 'history') {
      const args = ['GROUP', group, consumer, 'COUNT', count, 'STREAMS', s.key, s.cursor] as const;
      const entries = readGroupEntries(s.key, await store.call('XREADGROUP', ...args));
      const last = entries[entries.length - 1];
      if (!last) [s.phase, s.cursor] = ['claim', '0-0'];
      else s.cursor = last.id;
      take(entries);
      // Delivered, then deleted (XDEL): nothing to run, so nothing to keep pending.
      const gone = entries.filter((e) => e.value === null).map((e) => e.id);
      if (gone.length > 0) await store.call('XACK', s.key, group, ...gone);
    } else if (s.phase === 'claim') {
      const args = [s.key, group, consumer, claimMinIdleMs, s.cursor, 'COUNT', count] as const;
      const { next, entries } = autoclaimReply(s.key, await store.call('XAUTOCLAIM', ...args));
      take(entries);
      if (next === '0-0') s.phase = 'new';
      s.cursor = next;
    } else {
      const args = ['GROUP', group, consumer, 'COUNT', count, 'STREAMS', s.key, '>'] as const;
      const entries = readGroupEntries(s.key, await store.call('XREADGROUP', ...args));
      take(entries);
      if (entries.length < count) break;
    }
  }
  return out;
}
