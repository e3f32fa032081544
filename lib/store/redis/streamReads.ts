/**
 * A stream consumer's round trip on a raw connection of the Redis store's own: the XACK of the batch that ran
 * and the XREADGROUP of the next one go out in one write, and the read's reply is decoded from its bytes
 * straight into entries — no ioredis command object, promise and timer per command, no Buffer per id, field
 * and value, no intermediate arrays (bench workload 5).
 */
import { RedisReplyError } from '../../errors.ts';
import type { GroupEntry, GroupReadReply, GroupReadRequest } from '../ShardStore.ts';
import { stringAt, wireArg } from '../bytes.ts';
import { RedisConnectionError } from './errors.ts';
import { requestFrame } from './frames.ts';
import { setField } from './replies.ts';
import { WireConnection, type WireEndpoint } from './wire.ts';

const CR = 13;

/**
 * A command as RESP bytes: one string, converted once (an XACK of 500 ids is 500 small pieces). Arguments that
 * stand for bytes other than their UTF-8 (escaped binary, lib/store/bytes.ts) go through `requestFrame`.
 */
function commandBytes(args: readonly string[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    const wire = wireArg(arg);
    if (typeof wire !== 'string') return requestFrame(args.map(wireArg));
    text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  }
  return Buffer.from(text, 'utf8');
}

/** Where the decoder is in the frame (one decode at a time: JavaScript runs one at a time). */
let at = 0;

/** The integer after the type byte at `at` (a RESP length or count); moves `at` past its line. */
function lengthHere(frame: Buffer): number {
  let i = at + 1;
  let negative = false;
  if (frame[i] === 0x2d) {
    negative = true;
    i++;
  }
  let value = 0;
  for (; frame[i] !== CR; i++) value = value * 10 + frame[i]! - 0x30;
  at = i + 2;
  return negative ? -value : value;
}

/** The error text of an error frame (`-ERR …\r\n`). */
function errorText(frame: Buffer): string {
  return frame.toString('utf8', 1, frame.length - 2);
}

/**
 * An XREADGROUP reply of one stream (`*1 [*2 [key, *N entries]]`, or nil) as entries of `key`. An entry is
 * `*2 [id, *M fields and values]`, or `*2 [id, nil]` when it was deleted after its delivery. Field names
 * repeat from entry to entry: a name whose bytes equal the previous entry's name at the same place is that
 * string again instead of a new one.
 */
export function decodeGroupRead(key: string, frame: Buffer): GroupEntry[] {
  if (frame[0] !== 0x2a /* '*' */ || frame[1] === 0x2d /* nil */) return [];
  at = 0;
  if (lengthHere(frame) < 1) return [];
  lengthHere(frame); // *2: [key, entries]
  const keyLength = lengthHere(frame);
  at += keyLength + 2; // the key (we asked for it)
  if (frame[at] !== 0x2a) return [];
  const count = lengthHere(frame);
  const entries = new Array<GroupEntry>(Math.max(count, 0));
  // The previous entry's k-th field name, where its bytes are, and how long: compared, then overwritten.
  const names: string[] = [];
  const nameStarts: number[] = [];
  const nameLengths: number[] = [];
  for (let e = 0; e < count; e++) {
    lengthHere(frame); // *2: [id, fields]
    const idLength = lengthHere(frame);
    const id = frame.toString('latin1', at, at + idLength);
    at += idLength + 2;
    if (frame[at + 1] === 0x2d) {
      // nil: deleted after its delivery
      lengthHere(frame);
      entries[e] = { key, id, value: null };
      continue;
    }
    const items = lengthHere(frame);
    const value: Record<string, string> = {};
    for (let k = 0; 2 * k + 1 < items; k++) {
      const length = lengthHere(frame);
      const start = at;
      let name = names[k];
      if (name !== undefined && nameLengths[k] === length) {
        const other = nameStarts[k]!;
        for (let i = 0; i < length; i++) {
          if (frame[start + i] !== frame[other + i]) {
            name = undefined;
            break;
          }
        }
      } else name = undefined;
      if (name === undefined) {
        name = stringAt(frame, start, start + length);
        names[k] = name;
        nameLengths[k] = length;
      }
      nameStarts[k] = start;
      at += length + 2;
      const valueLength = lengthHere(frame);
      setField(value, name, stringAt(frame, at, at + valueLength));
      at += valueLength + 2;
    }
    entries[e] = { key, id, value };
  }
  return entries;
}

