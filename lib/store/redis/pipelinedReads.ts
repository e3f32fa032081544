import { RedisReplyError } from '../../errors.ts';
import type { KeyData, KeyType, ScanPage } from '../ShardStore.ts';
import { RedisConnectionError } from './errors.ts';
import { parseScore, setField } from './replies.ts';
import { WireConnection, type WireEndpoint } from './wire.ts';
import { stringAt, wireArg, wireArgs } from '../bytes.ts';
import { requestFrame } from './frames.ts';
import { isAscii } from 'node:buffer';

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
/**
 * The same reads, each after `ASKING`: a node importing a slot (a reshard under way) serves the keys it already
 * holds of it only to a command that follows `ASKING`, and answers `MOVED` to any other.
 */
const ASKING = Buffer.from('*1\r\n$6\r\nASKING\r\n', 'latin1');
const asking = (read: { head: Buffer; tail: Buffer }): { head: Buffer; tail: Buffer } => ({
  head: Buffer.concat([ASKING, read.head]),
  tail: read.tail,
});
const ASKING_READS: Partial<Record<string, { head: Buffer; tail: Buffer }>> = Object.fromEntries(
  Object.entries(READS).map(([type, read]) => [type, asking(read!)]),
);
const ASKING_TYPE = asking(TYPE);

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
function encode(
  keys: readonly string[],
  indexes: readonly number[],
  read: { head: Buffer; tail: Buffer },
  prefix: Buffer | undefined,
): Buffer {
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
    size += head.length + tail.length + 16 + length + (prefix?.length ?? 0);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let j = 0; j < indexes.length; j++) {
    const length = lengths[j]!;
    at += head.copy(out, at);
    out[at++] = 0x24; // '$'
    at = writeDigits(out, at, length + (prefix?.length ?? 0));
    out[at++] = CR;
    out[at++] = 10;
    if (prefix !== undefined) at += prefix.copy(out, at);
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

/** Why a reply is not a value: a wrong guess of the type, or another error reply (kept as Redis wrote it). */
type Miss = 'wrongtype' | RedisReplyError;

/** A batch's error replies: the keys to read again after ASKING (none when they already were), the first failure. */
interface Failures {
  moved: number[] | undefined;
  first: RedisReplyError | undefined;
}

const DOLLAR = 0x24;
const STAR = 0x2a;
const MINUS = 0x2d;

/**
 * Reads the RESP2 replies of a round one after the other out of their bytes (`WireConnection.requestRun` hands
 * them over back to back): the typed reads' replies as keys' data, TYPE's as type names.
 *
 * Text is cut out of one string per reply: when a reply's bytes are all ASCII (the whole round is checked at
 * once with `isAscii`, which is what keys and values usually are), the reply is decoded once as Latin-1 and its
 * items are substrings of it — a substring of a reply holds on to at most that reply's text, never the round's.
 * A reply with other bytes decodes each item on its own (`stringAt`: UTF-8, escaped bytes where it is not).
 * Hash field names that repeat from one key to the next (the same fields in the same order, as records of one
 * kind have) are the same string objects again: no new string, and a property name V8 has already internalized.
 */
class ReplyReader {
  private at = 0;
  private readonly ascii: boolean;
  /** Offsets of the current array reply's items: start and end of each, in pairs. */
  private spans: Int32Array;

  constructor(
    private readonly bytes: Buffer,
    /** Field names of the last hash read, by position (ASCII only): reused while they repeat. */
    private readonly fields: string[],
    spans: Int32Array,
  ) {
    this.ascii = isAscii(bytes);
    this.spans = spans;
  }

  /** The scratch array of item offsets, possibly grown: handed to the next reader. */
  get scratch(): Int32Array {
    return this.spans;
  }

  /** The integer from `start` to the next CR; the position moves past its CRLF. */
  private integer(start: number): number {
    const bytes = this.bytes;
    let i = start;
    let negative = false;
    if (bytes[i] === MINUS) {
      negative = true;
      i++;
    }
    let value = 0;
    for (; bytes[i] !== CR; i++) value = value * 10 + bytes[i]! - 0x30;
    this.at = i + 2;
    return negative ? -value : value;
  }

  /** A simple-string or error reply's text (after its type byte); the position moves past it. */
  private line(): string {
    const start = this.at;
    const cr = this.bytes.indexOf(CR, start);
    this.at = cr + 2;
    return this.bytes.toString('utf8', start + 1, cr);
  }

  /**
   * SCAN's reply, `*2 $cursor *N $key…`, as a page. Keys are Latin-1 text when the reply is ASCII, else each is
   * decoded on its own (`stringAt`). An error reply throws.
   */
  scanPage(): ScanPage {
    const bytes = this.bytes;
    if (bytes[this.at] === MINUS) throw new RedisReplyError(this.line());
    if (bytes[this.at] !== STAR || this.integer(this.at + 1) !== 2 || bytes[this.at] !== DOLLAR)
      throw new RedisReplyError('unexpected reply to SCAN');
    const cursorLength = this.integer(this.at + 1);
    const cursor = bytes.toString('latin1', this.at, this.at + cursorLength);
    this.at += cursorLength + 2;
    if (bytes[this.at] !== STAR) throw new RedisReplyError('unexpected reply to SCAN');
    const count = Math.max(0, this.integer(this.at + 1));
    const keys = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      if (bytes[this.at] !== DOLLAR) throw new RedisReplyError('unexpected key in the reply to SCAN');
      const length = this.integer(this.at + 1);
      const start = this.at;
      keys[i] = this.ascii ? bytes.toString('latin1', start, start + length) : stringAt(bytes, start, start + length);
      this.at = start + length + 2;
    }
    return { cursor, keys };
  }

  /** TYPE's reply: the type name, or the error reply. */
  type(): string | RedisReplyError {
    if (this.bytes[this.at] === MINUS) return new RedisReplyError(this.line());
    return this.line();
  }

  /** ASKING's reply (`+OK`) before a read; an error reply throws (an ACL without ASKING). */
  asked(): void {
    if (this.bytes[this.at] === MINUS) throw new RedisReplyError(this.line());
    this.line();
  }

  /**
   * A typed read's reply as the key's data; undefined when it says the key is gone (nil, or an empty collection:
   * Redis deletes empty collections, so an empty reply means the key vanished whatever its type was).
   */
  value(key: string, type: string): KeyData | undefined | Miss {
    const bytes = this.bytes;
    const first = bytes[this.at];
    if (first === MINUS) {
      const message = this.line();
      return message.startsWith('WRONGTYPE') ? 'wrongtype' : new RedisReplyError(message);
    }
    if (first === DOLLAR) {
      const length = this.integer(this.at + 1);
      if (length < 0) return undefined;
      const start = this.at;
      this.at = start + length + 2;
      return {
        key,
        type: 'string',
        value: this.ascii ? bytes.toString('latin1', start, start + length) : stringAt(bytes, start, start + length),
      };
    }
    if (first !== STAR) throw new RedisReplyError(`unexpected reply to the read of a ${type}: ${this.line()}`);
    const count = this.integer(this.at + 1);
    if (count <= 0) return undefined; // '*0': an empty collection, the key is gone
    // First walk: where each item is (and so where the reply ends).
    if (this.spans.length < 2 * count) this.spans = new Int32Array(Math.max(4 * count, 64));
    const spans = this.spans;
    const from = this.at;
    let at = from;
    for (let i = 0; i < count; i++) {
      if (bytes[at] !== DOLLAR) throw new RedisReplyError(`unexpected item in the reply to the read of a ${type}`);
      let length = 0;
      let j = at + 1;
      for (; bytes[j] !== CR; j++) length = length * 10 + bytes[j]! - 0x30;
      spans[2 * i] = j + 2;
      spans[2 * i + 1] = j + 2 + length;
      at = j + 4 + length;
    }
    this.at = at;
    const ascii = this.ascii || isAscii(bytes.subarray(from, at));
    const text = ascii ? bytes.toString('latin1', from, at) : '';
    const item = (i: number): string =>
      ascii
        ? text.substring(spans[2 * i]! - from, spans[2 * i + 1]! - from)
        : stringAt(bytes, spans[2 * i]!, spans[2 * i + 1]!);
    if (type === 'hash') {
      // Fields and values straight into the record, no array in between: this is workload 1's every key.
      const record: Record<string, string> = {};
      const fields = this.fields;
      for (let i = 0; i + 1 < count; i += 2) {
        let field: string | undefined;
        if (ascii) {
          const start = spans[2 * i]!;
          const length = spans[2 * i + 1]! - start;
          const known = fields[i >> 1];
          if (known !== undefined && known.length === length) {
            let k = 0;
            while (k < length && known.charCodeAt(k) === bytes[start + k]) k++;
            if (k === length) field = known;
          }
          if (field === undefined) field = fields[i >> 1] = item(i);
        } else field = item(i);
        setField(record, field, item(i + 1));
      }
      return { key, type: 'hash', value: record };
    }
    if (type === 'zset') {
      const members = new Array<{ member: string; score: number }>(count >> 1);
      for (let i = 0; i + 1 < count; i += 2) members[i >> 1] = { member: item(i), score: parseScore(item(i + 1)) };
      return { key, type: 'zset', value: members };
    }
    const items = new Array<string>(count);
    for (let i = 0; i < count; i++) items[i] = item(i);
    return { key, type: type as 'list' | 'set', value: items };
  }
}

