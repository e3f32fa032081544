import { RedisReplyError } from '../../errors.ts';
import type { KeyData, KeyType } from '../ShardStore.ts';
import { RedisConnectionError } from './errors.ts';
import { parseScore, setField } from './replies.ts';
import { WireConnection, type WireEndpoint } from './wire.ts';
import { stringAt, wireArg } from '../bytes.ts';

const CR = 13;

/** The read command of each type that has a value, as the RESP bytes that go before the key's length. */
const READS: Partial<Record<string, { head: Buffer; tail: Buffer }>> = {
  string: command(['GET']),
  hash: command(['HGETALL']),
  list: command(['LRANGE'], ['0', '-1']),
  set: command(['SMEMBERS']),
  zset: command(['ZRANGE'], ['0', '-1', 'WITHSCORES']),
};
const TYPE = command(['TYPE']);

/** `*N\r\n$len\r\nNAME\r\n…` before the key, and the arguments after it, as bytes (a key goes in between). */
function command(before: string[], after: string[] = []): { head: Buffer; tail: Buffer } {
  const bulk = (arg: string): string => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return {
    head: Buffer.from(`*${before.length + 1 + after.length}\r\n${before.map(bulk).join('')}`, 'latin1'),
    tail: Buffer.from(after.map(bulk).join(''), 'latin1'),
  };
}

