import { GearsError } from '../../errors.ts';
import { splitCommandLine } from './commandLine.ts';

/** Limits a client request must respect; the defaults are Redis' own. */
export interface RespLimits {
  /** Largest bulk argument (`proto-max-bulk-len`, 512 MB). */
  maxBulkLength: number;
  /** Most arguments in one request (Redis allows 1024 × 1024). */
  maxMultibulkLength: number;
  /** Longest inline command or `*` / `$` header line before its end of line arrives (64 KB). */
  maxInlineLength: number;
}

export const DEFAULT_RESP_LIMITS: Readonly<RespLimits> = {
  maxBulkLength: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
  maxInlineLength: 64 * 1024,
};

/**
 * A request that breaks the protocol. The message is Redis' (`ERR Protocol error: invalid bulk length`); as in
 * Redis the connection is answered with it and then closed, since nothing after it can be framed reliably.
 */
export class RespProtocolError extends GearsError {
  override readonly name = 'RespProtocolError';
}

/** A request's arguments: the command name, then its arguments. */
export type RequestArgs = Buffer[];

/** Where a parsed request keeps its own bytes (a property of the array: a WeakMap entry per request cost more than the parsing). */
const RAW_FRAME = Symbol('raw frame');

type FramedArgs = RequestArgs & { [RAW_FRAME]?: Buffer };

/**
 * A request's own bytes, when it came as one multibulk frame within the parser's buffer: the proxy forwards
 * those instead of encoding the arguments again. Undefined for inline commands and very large requests.
 */
export function rawFrameOf(request: RequestArgs): Buffer | undefined {
  return (request as FramedArgs)[RAW_FRAME];
}

/** Upper-case command names seen so far, by a hash of their case-folded bytes. */
const commandNames = new Map<number, string>();

const foldCase = (byte: number): number => (byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte);

/**
 * A command name's bytes as an upper-case latin1 string (`get` → `GET`), remembered so that the hot path does
 * not make a string per request.
 */
export function commandName(name: Buffer, start = 0, end = name.length): string {
  const length = end - start;
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + foldCase(name[i]!)) | 0;
  const known = commandNames.get(hash);
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = known.charCodeAt(i) === foldCase(name[start + i]!);
    if (same) return known;
  }
  const upper = name.toString('latin1', start, end).toUpperCase();
  if (commandNames.size < 4096) commandNames.set(hash, upper);
  return upper;
}

/**
 * A request read only as far as its command name (`RespParser.pushFramed`): where its own bytes are in the buffer
 * it was read from (`source[start, end)`) and its name in upper case — no Buffer per argument, nor one for its
 * frame until something asks (the raw path sends adjacent requests as one slice of `source`). `argsOf` gives its
 * arguments when something needs them.
 */
export class FramedRequest {
  constructor(
    readonly source: Buffer,
    readonly start: number,
    readonly end: number,
    readonly upper: string,
  ) {}

  /** The request's own bytes. */
  get frame(): Buffer {
    return this.source.subarray(this.start, this.end);
  }
}

/** The arguments of a framed request (its frame is one complete multibulk request), its raw frame kept. */
export function argsOf(request: FramedRequest): RequestArgs {
  const frame = request.frame;
  const args: FramedArgs = [];
  let offset = frame.indexOf(CR) + 2;
  while (offset < frame.length) {
    const cr = frame.indexOf(CR, offset);
    const length = parseLength(frame, offset + 1, cr) ?? 0;
    args.push(frame.subarray(cr + 2, cr + 2 + length));
    offset = cr + 4 + length;
  }
  args[RAW_FRAME] = frame;
  return args;
}

/** Longest command name a framed request is made for (longer ones are parsed in full). */
const MAX_FRAMED_NAME = 32;

/** One parsed request: the command and its arguments, or the protocol error that ends the connection. */
export type ParsedRequest = RequestArgs | RespProtocolError;

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);
/** Bodies at least this long are gathered as a chunk list and joined once, so a big value costs O(n). */
const LARGE_BODY = 64 * 1024;

/** Whether `part` starts where `whole` starts (the same memory), so `whole`'s bytes past `part` are free. */
function sameStart(whole: Buffer, part: Buffer): boolean {
  return part.buffer === whole.buffer && part.byteOffset === whole.byteOffset;
}

