/**
 * The bit commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, on a string's bytes (bit 0 is the
 * most significant bit of byte 0), with Redis 7.0's ranges (negative indexes, BYTE/BIT units), its bitfield
 * overflow modes (WRAP, SAT, FAIL) in exact 64-bit arithmetic, and its error texts.
 */
import { constants } from 'node:buffer';
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { bytesOf, stringOf } from '../bytes.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg, integerReply, toBigInt64 } from '../numbers.ts';
import { ERR_NOT_INTEGER, syntaxError } from '../replies.ts';
import type { CommandContext, CommandDef } from '../types.ts';

/** The string value of `key` as bytes (undefined when missing); WRONGTYPE for another type. */
function readBytes(ks: Keyspace, key: string): Buffer | undefined {
  const value = ks.get<string>(key, 'string');
  return value === undefined ? undefined : bytesOf(value);
}

/** A JS string holds at most this many characters (V8: 2^29 - 24), so a value cannot grow beyond it. */
const MAX_STRING_BYTES = constants.MAX_STRING_LENGTH;
const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
const STRICT_INT = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * `getBitOffsetFromArgument`: a bit offset below `proto-max-bulk-len` bytes; with `bits`, the `#n` form (n
 * fields of `bits` bits) is allowed too.
 */
function bitOffset(ks: Keyspace, text: string, bits = 0): number {
  const hash = bits > 0 && text[0] === '#';
  const digits = hash ? text.slice(1) : text;
  const n = STRICT_INT.test(digits) && digits.length <= 20 ? BigInt(digits) : undefined;
  if (n === undefined || n < -(2n ** 63n) || n >= 2n ** 63n) throw new RedisReplyError(ERR_BIT_OFFSET);
  const offset = hash ? n * BigInt(bits) : n;
  if (offset < 0n || offset >> 3n >= BigInt(ks.config.protoMaxBulkLen)) throw new RedisReplyError(ERR_BIT_OFFSET);
  return Number(offset);
}

/**
 * `lookupStringForBitCommand`: the string of `key` as bytes, created empty when missing and grown with zero
 * bytes so bit `maxBit` exists (`grown`: Redis' "dirty", which alone makes the write an event). The caller
 * stores it back.
 */
function bytesForWrite(ks: Keyspace, key: string, maxBit: number): { bytes: Buffer; grown: boolean } {
  const existing = readBytes(ks, key);
  const current = existing ?? Buffer.alloc(0);
  const need = byteOf(maxBit) + 1;
  if (current.length >= need) return { bytes: current, grown: existing === undefined };
  if (need > MAX_STRING_BYTES) {
    throw new RedisReplyError('ERR string exceeds the maximum size of a string in the rxgears memory store');
  }
  const bytes = Buffer.alloc(need);
  current.copy(bytes);
  return { bytes, grown: true };
}

/** The byte holding bit `offset` (offsets go beyond 2^31, so no `>> 3`). */
function byteOf(offset: number): number {
  return Math.floor(offset / 8);
}

/** The mask of bit `offset` within its byte. */
function maskOf(offset: number): number {
  return 0x80 >> (offset % 8);
}

function getBit(bytes: Buffer, offset: number): number {
  const byte = byteOf(offset);
  return byte < bytes.length && (bytes[byte]! & maskOf(offset)) !== 0 ? 1 : 0;
}

function putBit(bytes: Buffer, offset: number, on: boolean): void {
  const byte = byteOf(offset);
  bytes[byte] = on ? bytes[byte]! | maskOf(offset) : bytes[byte]! & ~maskOf(offset);
}

function setbit({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const offset = bitOffset(ks, args[1]!);
  const on = args[2]!;
  if (on !== '0' && on !== '1') throw new RedisReplyError('ERR bit is not an integer or out of range');
  const { bytes, grown } = bytesForWrite(ks, key, offset);
  const old = getBit(bytes, offset);
  // Redis 7.0 raises `setbit` only when the string was created, grew or the bit changed.
  if (!grown && old === Number(on)) return old;
  putBit(bytes, offset, on === '1');
  ks.set(key, stringOf(bytes), true);
  ks.notify('setbit', key);
  return old;
}

function getbit({ ks }: CommandContext, args: string[]): RedisReply {
  const offset = bitOffset(ks, args[1]!);
  const bytes = readBytes(ks, args[0]!);
  return bytes === undefined ? 0 : getBit(bytes, offset);
}

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v !== 0; v >>= 1) c += v & 1;
  return c;
});