/**
 * Reads batches of keys with plain pipelined commands on a raw connection of the store's own: no script, no
 * ioredis command object per key. Each batch is one buffer of pre-encoded RESP commands written at once, and its
 * replies come back as one run of bytes (no Buffer nor callback per reply), decoded by `ReplyReader`.
 *
 * The type of a key is guessed: the type of the last key read before it (keys SCAN returns together are
 * usually of one type). The guessed read is exact when it answers: a WRONGTYPE error means the guess was wrong
 * and the key is read the long way (TYPE, then the typed read, a round each); an empty reply (nil for GET)
 * means the key is gone, whatever its type was. A key whose type changes between its TYPE and its read is read
 * again, up to three times, then reported as gone. With no guess yet (the first batch) or `readValue: false`,
 * keys start with TYPE. During a reshard a node answers `MOVED` for the keys it holds of a slot it is importing:
 * those are read again after `ASKING`, so every key SCAN listed here is read here. A key that left the node
 * since (`ASK`, or `MOVED` after ASKING) rejects the batch, saying its slot is being resharded; so does any other
 * error reply but WRONGTYPE (NOPERM), with Redis' text, once all its replies are in.
 *
 * A connection that breaks fails the batch in flight, which is tried once more on a new connection (reads can
 * be repeated); the next batch opens a new one. `timeoutMs` bounds a round, as ioredis' `commandTimeout` does.
 */