/**
 * Where the CR ending a `*`/`$` header's digits is, from `from` on; -1 when it is not within the longest number
 * `parseLength` takes (a sign and 19 digits) — such a header would not parse anyway. A loop over a few bytes, not
 * `indexOf` (a native call per header cost the framed parser more than the rest of its work).
 */
function headerEnd(bytes: Buffer, from: number): number {
  const last = Math.min(bytes.length, from + 21);
  for (let i = from; i < last; i++) if (bytes[i] === CR) return i;
  return -1;
}

/**
 * Redis' `string2ll` over `bytes[start, end)`: an optional minus, no leading zeros or `+`, at most 19 digits.
 * Undefined when the bytes are not such a number.
 */
function parseLength(bytes: Buffer, start: number, end: number): number | undefined {
  let i = start;
  if (bytes[i] === 0x2d /* '-' */) i++;
  const digits = end - i;
  if (digits <= 0 || digits > 19) return undefined;
  if (bytes[i] === 0x30 /* '0' */) return digits === 1 && i === start ? 0 : undefined;
  let value = 0;
  for (; i < end; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return bytes[start] === 0x2d ? -value : value;
}

/**
 * An incremental parser of client requests, as Redis reads them: RESP multibulk (`*2\r\n$4\r\nECHO\r\n…`) or
 * inline commands (`PING\r\n`, split like redis-cli with quotes). Feed it chunks as they arrive; it returns
 * every complete request, keeps partial ones for the next chunk, and never throws. After the first protocol
 * error it returns that error and ignores the rest of the input.
 *
 * @example
 * const parser = new RespParser();
 * parser.push(Buffer.from('*1\r\n$4\r\nPI')); // []
 * parser.push(Buffer.from('NG\r\nPING\r\n')); // [[<PING>], [<PING>]]
 */
export class RespParser {
  private readonly limits: RespLimits;
  private buffer: Buffer = EMPTY;
  private offset = 0;
  /** Bulk arguments still expected by the multibulk request in progress (0: none in progress). */
  private pending = 0;
  private args: Buffer[] = [];
  /** Length of the bulk body being read, or -1 while its `$` header is expected. */
  private bulkLength = -1;
  /** A large body in progress: its chunks so far and their total size. */
  private bodyChunks: Buffer[] = [];
  private bodySize = 0;
  private failed = false;
  /** Where the multibulk request in progress starts in `buffer`; -1 once its bytes are no longer in one piece. */
  private requestStart = -1;
  /** A buffer of the parser's own that `buffer` may start at, with room after it for the next chunks. */
  private room: Buffer | undefined;

  constructor(limits: Partial<RespLimits> = {}) {
    this.limits = { ...DEFAULT_RESP_LIMITS, ...limits };
  }

  /** True once a protocol error was returned: the connection should be closed. */
  get broken(): boolean {
    return this.failed;
  }

  /** Feeds bytes and returns the requests they complete, in order. */
  push(chunk: Buffer): ParsedRequest[] {
    return this.parse(chunk, undefined) as ParsedRequest[];
  }

  /**
   * As `push`, but a multibulk request that is all in one piece and whose upper-case name `framed` accepts comes
   * as a `FramedRequest`: read only up to its name, no Buffer per argument (the proxy's raw path forwards its
   * bytes as they are). Anything else is parsed as `push` does, errors included.
   */
  pushFramed(chunk: Buffer, framed: (upper: string) => boolean): (ParsedRequest | FramedRequest)[] {
    return this.parse(chunk, framed);
  }

  private parse(chunk: Buffer, framed: ((upper: string) => boolean) | undefined): (ParsedRequest | FramedRequest)[] {
    if (this.failed || chunk.length === 0) return [];
    this.append(chunk);
    const requests: (ParsedRequest | FramedRequest)[] = [];
    for (;;) {
      const request = (framed && this.framed(framed)) || this.next();
      if (request === undefined) break;
      requests.push(request);
      if (request instanceof RespProtocolError) {
        this.failed = true;
        this.buffer = EMPTY;
        this.offset = 0;
        this.args = [];
        this.bodyChunks = [];
        break;
      }
    }
    if (this.offset >= this.buffer.length && !(this.pending > 0 && this.requestStart >= 0)) {
      this.buffer = EMPTY;
      this.offset = 0;
      this.requestStart = -1;
    }
    return requests;
  }

  private append(chunk: Buffer): void {
    if (this.bodyChunks.length > 0) {
      this.bodyChunks.push(chunk);
      this.bodySize += chunk.length;
      return;
    }
    // A request in progress keeps its start, so its frame stays one piece (its parsed arguments point into
    // the old buffer and stay valid).
    const inProgress = this.pending > 0 && this.requestStart >= 0;
    const keep = inProgress ? this.requestStart : this.offset;
    const room = this.room;
    if (keep >= this.buffer.length) this.buffer = chunk;
    else if (
      keep === 0 &&
      room !== undefined &&
      sameStart(room, this.buffer) &&
      this.buffer.length + chunk.length <= room.length
    ) {
      // A request of many arguments arriving over many chunks: the chunk goes into the room left after it, so its
      // bytes are copied O(n) times in all, not once per chunk (a 1.3 MB GEOADD in 16 KB reads: ~80 copies).
      // Only bytes past `buffer` are written: arguments already parsed point into it and stay as they are.
      chunk.copy(room, this.buffer.length);
      this.buffer = room.subarray(0, this.buffer.length + chunk.length);
    } else if (inProgress) {
      const size = this.buffer.length - keep + chunk.length;
      const grown = Buffer.allocUnsafe(Math.max(2 * size, 16 * 1024));
      this.buffer.copy(grown, 0, keep);
      chunk.copy(grown, this.buffer.length - keep);
      this.room = grown;
      this.buffer = grown.subarray(0, size);
    } else this.buffer = Buffer.concat([this.buffer.subarray(keep), chunk]);
    this.offset -= keep;
    if (this.requestStart >= 0) this.requestStart = this.pending > 0 ? this.requestStart - keep : -1;
  }

  private get available(): number {
    return this.buffer.length - this.offset;
  }

  /**
   * The next request as a `FramedRequest` when it is a multibulk request all in the buffer, within the limits,
   * and `accept` takes its name; undefined otherwise, nothing consumed (`next` then reads it, or fails, as usual).
   * Its bounds are found exactly as `next` finds them.
   */
  private framed(accept: (upper: string) => boolean): FramedRequest | undefined {
    if (this.pending !== 0 || this.bodyChunks.length > 0) return undefined;
    const buffer = this.buffer;
    const start = this.offset;
    if (buffer[start] !== 0x2a /* '*' */) return undefined;
    let cr = headerEnd(buffer, start + 1);
    if (cr === -1 || cr + 1 >= buffer.length) return undefined;
    const count = parseLength(buffer, start + 1, cr);
    if (count === undefined || count <= 0 || count > this.limits.maxMultibulkLength) return undefined;
    let offset = cr + 2;
    let upper: string | undefined;
    for (let i = 0; i < count; i++) {
      if (buffer[offset] !== 0x24 /* '$' */) return undefined;
      cr = headerEnd(buffer, offset + 1);
      if (cr === -1 || cr + 1 >= buffer.length) return undefined;
      const length = parseLength(buffer, offset + 1, cr);
      if (length === undefined || length < 0 || length > this.limits.maxBulkLength) return undefined;
      const body = cr + 2;
      offset = body + length + 2;
      if (offset > buffer.length) return undefined;
      if (i === 0) {
        if (length > MAX_FRAMED_NAME) return undefined;
        upper = commandName(buffer, body, body + length);
        if (!accept(upper)) return undefined;
      }
    }
    this.offset = offset;
    return new FramedRequest(buffer, start, offset, upper!);
  }

  /** The next complete request, an error, or undefined when more input is needed. */
  private next(): ParsedRequest | undefined {
    for (;;) {
      if (this.pending === 0) {
        if (this.available === 0) return undefined;
        if (this.buffer[this.offset] !== 0x2a /* '*' */) {
          const inline = this.inline();
          if (inline === null) continue; // an empty line: skipped, as Redis does
          return inline;
        }
        const start = this.offset;
        const end = this.line('ERR Protocol error: too big mbulk count string');
        if (typeof end !== 'number') return end;
        this.requestStart = start;
        const count = parseLength(this.buffer, start + 1, end);
        if (count === undefined || count > this.limits.maxMultibulkLength) {
          return new RespProtocolError('ERR Protocol error: invalid multibulk length');
        }
        if (count <= 0) continue; // `*0` and `*-1` are empty requests, skipped
        this.pending = count;
        this.args = [];
        this.bulkLength = -1;
      }
      const complete = this.bulks();
      if (complete !== true) return complete;
      const args: FramedArgs = this.args;
      if (this.requestStart >= 0) {
        args[RAW_FRAME] = this.buffer.subarray(this.requestStart, this.offset);
      }
      this.requestStart = -1;
      this.args = [];
      return args;
    }
  }

  /** Reads bulk arguments; true once the request has all of them. */
  private bulks(): true | RespProtocolError | undefined {
    while (this.pending > 0) {
      if (this.bulkLength === -1) {
        if (this.available === 0) return undefined;
        if (this.buffer[this.offset] !== 0x24 /* '$' */) {
          const got = String.fromCharCode(this.buffer[this.offset]!);
          return new RespProtocolError(`ERR Protocol error: expected '$', got '${got}'`);
        }
        const start = this.offset;
        const end = this.line('ERR Protocol error: too big bulk count string');
        if (typeof end !== 'number') return end;
        const length = parseLength(this.buffer, start + 1, end);
        if (length === undefined || length < 0 || length > this.limits.maxBulkLength) {
          return new RespProtocolError('ERR Protocol error: invalid bulk length');
        }
        this.bulkLength = length;
      }
      const body = this.body(this.bulkLength);
      if (body === undefined) return undefined;
      this.args.push(body);
      this.bulkLength = -1;
      this.pending--;
    }
    return true;
  }

  /** A bulk body of `length` bytes and its CRLF (not checked, as in Redis), or undefined until it all arrived. */
  private body(length: number): Buffer | undefined {
    const needed = length + 2;
    if (this.bodyChunks.length > 0) {
      if (this.bodySize < needed) return undefined;
      const all = Buffer.concat(this.bodyChunks, this.bodySize);
      this.bodyChunks = [];
      this.bodySize = 0;
      this.buffer = all;
      this.offset = 0;
    } else if (this.available < needed) {
      if (needed >= LARGE_BODY) {
        // Park what we have; later chunks are appended to the list instead of re-copying the buffer.
        const rest = this.buffer.subarray(this.offset);
        this.requestStart = -1; // the frame will not be one piece: the proxy encodes the arguments again
        this.bodyChunks = [rest];
        this.bodySize = rest.length;
        this.buffer = EMPTY;
        this.offset = 0;
      }
      return undefined;
    }
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += needed;
    return value;
  }

  /**
   * Reads a `\r\n`-terminated header line: where its terminator starts (the line is `buffer[offset before,
   * that)`), or undefined while incomplete.
   */
  private line(tooBig: string): number | RespProtocolError | undefined {
    const cr = this.buffer.indexOf(CR, this.offset);
    if (cr === -1 || cr + 1 >= this.buffer.length) {
      return this.available > this.limits.maxInlineLength ? new RespProtocolError(tooBig) : undefined;
    }
    this.offset = cr + 2; // Redis assumes the LF after the CR
    return cr;
  }

  /** An inline command (`SET k "a b"\r\n`); null for an empty line. */
  private inline(): Buffer[] | RespProtocolError | null | undefined {
    const lf = this.buffer.indexOf(LF, this.offset);
    if (lf === -1) {
      return this.available > this.limits.maxInlineLength
        ? new RespProtocolError('ERR Protocol error: too big inline request')
        : undefined;
    }
    let end = lf;
    if (end > this.offset && this.buffer[end - 1] === CR) end--;
    const text = this.buffer.toString('utf8', this.offset, end);
    this.offset = lf + 1;
    let words: string[];
    try {
      words = splitCommandLine(text);
    } catch {
      return new RespProtocolError('ERR Protocol error: unbalanced quotes in request');
    }
    return words.length === 0 ? null : words.map((word) => Buffer.from(word, 'utf8'));
  }
}