/** Counts the bits equal to 1 in bit positions `[from, to]` (inclusive, both within `bytes`). */
function countBits(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  let bit = from;
  for (; bit <= to && bit % 8 !== 0; bit++) count += getBit(bytes, bit);
  for (; bit + 7 <= to; bit += 8) count += POPCOUNT[bytes[byteOf(bit)]!]!;
  for (; bit <= to; bit++) count += getBit(bytes, bit);
  return count;
}

/** A range unit argument: BYTE (the default) or BIT, case-insensitive. */
function isBitUnit(text: string | undefined): boolean {
  if (text === undefined) return false;
  const unit = text.toUpperCase();
  if (unit === 'BIT') return true;
  if (unit === 'BYTE') return false;
  throw syntaxError();
}

/**
 * Redis' range normalisation (negative from the end, clamped) of `[start, end]` in the unit's positions over a
 * string of `length` bytes, as a bit range; undefined when empty.
 */
function bitRange(start: number, end: number, length: number, bit: boolean): [number, number] | undefined {
  const total = bit ? length * 8 : length;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return undefined;
  return bit ? [start, end] : [start * 8, end * 8 + 7];
}

function bitcount({ ks }: CommandContext, args: string[]): RedisReply {
  const bytes = readBytes(ks, args[0]!);
  if (bytes === undefined) return 0;
  if (args.length === 1) return countBits(bytes, 0, bytes.length * 8 - 1);
  if (args.length !== 3 && args.length !== 4) throw syntaxError();
  const start = intArg(args[1]!);
  const end = intArg(args[2]!);
  if (start < 0 && end < 0 && start > end) return 0;
  const range = bitRange(start, end, bytes.length, isBitUnit(args[3]));
  return range === undefined ? 0 : countBits(bytes, range[0], range[1]);
}

function bitpos({ ks }: CommandContext, args: string[]): RedisReply {
  const bitText = args[1]!;
  const bit = intArg(bitText);
  if (bit !== 0 && bit !== 1) throw new RedisReplyError('ERR The bit argument must be 1 or 0.');
  const bytes = readBytes(ks, args[0]!);
  if (bytes === undefined) return bit === 1 ? -1 : 0;
  if (args.length > 5) throw syntaxError();
  let range: [number, number] | undefined;
  const endGiven = args.length >= 4;
  if (args.length === 2) {
    range = bytes.length === 0 ? undefined : [0, bytes.length * 8 - 1];
  } else {
    const start = intArg(args[2]!);
    const isBit = isBitUnit(args[4]);
    const end = endGiven ? intArg(args[3]!) : isBit ? bytes.length * 8 + 7 : bytes.length - 1;
    range = bitRange(start, end, bytes.length, isBit);
  }
  if (range === undefined) return -1;
  for (let i = range[0]; i <= range[1]; i++) if (getBit(bytes, i) === bit) return i;
  // Looking for a 0 past the end of the string with no explicit end: the string is zero-padded to the right.
  if (bit === 0 && !endGiven) return byteOf(range[1]) * 8 + 8;
  return -1;
}

function bitop({ ks }: CommandContext, args: string[]): RedisReply {
  const op = args[0]!.toUpperCase();
  if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') throw syntaxError();
  const dest = args[1]!;
  const keys = args.slice(2);
  if (op === 'NOT' && keys.length !== 1) {
    throw new RedisReplyError('ERR BITOP NOT must be called with a single source key.');
  }
  const sources = keys.map((key) => readBytes(ks, key) ?? Buffer.alloc(0));
  const length = Math.max(0, ...sources.map((s) => s.length));
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    let v = sources[0]![i] ?? 0;
    if (op === 'NOT') v = ~v & 0xff;
    for (let j = 1; j < sources.length; j++) {
      const b = sources[j]![i] ?? 0;
      v = op === 'AND' ? v & b : op === 'OR' ? v | b : v ^ b;
    }
    out[i] = v;
  }
  if (length === 0) {
    if (ks.remove(dest)) ks.notify('del', dest);
    return 0;
  }
  ks.set(dest, stringOf(out));
  ks.notify('set', dest);
  return length;
}

interface FieldOp {
  op: 'get' | 'set' | 'incrby';
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: 'wrap' | 'sat' | 'fail';
}

function fieldType(text: string): { signed: boolean; bits: number } {
  const sign = text[0];
  const digits = text.slice(1);
  const bits = STRICT_INT.test(digits) ? Number(digits) : NaN;
  const signed = sign === 'i';
  if ((!signed && sign !== 'u') || !(bits >= 1) || bits > (signed ? 64 : 63)) {
    throw new RedisReplyError(
      'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
    );
  }
  return { signed, bits };
}

