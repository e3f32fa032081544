/** A stream as a shard consumer follows it, and how it reads a batch from the registration's group. */
import { RedisReplyError } from '../lib/errors.ts';
import { readGroupEntries } from '../lib/store/groupEntries.ts';
import type { GroupEntry, ShardStore } from '../lib/store/ShardStore.ts';
import { autoclaimReply, isRecord } from './streamGroupReplies.ts';
import type { StreamRecord } from './streamReader.ts';
import type { StreamTrimmer } from './StreamTrimmer.ts';

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
  /** With `trimStream`: the stream's trims. */
  trimmer: StreamTrimmer | undefined;
  /** The ids of the batch that ran, to acknowledge with the next read (`readGroupBatch`). */
  toAck: string[] | undefined;
  /** An XACK sent alone (no read to go with it): resolves false when it failed. */
  acked: Promise<boolean> | undefined;
}

export function newStreamState(key: string, trimmer?: StreamTrimmer): StreamState {
  return {
    key,
    trimmer,
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
    toAck: undefined,
    acked: undefined,
  };
}

/** Whether `error` is a Redis error reply starting with one of `prefixes`. */
export const isReply = (error: unknown, ...prefixes: string[]): boolean =>
  error instanceof RedisReplyError && prefixes.some((p) => error.message.startsWith(p));

/** A batch read: the entries, and the error of the XACK sent with it when that failed (nothing read then). */
export interface GroupBatch {
  entries: StreamRecord[];
  ackError: unknown;
}

/**
 * Up to `want` entries of one stream for this consumer: its own pending entries first (a restarted process
 * finds what it had been given), then entries other consumers left pending for `claimMinIdleMs` (XAUTOCLAIM),
 * then new ones (`>`). Moves `s.phase` / `s.cursor` along; entries already in `s.buffer` are not taken twice.
 *
 * `ack`: ids of the batch that ran, acknowledged before the read — with the first XREADGROUP in one write when
 * the store has `readGroup`, else by an XACK first. When it fails, the read stops there and `ackError` says why
 * (what was read is for the caller to drop: the entries are read again from this consumer's pending ones).
 */
export async function readGroupBatch(
  store: ShardStore,
  who: { group: string; consumer: string; claimMinIdleMs: number },
  s: StreamState,
  want: number,
  ack?: readonly string[],
): Promise<GroupBatch> {
  const { group, consumer, claimMinIdleMs } = who;
  const out: StreamRecord[] = [];
  let acking = ack !== undefined && ack.length > 0 ? ack : undefined;
  let ackError: unknown;
  const acknowledge = async (): Promise<void> => {
    const ids = acking;
    acking = undefined;
    if (ids === undefined) return;
    try {
      await store.call('XACK', s.key, group, ...ids);
    } catch (error) {
      ackError = error;
    }
  };
  /** XREADGROUP … STREAMS key `id`, the XACK in front while it is still to be sent. */
  const xreadgroup = async (id: string, count: number): Promise<GroupEntry[]> => {
    if (store.readGroup) {
      const ids = acking;
      acking = undefined;
      const request = { key: s.key, group, consumer, count, id };
      const reply = await store.readGroup(ids ? { ...request, ack: ids } : request);
      ackError = reply.ackError;
      return reply.entries;
    }
    await acknowledge();
    if (ackError !== undefined) return [];
    return readGroupEntries(
      s.key,
      await store.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', s.key, id),
    );
  };
  // Entries already buffered are not taken twice (only a partial batch waiting for `duration` has any).
  const held = s.buffer.length > 0 ? new Set(s.buffer.map((r) => r.id)) : undefined;
  const take = (entries: GroupEntry[]): void => {
    for (const entry of entries) if (isRecord(entry) && !held?.has(entry.id)) out.push(entry);
  };
  while (out.length < want) {
    const count = want - out.length;
    if (s.phase === 'history') {
      const entries = await xreadgroup(s.cursor, count);
      if (ackError !== undefined) break;
      const last = entries[entries.length - 1];
      if (!last) [s.phase, s.cursor] = ['claim', '0-0'];
      else s.cursor = last.id;
      take(entries);
      // Delivered, then deleted (XDEL): nothing to run, so nothing to keep pending.
      const gone = entries.filter((e) => e.value === null).map((e) => e.id);
      if (gone.length > 0) await store.call('XACK', s.key, group, ...gone);
    } else if (s.phase === 'claim') {
      await acknowledge();
      if (ackError !== undefined) break;
      const args = [s.key, group, consumer, claimMinIdleMs, s.cursor, 'COUNT', count] as const;
      const { next, entries } = autoclaimReply(s.key, await store.call('XAUTOCLAIM', ...args));
      take(entries);
      if (next === '0-0') s.phase = 'new';
      s.cursor = next;
    } else {
      const entries = await xreadgroup('>', count);
      if (ackError !== undefined) break;
      take(entries);
      if (entries.length < count) break;
    }
  }
  await acknowledge(); // nothing was read (`want` 0)
  return { entries: out, ackError };
}
