import { deserialize, serialize } from 'node:v8';
import type { RedisArg, RedisReply } from '../../store/ShardStore.ts';

/**
 * Exchange stream entries. Every entry names its sender shard `s`, the sender's epoch `e` (the fencing token
 * of its lease) and a sequence number `q`, per sender link, that the receiver deduplicates by. Then one of:
 * `d` a batch of records (each serialized by v8 when sent, the batch serialized again, then base64: the
 * store's replies are strings, and base64 survives any decoding), `eos` + `n` the records this sender sent to this destination, or `abort` + a reason.
 */
export type EntryBody =
  { kind: 'data'; records: Uint8Array[] } | { kind: 'eos'; count: number } | { kind: 'abort'; reason: string };

export type ExchangeEntry = EntryBody & { s: number; e: number; q: number };

export function encodeEntry(entry: ExchangeEntry): RedisArg[] {
  const head = ['s', String(entry.s), 'e', String(entry.e), 'q', String(entry.q)];
  switch (entry.kind) {
    case 'data':
      return [...head, 'd', serialize(entry.records).toString('base64')];
    case 'eos':
      return [...head, 'eos', String(entry.count)];
    case 'abort':
      return [...head, 'abort', entry.reason];
  }
}

/** One XREAD entry `[id, [field, value, …]]` as an exchange entry; undefined when it is not one. */
export function decodeEntry(fields: readonly RedisReply[]): ExchangeEntry | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), String(fields[i + 1]));
  const s = Number(map.get('s'));
  const e = Number(map.get('e'));
  const q = Number(map.get('q'));
  if (![s, e, q].every(Number.isInteger)) return undefined;
  const data = map.get('d');
  if (data !== undefined) {
    const records: unknown = deserialize(Buffer.from(data, 'base64'));
    return Array.isArray(records) ? { s, e, q, kind: 'data', records: records as Uint8Array[] } : undefined;
  }
  const eos = map.get('eos');
  if (eos !== undefined && /^\d+$/.test(eos)) return { s, e, q, kind: 'eos', count: Number(eos) };
  const abort = map.get('abort');
  if (abort !== undefined) return { s, e, q, kind: 'abort', reason: abort };
  return undefined;
}