function parseFieldOps(ks: Keyspace, args: string[]): FieldOp[] {
  const ops: FieldOp[] = [];
  let overflow: FieldOp['overflow'] = 'wrap';
  for (let j = 1; j < args.length; j++) {
    const remaining = args.length - j - 1;
    const word = args[j]!.toLowerCase();
    if (word === 'overflow' && remaining >= 1) {
      const mode = args[++j]!.toLowerCase();
      if (mode !== 'wrap' && mode !== 'sat' && mode !== 'fail') {
        throw new RedisReplyError('ERR Invalid OVERFLOW type specified');
      }
      overflow = mode;
      continue;
    }
    if (!((word === 'get' && remaining >= 2) || ((word === 'set' || word === 'incrby') && remaining >= 3))) {
      throw syntaxError();
    }
    const { signed, bits } = fieldType(args[j + 1]!);
    const offset = bitOffset(ks, args[j + 2]!, bits);
    let value = 0n;
    if (word !== 'get') {
      const v = toBigInt64(args[j + 3]!);
      if (v === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
      value = v;
    }
    ops.push({ op: word as FieldOp['op'], signed, bits, offset, value, overflow });
    j += word === 'get' ? 2 : 3;
  }
  return ops;
}

function readField(bytes: Buffer, offset: number, bits: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) v = (v << 1n) | BigInt(getBit(bytes, offset + i));
  return signed && bits > 0 && v >> BigInt(bits - 1) === 1n ? v - (1n << BigInt(bits)) : v;
}

function writeField(bytes: Buffer, offset: number, bits: number, value: bigint): void {
  const unsigned = BigInt.asUintN(bits, value);
  for (let i = 0; i < bits; i++) putBit(bytes, offset + i, ((unsigned >> BigInt(bits - 1 - i)) & 1n) === 1n);
}

/** The value to store for `wanted` in a field, or undefined when it overflows under FAIL. */
function fitField(wanted: bigint, op: FieldOp): bigint | undefined {
  const b = BigInt(op.bits);
  const min = op.signed ? -(1n << (b - 1n)) : 0n;
  const max = op.signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  if (wanted >= min && wanted <= max) return wanted;
  if (op.overflow === 'fail') return undefined;
  if (op.overflow === 'sat') return wanted > max ? max : min;
  return op.signed ? BigInt.asIntN(op.bits, wanted) : BigInt.asUintN(op.bits, wanted);
}

function fieldReply(v: bigint): RedisReply {
  return integerReply(v);
}

function bitfieldGeneric({ ks }: CommandContext, args: string[], readOnly: boolean): RedisReply {
  const key = args[0]!;
  const ops = parseFieldOps(ks, args);
  const writes = ops.filter((o) => o.op !== 'get');
  if (writes.length === 0) {
    const bytes = readBytes(ks, key) ?? Buffer.alloc(0);
    return ops.map((o) => fieldReply(readField(bytes, o.offset, o.bits, o.signed)));
  }
  if (readOnly) throw new RedisReplyError('ERR BITFIELD_RO only supports the GET subcommand');
  const maxBit = Math.max(...writes.map((o) => o.offset + o.bits - 1));
  const { bytes, grown } = bytesForWrite(ks, key, maxBit);
  let changes = 0;
  const replies: RedisReply[] = ops.map((o) => {
    const old = readField(bytes, o.offset, o.bits, o.signed);
    if (o.op === 'get') return fieldReply(old);
    // SET of an unsigned field takes the argument as Redis' uint64 cast of it: a negative value overflows.
    const wanted = o.op === 'incrby' ? old + o.value : o.signed ? o.value : BigInt.asUintN(64, o.value);
    const stored = fitField(wanted, o);
    if (stored === undefined) return null;
    writeField(bytes, o.offset, o.bits, stored);
    if (grown || stored !== old) changes++; // as SETBIT: an event only when something changed
    return fieldReply(o.op === 'incrby' ? stored : old);
  });
  // The key exists after a write subcommand even when every one failed (Redis creates it first), silently.
  ks.set(key, stringOf(bytes), true);
  if (changes > 0) ks.notify('setbit', key);
  return replies;
}

export const bitCommands: CommandDef[] = [
  { name: 'setbit', arity: 4, handler: setbit },
  { name: 'getbit', arity: 3, handler: getbit },
  { name: 'bitcount', arity: -2, handler: bitcount },
  { name: 'bitpos', arity: -3, handler: bitpos },
  { name: 'bitop', arity: -4, handler: bitop },
  { name: 'bitfield', arity: -2, handler: (ctx, args) => bitfieldGeneric(ctx, args, false) },
  { name: 'bitfield_ro', arity: -2, handler: (ctx, args) => bitfieldGeneric(ctx, args, true) },
];