/** Writes the decimal digits of `n` (≥ 0) at `at`; returns the offset after them. */
function writeDigits(out: Buffer, at: number, n: number): number {
  if (n < 10) {
    out[at] = 0x30 + n;
    return at + 1;
  }
  const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : Math.floor(Math.log10(n)) + 1;
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/**
 * One command per key, all in one buffer: `head $len\r\n key \r\n tail` for each. ASCII keys (the usual
 * case) are copied byte by byte; `Buffer.write` costs more than the whole copy for keys of a few dozen bytes.
 * A key holding escaped bytes (lib/store/bytes.ts) goes as those bytes.
 */
function encode(keys: readonly string[], indexes: readonly number[], read: { head: Buffer; tail: Buffer }): Buffer {
  const { head, tail } = read;
  const lengths = new Array<number>(indexes.length);
  let other: (string | Buffer | undefined)[] | undefined; // the keys that are not ASCII, as `wireArg` sends them
  let size = 0;
  for (let j = 0; j < indexes.length; j++) {
    const key = keys[indexes[j]!]!;
    let length = Buffer.byteLength(key);
    if (length !== key.length) {
      const wire = wireArg(key);
      (other ??= [])[j] = wire;
      if (typeof wire !== 'string') length = wire.length;
    }
    lengths[j] = length;
    size += head.length + tail.length + 16 + length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let j = 0; j < indexes.length; j++) {
    const length = lengths[j]!;
    at += head.copy(out, at);
    out[at++] = 0x24; // '$'
    at = writeDigits(out, at, length);
    out[at++] = CR;
    out[at++] = 10;
    const wire = other?.[j];
    if (wire === undefined) {
      const key = keys[indexes[j]!]!;
      for (let i = 0; i < length; i++) out[at++] = key.charCodeAt(i);
    } else at += typeof wire === 'string' ? out.write(wire, at, 'utf8') : wire.copy(out, at);
    out[at++] = CR;
    out[at++] = 10;
    if (tail.length > 0) at += tail.copy(out, at);
  }
  return out.subarray(0, at);
}

/** The integer between `start` and the next CR (a RESP length). */
function lengthAt(frame: Buffer, start: number): { value: number; next: number } {
  let i = start;
  let negative = false;
  if (frame[i] === 0x2d) {
    negative = true;
    i++;
  }
  let value = 0;
  for (; frame[i] !== CR; i++) value = value * 10 + frame[i]! - 0x30;
  return { value: negative ? -value : value, next: i + 2 };
}

/**
 * Walks the bulk strings of an array reply (`*N` of `$len` items), handing each to `item` as a store string
 * (`stringAt`, lib/store/bytes.ts). Returns N.
 */
function eachString(frame: Buffer, item: (text: string, index: number) => void): number {
  const { value: count, next } = lengthAt(frame, 1);
  let at = next;
  for (let i = 0; i < count; i++) {
    // `$len\r\n`: the length read inline, this runs once per field and value.
    let length = 0;
    let j = at + 1;
    for (; frame[j] !== CR; j++) length = length * 10 + frame[j]! - 0x30;
    const start = j + 2;
    item(stringAt(frame, start, start + length), i);
    at = start + length + 2;
  }
  return count;
}

/** The bulk strings of an array reply as an array. */
function stringsOf(frame: Buffer): string[] {
  const out: string[] = [];
  eachString(frame, (text) => void out.push(text));
  return out;
}

/** Why a reply is not a value: a wrong guess of the type, or another error reply (kept as Redis wrote it). */
type Miss = 'wrongtype' | RedisReplyError;

/**
 * A typed read's reply as the key's data; undefined when it says the key is gone (nil, or an empty collection:
 * Redis deletes empty collections, so an empty reply means the key vanished whatever its type was).
 */
function decode(key: string, type: string, frame: Buffer): KeyData | undefined | Miss {
  const first = frame[0];
  if (first === 0x2d /* '-' */) {
    const message = frame.toString('utf8', 1, frame.length - 2);
    return message.startsWith('WRONGTYPE') ? 'wrongtype' : new RedisReplyError(message);
  }
  if (first === 0x24 /* '$' */) {
    const { value: length, next } = lengthAt(frame, 1);
    return length < 0 ? undefined : { key, type: 'string', value: stringAt(frame, next, next + length) };
  }
  if (frame[1] === 0x30 && frame[2] === CR) return undefined; // '*0': an empty collection, the key is gone
  if (type === 'hash') {
    // Fields and values straight into the record, no array in between: this is workload 1's every key.
    const record: Record<string, string> = {};
    let field = '';
    eachString(frame, (text, i) => {
      if ((i & 1) === 0) field = text;
      else setField(record, field, text);
    });
    return { key, type: 'hash', value: record };
  }
  const items = stringsOf(frame);
  if (type === 'zset') {
    const members = new Array<{ member: string; score: number }>(items.length >> 1);
    for (let i = 0; i + 1 < items.length; i += 2) members[i >> 1] = { member: items[i]!, score: parseScore(items[i + 1]!) };
    return { key, type: 'zset', value: members };
  }
  return { key, type: type as 'list' | 'set', value: items };
}

/**
 * Reads batches of keys with plain pipelined commands on a raw connection of the store's own: no script, no
 * ioredis command object per key. Each batch is one buffer of pre-encoded RESP commands written at once, and
 * each reply is decoded from its bytes as it arrives.
 *
 * The type of a key is guessed: the type of the last key read before it (keys SCAN returns together are
 * usually of one type). The guessed read is exact when it answers: a WRONGTYPE error means the guess was wrong
 * and the key is read the long way (TYPE, then the typed read, a round each); an empty reply (nil for GET)
 * means the key is gone, whatever its type was. A key whose type changes between its TYPE and its read is read
 * again, up to three times, then reported as gone. With no guess yet (the first batch) or `readValue: false`,
 * keys start with TYPE. An error reply other than WRONGTYPE (MOVED after a reshard, NOPERM) rejects the batch
 * with it, once all its replies are in.
 *
 * A connection that breaks fails the batch in flight, which is tried once more on a new connection (reads can
 * be repeated); the next batch opens a new one. `timeoutMs` bounds a round, as ioredis' `commandTimeout` does.
 */
export class PipelinedReader {
  private connection: WireConnection | undefined;
  /** The type of the last key read with a value: the next key's guess. */
  private guess: string | undefined;
  private closed = false;

  constructor(
    private readonly endpoint: WireEndpoint,
    private readonly address: string,
    private readonly timeoutMs: number | undefined,
  ) {}

  async read(keys: readonly string[], readValue: boolean): Promise<KeyData[]> {
    try {
      return await this.readOnce(keys, readValue);
    } catch (error) {
      if (!(error instanceof RedisConnectionError) || this.closed) throw error;
      return this.readOnce(keys, readValue);
    }
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
  }

  private async readOnce(keys: readonly string[], readValue: boolean): Promise<KeyData[]> {
    const results = new Array<KeyData | undefined>(keys.length);
    const all = keys.map((_, i) => i);
    let pending: number[] = [];
    const guess = readValue ? this.guess : undefined;
    if (guess === undefined) pending = all;
    else await this.readAs(keys, all, guess, results, pending);
    // The long way: TYPE, then the typed read.
    for (let round = 0; round < 3 && pending.length > 0; round++) {
      const types = new Array<string>(pending.length);
      await this.round(encode(keys, pending, TYPE), pending.length, (j, frame) => {
        if (frame[0] === 0x2d) throw new RedisReplyError(frame.toString('utf8', 1, frame.length - 2));
        types[j] = frame.toString('latin1', 1, frame.length - 2);
      });
      const byType = new Map<string, number[]>();
      pending.forEach((index, j) => {
        const type = types[j]!;
        if (!readValue || type === 'none' || READS[type] === undefined) {
          results[index] = { key: keys[index]!, type: type as KeyType, value: null } as KeyData;
        } else {
          const list = byType.get(type) ?? [];
          list.push(index);
          byType.set(type, list);
        }
      });
      pending = [];
      for (const [type, indexes] of byType) await this.readAs(keys, indexes, type, results, pending);
      pending.sort((a, b) => a - b);
    }
    for (let i = 0; i < results.length; i++) results[i] ??= { key: keys[i]!, type: 'none', value: null };
    return results as KeyData[];
  }

  /** Reads `indexes` as `type`; the keys that are not of it go to `wrong`. */
  private async readAs(
    keys: readonly string[],
    indexes: readonly number[],
    type: string,
    results: (KeyData | undefined)[],
    wrong: number[],
  ): Promise<void> {
    let failure: RedisReplyError | undefined;
    await this.round(encode(keys, indexes, READS[type]!), indexes.length, (j, frame) => {
      const index = indexes[j]!;
      const data = decode(keys[index]!, type, frame);
      if (data === 'wrongtype') wrong.push(index);
      else if (data instanceof RedisReplyError) failure ??= data;
      else {
        results[index] = data ?? { key: keys[index]!, type: 'none', value: null };
        if (data) this.guess = type;
      }
    });
    if (failure) throw failure;
  }

  /** Writes `count` commands in one buffer and hands each reply frame to `onReply` in order. */
  private round(frames: Buffer, count: number, onReply: (index: number, frame: Buffer) => void): Promise<void> {
    if (this.closed)
      return Promise.reject(new RedisConnectionError(this.address, `Redis ${this.address}: the store is closed`));
    if (this.connection === undefined || !this.connection.usable) this.connection = new WireConnection(this.endpoint, 2);
    const connection = this.connection;
    return new Promise<void>((resolve, reject) => {
      let received = 0;
      let failure: unknown;
      let timer: NodeJS.Timeout | undefined;
      if (this.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          failure ??= new RedisConnectionError(this.address, `Redis ${this.address}: Command timed out`);
          connection.close();
        }, this.timeoutMs);
        timer.unref();
      }
      const settle = (): void => {
        clearTimeout(timer);
        if (failure === undefined) resolve();
        else reject(failure);
      };
      connection.requestMany(frames, count, (reply) => {
        if (received === count) return;
        received++;
        if (reply instanceof Error) {
          failure ??= new RedisConnectionError(this.address, `Redis ${this.address}: ${reply.message}`, { cause: reply });
          // The connection failed every request still waiting: settle now.
          received = count;
        } else if (failure === undefined) {
          try {
            onReply(received - 1, reply);
          } catch (error) {
            failure = error;
          }
        }
        if (received === count) settle();
      });
    });
  }
}