export class PipelinedReader {
  private connection: WireConnection | undefined;
  /** The type of the last key read with a value: the next key's guess. */
  private guess: string | undefined;
  private closed = false;
  /** `ReplyReader`'s field names and scratch offsets, kept from one round to the next. */
  private readonly fields: string[] = [];
  private spans: Int32Array = new Int32Array(64);

  constructor(
    private readonly endpoint: WireEndpoint,
    private readonly address: string,
    private readonly timeoutMs: number | undefined,
    /** The client's `keyPrefix`, put before every key read (as ioredis does; not before SCAN's pattern). */
    private readonly keyPrefix?: Buffer,
  ) {}

  async read(keys: readonly string[], readValue: boolean): Promise<KeyData[]> {
    try {
      return await this.readOnce(keys, readValue);
    } catch (error) {
      if (!(error instanceof RedisConnectionError) || this.closed) throw error;
      return this.readOnce(keys, readValue);
    }
  }

  /**
   * One SCAN on the same raw connection (`args` after the command name): in the same write as the reads sent in
   * the same turn. Tried once more on a new connection when the connection broke, as reads are.
   */
  async scan(args: readonly string[]): Promise<ScanPage> {
    const frame = requestFrame(wireArgs(['SCAN', ...args]));
    try {
      return this.replies(await this.round(frame, 1)).scanPage();
    } catch (error) {
      if (!(error instanceof RedisConnectionError) || this.closed) throw error;
      return this.replies(await this.round(frame, 1)).scanPage();
    }
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
  }

  private async readOnce(keys: readonly string[], readValue: boolean): Promise<KeyData[]> {
    const results = new Array<KeyData | undefined>(keys.length);
    const moved: number[] = [];
    await this.readSome(
      keys,
      keys.map((_, i) => i),
      readValue,
      results,
      moved,
    );
    // Keys this node holds in a slot it is importing (a reshard under way: SCAN lists them here, and only
    // here, since MIGRATE moved them): Redis serves them after ASKING, so each is read once, where it is.
    if (moved.length > 0) await this.readSome(keys, moved, readValue, results, undefined);
    for (let i = 0; i < results.length; i++) results[i] ??= { key: keys[i]!, type: 'none', value: null };
    return results as KeyData[];
  }

