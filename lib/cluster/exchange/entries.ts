import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import type { RedisArg, RedisReply } from '../../store/ShardStore.ts';

/**
 * Exchange stream entries. Every entry names its sender shard `s`, the sender's epoch `e` (the fencing token
 * of its lease) and a sequence number `q`, per sender link, that the receiver deduplicates by. Then one of:
 * `b` a batch of `n` records (one v8 serialization stream: a header, then the records one after another, each
 * written when sent; base64, since the store's replies are strings and base64 survives any decoding), `eos` +
 * `n` the records this sender sent to this destination, or `abort` + a reason.
 */
export type EntryBody =
  { kind: 'data'; count: number; bytes: Buffer } | { kind: 'eos'; count: number } | { kind: 'abort'; reason: string };

export type ExchangeEntry = EntryBody & { s: number; e: number; q: number };

/**
 * The records of one data entry, serialized as they are sent (structured clone semantics: later changes to a
 * record do not travel). One serializer per batch: a fresh `v8.serialize` per record cost ~3.5 µs of setup,
 * far more than writing a small record (bench/README.md, workload 11).
 */
export class RecordBatch {
  private serializer = RecordBatch.fresh();
  count = 0;

  private static fresh(): DefaultSerializer {
    const serializer = new DefaultSerializer();
    serializer.writeHeader();
    return serializer;
  }

  /**
   * Appends a record; one that cannot travel throws a `DataCloneError`, as `structuredClone` does, and leaves
   * the batch as it was.
   */
  add(record: unknown): void {
    try {
      this.serializer.writeValue(record);
      this.count++;
    } catch (error) {
      // The stream holds a part of the failed record: keep the records before it (read back from the bytes,
      // so as they were when sent) in a fresh one.
      const partial = this.serializer.releaseBuffer();
      this.serializer = RecordBatch.fresh();
      for (const kept of readRecords(partial, this.count)) this.serializer.writeValue(kept);
      throw new DOMException((error as Error).message, 'DataCloneError');
    }
  }

  /** The batch's bytes; the batch is empty afterwards. */
  take(): Buffer {
    const bytes = this.serializer.releaseBuffer();
    this.serializer = RecordBatch.fresh();
    this.count = 0;
    return bytes;
  }
}

/** The first `count` records of a batch's bytes, deserialized one at a time as the iteration asks. */
export function* readRecords(bytes: Buffer, count: number): Generator<unknown> {
  const deserializer = new DefaultDeserializer(bytes);
  deserializer.readHeader();
  for (let i = 0; i < count; i++) yield deserializer.readValue();
}

export function encodeEntry(entry: ExchangeEntry): RedisArg[] {
  const head = ['s', String(entry.s), 'e', String(entry.e), 'q', String(entry.q)];
  switch (entry.kind) {
    case 'data':
      return [...head, 'n', String(entry.count), 'b', entry.bytes.toString('base64')];
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
  const data = map.get('b');
  if (data !== undefined) {
    const count = map.get('n');
    if (count === undefined || !/^\d+$/.test(count)) return undefined;
    return { s, e, q, kind: 'data', count: Number(count), bytes: Buffer.from(data, 'base64') };
  }
  const eos = map.get('eos');
  if (eos !== undefined && /^\d+$/.test(eos)) return { s, e, q, kind: 'eos', count: Number(eos) };
  const abort = map.get('abort');
  if (abort !== undefined) return { s, e, q, kind: 'abort', reason: abort };
  return undefined;
}
