/**
 * Stream id parsing as Redis 7.0's `streamGenericParseIDOrReply` / `streamParseIntervalIDOrReply` do it, and the
 * reply shapes of stream entries.
 *
 * Ids are two numbers: exact up to 2^53, with 2^64-1 (the `+` id) kept as a sentinel so ranges ending at `+`
 * work. Ids between 2^53 and 2^64-1 lose precision — a documented limit of the memory store.
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { ERR_INVALID_STREAM_ID } from '../replies.ts';
import { formatId, U64_MAX, U64_MAX_MINUS_1, type Stream, type StreamId, type StreamRecord } from './Stream.ts';

export { U64_MAX } from './Stream.ts';
const U64_LIMIT = 2n ** 64n - 1n;

/** `string2ull`: what `strtoull` reads (leading spaces, a `+`, leading zeros), no negatives. */
function parseU64(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*\+?([0-9]+)$/.exec(text);
  if (m === null) return /^-0+$/.test(text) ? 0 : undefined;
  const digits = m[1]!;
  if (digits.length < 16) return Number(digits);
  const big = BigInt(digits);
  if (big > U64_LIMIT) return undefined;
  return big === U64_LIMIT ? U64_MAX : big === U64_LIMIT - 1n ? U64_MAX_MINUS_1 : Number(big);
}

export const idString = formatId;

export interface ParsedId extends StreamId {
  /** False for the `<ms>-*` form XADD accepts. */
  seqGiven: boolean;
}

/**
 * Parses `<ms>[-<seq>]`, `-` and `+` (unless `strict`), and `<ms>-*` when `allowAutoSeq`. A missing sequence is
 * `missingSeq`.
 */
export function parseId(text: string, missingSeq: number, strict: boolean, allowAutoSeq = false): ParsedId {
  if (text.length > 127) throw new RedisReplyError(ERR_INVALID_STREAM_ID);
  if (text === '-' || text === '+') {
    if (strict) throw new RedisReplyError(ERR_INVALID_STREAM_ID);
    return text === '-' ? { ms: 0, seq: 0, seqGiven: true } : { ms: U64_MAX, seq: U64_MAX, seqGiven: true };
  }
  const dash = text.indexOf('-');
  const ms = parseU64(dash === -1 ? text : text.slice(0, dash));
  if (ms === undefined) throw new RedisReplyError(ERR_INVALID_STREAM_ID);
  if (dash === -1) return { ms, seq: missingSeq, seqGiven: true };
  const seqText = text.slice(dash + 1);
  if (allowAutoSeq && seqText === '*') return { ms, seq: 0, seqGiven: false };
  const seq = parseU64(seqText);
  if (seq === undefined) throw new RedisReplyError(ERR_INVALID_STREAM_ID);
  return { ms, seq, seqGiven: true };
}

function incr(n: number): number {
  return n === U64_MAX_MINUS_1 ? U64_MAX : n + 1;
}

function decr(n: number): number {
  return n === U64_MAX ? U64_MAX_MINUS_1 : n - 1;
}

export function incrId(id: StreamId): StreamId | undefined {
  if (id.seq === U64_MAX) return id.ms === U64_MAX ? undefined : { ms: incr(id.ms), seq: 0 };
  return { ms: id.ms, seq: incr(id.seq) };
}

export function decrId(id: StreamId): StreamId | undefined {
  if (id.seq === 0) return id.ms === 0 ? undefined : { ms: decr(id.ms), seq: U64_MAX };
  return { ms: id.ms, seq: decr(id.seq) };
}

/** An interval start (`(` exclusive allowed): the first id included. */
export function parseRangeStart(text: string): StreamId {
  if (text.length > 1 && text.startsWith('(')) {
    const id = incrId(parseId(text.slice(1), 0, true));
    if (id === undefined) throw new RedisReplyError('ERR invalid start ID for the interval');
    return id;
  }
  return parseId(text, 0, false);
}

/** An interval end (`(` exclusive allowed): the last id included. */
export function parseRangeEnd(text: string): StreamId {
  if (text.length > 1 && text.startsWith('(')) {
    const id = decrId(parseId(text.slice(1), U64_MAX, true));
    if (id === undefined) throw new RedisReplyError('ERR invalid end ID for the interval');
    return id;
  }
  return parseId(text, U64_MAX, false);
}

/** `[id, [field, value, …]]`. */
export function entryReply(e: StreamRecord): RedisReply {
  return [e.id, e.fields.slice()];
}

/** Entries with start ≤ id ≤ end, ascending (or descending when `rev`), at most `count` (0 = all). */
export function rangeRecords(s: Stream, start: StreamId, end: StreamId, count: number, rev: boolean): StreamRecord[] {
  const out: StreamRecord[] = [];
  if (!rev) {
    for (let i = s.lowerBound(start); i < s.length; i++) {
      const e = s.at(i)!;
      if (e.ms > end.ms || (e.ms === end.ms && e.seq > end.seq)) break;
      out.push(e);
      if (count && out.length === count) break;
    }
  } else {
    for (let i = upperBound(s, end) - 1; i >= 0; i--) {
      const e = s.at(i)!;
      if (e.ms < start.ms || (e.ms === start.ms && e.seq < start.seq)) break;
      out.push(e);
      if (count && out.length === count) break;
    }
  }
  return out;
}

/** Index just past the last entry with id ≤ `id`. */
function upperBound(s: Stream, id: StreamId): number {
  const next = incrId(id);
  return next === undefined ? s.length : s.lowerBound(next);
}