/**
 * `readGroup` on one raw connection (RESP2), opened when first needed and again after it broke. A request is
 * the XACK (when there is one) and the XREADGROUP in one write, their replies in that order, or an XACK alone
 * (`acknowledge`): requests go out at once, one after the other on the connection, never waiting. A broken
 * connection rejects the request in flight (the caller reads again; the XACK's outcome is then unknown).
 * `timeoutMs` bounds a round trip, as ioredis' `commandTimeout` does.
 */
export class StreamGroupReads {
  private connection: WireConnection | undefined;
  private closed = false;
  private inFlight = 0;
  private drained: Promise<void> | undefined;
  private drain: (() => void) | undefined;

  constructor(
    private readonly endpoint: WireEndpoint,
    private readonly address: string,
    private readonly timeoutMs: number | undefined,
    /** The client's `keyPrefix`, put before the stream's key in both commands (as ioredis does). */
    private readonly keyPrefix?: string,
  ) {}

  read(request: GroupReadRequest): Promise<GroupReadReply> {
    const { key, group, consumer, count, id, ack } = request;
    const stream = this.keyPrefix ? this.keyPrefix + key : key;
    const read = commandBytes(['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(count), 'STREAMS', stream, id]);
    if (ack === undefined || ack.length === 0) {
      return this.send(read, 1, (replies) => ({ ackError: undefined, entries: decodeGroupRead(key, replies[0]!) }));
    }
    const frames = Buffer.concat([commandBytes(['XACK', stream, group, ...ack]), read]);
    return this.send(frames, 2, ([acked, entries]) => ({
      // The XACK's reply: an integer, or an error (the read still ran).
      ackError: acked![0] === 0x2d ? new RedisReplyError(errorText(acked!)) : undefined,
      entries: decodeGroupRead(key, entries!),
    }));
  }

  /** `XACK key group …ids` alone, on the reads' connection: after the reads sent before it, without waiting. */
  acknowledge(key: string, group: string, ids: readonly string[]): Promise<void> {
    const stream = this.keyPrefix ? this.keyPrefix + key : key;
    return this.send(commandBytes(['XACK', stream, group, ...ids]), 1, () => undefined);
  }

  /**
   * Writes `frames` (`count` commands) at once and settles with `decode` of their reply frames, or rejects with
   * the last reply's error, or a connection error (timeout included) for all of them.
   */
  private send<T>(frames: Buffer, count: number, decode: (replies: Buffer[]) => T): Promise<T> {
    if (this.closed)
      return Promise.reject(new RedisConnectionError(this.address, `Redis ${this.address}: the store is closed`));
    if (this.connection === undefined || !this.connection.usable)
      this.connection = new WireConnection(this.endpoint, 2);
    const connection = this.connection;
    if (this.inFlight++ === 0) this.drained = new Promise((resolve) => (this.drain = resolve));
    return new Promise<T>((resolve, reject) => {
      const replies: Buffer[] = [];
      let waiting = count;
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: Error): void => {
        if (waiting === 0) return;
        waiting = 0;
        clearTimeout(timer);
        this.settled();
        reject(new RedisConnectionError(this.address, `Redis ${this.address}: ${error.message}`, { cause: error }));
      };
      if (this.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          fail(new Error('Command timed out'));
          connection.close();
        }, this.timeoutMs);
        timer.unref();
      }
      // Written at once: not held back to the end of the turn.
      connection.requestMany(frames, count, (reply) => {
        if (waiting === 0) return;
        if (reply instanceof Error) {
          fail(reply);
          return;
        }
        replies.push(reply);
        if (--waiting > 0) return;
        clearTimeout(timer);
        this.settled();
        if (reply[0] === 0x2d) reject(new RedisReplyError(errorText(reply)));
        else resolve(decode(replies));
      });
      connection.flushNow();
    });
  }

  /**
   * Settles once every request sent so far has its replies; undefined when none waits. The store's other
   * commands go after it (`RedisStore.run`): on one connection they would, so a command sent after a read was
   * sent runs after that read in Redis (an XADD after `unregister()` is not read by a read sent before).
   */
  get pending(): Promise<void> | undefined {
    return this.drained;
  }

  private settled(): void {
    if (--this.inFlight > 0) return;
    const drain = this.drain;
    this.drained = this.drain = undefined;
    drain?.();
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
  }
}