  /**
   * Reads `indexes` (the guessed type, then TYPE and the typed read); the keys the node answered `MOVED` for go
   * to `moved`, or, when `moved` is undefined (the reads then follow ASKING), fail the batch.
   */
  private async readSome(
    keys: readonly string[],
    indexes: number[],
    readValue: boolean,
    results: (KeyData | undefined)[],
    moved: number[] | undefined,
  ): Promise<void> {
    const failures: Failures = { moved, first: undefined };
    let pending: number[] = [];
    const guess = readValue ? this.guess : undefined;
    if (guess === undefined) pending = indexes;
    else await this.readAs(keys, indexes, guess, results, pending, failures);
    // The long way: TYPE, then the typed read.
    for (let round = 0; round < 3 && pending.length > 0; round++) {
      const read = moved ? TYPE : ASKING_TYPE;
      const replies = this.replies(
        await this.round(encode(keys, pending, read, this.keyPrefix), pending.length * (moved ? 1 : 2)),
      );
      const byType = new Map<string, number[]>();
      for (const index of pending) {
        if (!moved) replies.asked();
        const type = replies.type();
        if (type instanceof RedisReplyError) this.failed(keys[index]!, index, type, failures);
        else if (!readValue || type === 'none' || READS[type] === undefined) {
          results[index] = { key: keys[index]!, type: type as KeyType, value: null } as KeyData;
        } else {
          const list = byType.get(type) ?? [];
          list.push(index);
          byType.set(type, list);
        }
      }
      pending = [];
      for (const [type, typed] of byType) await this.readAs(keys, typed, type, results, pending, failures);
      pending.sort((a, b) => a - b);
    }
    if (failures.first) throw failures.first;
  }

  /** Reads `indexes` as `type`; the keys that are not of it go to `wrong`. */
  private async readAs(
    keys: readonly string[],
    indexes: readonly number[],
    type: string,
    results: (KeyData | undefined)[],
    wrong: number[],
    failures: Failures,
  ): Promise<void> {
    const following = failures.moved === undefined;
    const read = following ? ASKING_READS[type]! : READS[type]!;
    const replies = this.replies(
      await this.round(encode(keys, indexes, read, this.keyPrefix), indexes.length * (following ? 2 : 1)),
    );
    for (let j = 0; j < indexes.length; j++) {
      const index = indexes[j]!;
      if (following) replies.asked();
      const data = replies.value(keys[index]!, type);
      if (data === 'wrongtype') wrong.push(index);
      else if (data instanceof RedisReplyError) this.failed(keys[index]!, index, data, failures);
      else {
        results[index] = data ?? { key: keys[index]!, type: 'none', value: null };
        if (data) this.guess = type;
      }
    }
    this.spans = replies.scratch;
  }

  /**
   * An error reply for a key: a first `MOVED` is read again after ASKING (`readOnce`); an `ASK`, or a `MOVED`
   * after ASKING, says the key is not served here any more — a reshard moves keys while this read runs (another
   * node's SCAN may list the key too, or may have passed it already), or the node is a replica now — so the batch
   * fails, saying so, rather than give the key twice or never. Any other error (NOPERM) fails it with Redis' text.
   */
  private failed(key: string, index: number, error: RedisReplyError, failures: Failures): void {
    const text = error.message;
    if (text.startsWith('MOVED ') && failures.moved) return void failures.moved.push(index);
    if (text.startsWith('ASK ') || text.startsWith('MOVED ')) {
      failures.first ??= new RedisReplyError(
        `Redis ${this.address}: key '${key}' is no longer served here (${text}): the cluster changed while it ` +
          'was read (a slot resharded, or a failover); the read fails rather than miss the key or read it twice',
      );
      return;
    }
    failures.first ??= error;
  }

  private replies(bytes: Buffer): ReplyReader {
    return new ReplyReader(bytes, this.fields, this.spans);
  }

  /**
   * Writes `count` commands in one buffer; resolves with their replies, back to back as Redis sent them (one
   * slice of what was read when they came in one read), or rejects when the connection ends first.
   */
  private round(frames: Buffer, count: number): Promise<Buffer> {
    if (this.closed)
      return Promise.reject(new RedisConnectionError(this.address, `Redis ${this.address}: the store is closed`));
    if (this.connection === undefined || !this.connection.usable)
      this.connection = new WireConnection(this.endpoint, 2);
    const connection = this.connection;
    return new Promise<Buffer>((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      if (this.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          connection.close();
        }, this.timeoutMs);
        timer.unref();
      }
      connection.requestRun([frames], count, (run) => {
        clearTimeout(timer);
        if (run.failure === undefined) resolve(run.replies);
        else if (timedOut) reject(new RedisConnectionError(this.address, `Redis ${this.address}: Command timed out`));
        else {
          const message = `Redis ${this.address}: ${run.failure.message}`;
          reject(new RedisConnectionError(this.address, message, { cause: run.failure }));
        }
      });
    });
  }
}
