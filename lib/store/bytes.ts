/**
 * Bytes as the stores' strings. Every store keeps and hands over keys, fields, members and values as JS strings,
 * so the engine and gear records see ordinary text; bytes that are not valid UTF-8 are one per character a lone
 * surrogate U+DC80–U+DCFF (the "surrogate escape" of Python's file names), which no UTF-8 text decodes to.
 * So every byte string has exactly one store string and back: the embedded store keeps binary values byte for
 * byte, the Redis store decodes Redis' reply bytes this way and sends such strings back as the same bytes, and
 * valid UTF-8 costs one validation on the way in and nothing on the way out.
 */
import { isUtf8 } from 'node:buffer';

declare global {
  interface String {
    /** ES2024: false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
  }
}

const ESCAPE_BASE = 0xdc00;

/**
 * The store string of `bytes`: the UTF-8 text when they are valid UTF-8, else each valid UTF-8 sequence as its
 * character and every other byte as U+DC00 + byte.
 *
 * @example
 * fromBytes(Buffer.from([0x61, 0xff])) // 'a\udcff'
 */
export function fromBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let start = 0; // the valid run not yet decoded starts here
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString('utf8', start, i) + String.fromCharCode(ESCAPE_BASE + bytes[i]!);
    start = ++i;
  }
  return out + bytes.toString('utf8', start, i);
}

/** The length of the valid UTF-8 sequence at `i` (no overlongs, no surrogates, at most U+10FFFF), or 0. */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 >= 0xa0)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

/**
 * The bytes a store string stands for: its UTF-8 encoding, with each escape U+DC80–U+DCFF as its one byte.
 *
 * @example
 * toBytes('a\udcff') // <Buffer 61 ff>
 */
export function toBytes(s: string): Buffer {
  if (s.isWellFormed()) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // a pair: UTF-8 as usual
        continue;
      }
    }
    if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xff) {
      parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.of(c - ESCAPE_BASE));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** How many bytes a store string stands for (STRLEN, APPEND's reply). */
export function byteLength(s: string): number {
  return s.isWellFormed() ? Buffer.byteLength(s, 'utf8') : toBytes(s).length;
}

/**
 * A string built by joining store strings (APPEND, SETRANGE) in its one canonical form: escaped bytes that now
 * form a UTF-8 character (`\udcc3` + `\udca9`) become that character, as if the bytes had arrived together.
 */
export function canonical(s: string): string {
  return s.isWellFormed() ? s : fromBytes(toBytes(s));
}

/** A string value's bytes, for the commands that work on bytes (the bit family, LCS, DUMP). */
export function bytesOf(value: string): Buffer {
  return toBytes(value);
}

/** The string value of some bytes (see {@link fromBytes}). */
export function stringOf(bytes: Buffer): string {
  return fromBytes(bytes);
}

/**
 * A command argument as the bytes to send: a string holding escaped bytes (not well-formed) becomes those bytes,
 * anything else is sent as it is (ioredis writes strings as UTF-8).
 */
export function wireArg<A>(arg: A): A | Buffer {
  return typeof arg === 'string' && !arg.isWellFormed() ? toBytes(arg) : arg;
}

/** `wireArg` of each argument; the same array when no argument needs it (the common case costs no copy). */
export function wireArgs<A>(args: A[]): (A | Buffer)[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string' && !arg.isWellFormed()) return args.map(wireArg);
  }
  return args;
}

/**
 * The store string of `bytes[start, end)` (see {@link fromBytes}) without a copy when they are UTF-8: decoded as
 * UTF-8, which turns any invalid sequence into U+FFFD, and decoded again losslessly only when U+FFFD shows.
 */
export function stringAt(bytes: Buffer, start: number, end: number): string {
  const text = bytes.toString('utf8', start, end);
  return text.includes('\ufffd') ? fromBytes(bytes.subarray(start, end)) : text;
}

/**
 * Orders two store strings as Redis orders their bytes (`memcmp`, then the shorter first): UTF-8 byte order is
 * code point order, so up to the first differing UTF-16 unit below U+D800 the strings compare as they are; a
 * surrogate (a pair, or an escaped byte) at that point compares the rest as bytes. Sorted-set ties and lex
 * ranges call this on every comparison, hence no allocation unless a surrogate decides it.
 *
 * @example
 * compareBytes('\uffff', '\u{10000}') < 0 // bytes ef bf bf < f0 90 80 80 (UTF-16 units say the opposite)
 */
export function compareBytes(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    // Start at a whole character: the high surrogate of a pair whose low halves differ.
    const from = i > 0 && (a.charCodeAt(i - 1) & 0xfc00) === 0xd800 ? i - 1 : i;
    return Buffer.compare(toBytes(a.slice(from)), toBytes(b.slice(from)));
  }
  // A store string cannot end inside a character the other continues (escapes are single units).
  return a.length - b.length;
}
