/**
 * What the server answers, independent of the wire protocol: plain values for the common cases (string →
 * bulk string, integer → integer, null → null, array → array) and small classes for the rest. `encodeReply`
 * writes a reply as RESP2 or, after `HELLO 3`, RESP3.
 */
import { toBytes } from '../../store/memory/bytes.ts';

export type Reply =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly Reply[]
  | SimpleString
  | ErrorReply
  | MapReply
  | VerbatimString
  | PushReply
  | SetReply
  | DoubleReply
  | NullArrayReply
  | RawReply;

/** A RESP3 push (`>`: pub/sub messages); an ordinary array in RESP2. */
export class PushReply {
  constructor(readonly items: readonly Reply[]) {}
}

/** A RESP3 set (`~`, as SMEMBERS answers); an ordinary array in RESP2. */
export class SetReply {
  constructor(readonly items: readonly Reply[]) {}
}

/** A RESP3 double (`,`, as ZSCORE answers) even when integral; its text as a bulk string in RESP2. */
export class DoubleReply {
  constructor(readonly text: string) {}
}

/** `+OK`: a status reply. */
export class SimpleString {
  constructor(readonly value: string) {}
}

/** `-ERR …`: an error reply; the message starts with its code (`ERR`, `NOAUTH`, `WRONGTYPE`, …). */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/** A RESP3 map (`%`); a flat `[k1, v1, k2, v2]` array in RESP2. */
export class MapReply {
  constructor(readonly entries: readonly (readonly [Reply, Reply])[]) {}
}

/** A RESP3 verbatim string (`=…txt:`), as INFO sends; a bulk string in RESP2. */
export class VerbatimString {
  constructor(
    readonly text: string,
    readonly format = 'txt',
  ) {}
}

/** A null array: `*-1` in RESP2 (LPOP with a count on a missing key, a blocking pop's timeout), `_` in RESP3. */
export class NullArrayReply {}

export const NULL_ARRAY_REPLY = new NullArrayReply();

/**
 * A reply already encoded — Redis' own reply bytes, or one encoded in the protocol it was answered in (the replies
 * inside `EXEC` after a `HELLO` queued in the transaction): written as is, whatever the protocol now.
 */
export class RawReply {
  constructor(readonly bytes: Buffer) {}
}

export const OK = new SimpleString('OK');

export type Protocol = 2 | 3;

/** Error text on one line: CR and LF would end the reply early, so they become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A bulk string of the embedded store's bytes (lone surrogates standing for non-UTF-8 bytes, see bytes.ts). */
function bulkOf(text: string, out: (string | Buffer)[]): void {
  if (text.isWellFormed()) out.push(bulk(text));
  else {
    const bytes = toBytes(text);
    out.push(`$${bytes.length}\r\n`, bytes, '\r\n');
  }
}

function write(reply: Reply, protocol: Protocol, out: (string | Buffer)[]): void {
  if (reply === null) {
    out.push(protocol === 3 ? '_\r\n' : '$-1\r\n');
  } else if (typeof reply === 'string') {
    bulkOf(reply, out);
  } else if (typeof reply === 'number') {
    if (Number.isSafeInteger(reply)) out.push(`:${reply}\r\n`);
    else if (protocol === 3)
      out.push(
        `,${Number.isNaN(reply) ? 'nan' : reply === Infinity ? 'inf' : reply === -Infinity ? '-inf' : String(reply)}\r\n`,
      );
    else out.push(bulk(String(reply)));
  } else if (typeof reply === 'bigint') {
    // An int64 (INCRBY beyond 2^53) is an exact integer reply; beyond int64 a RESP3 big number.
    if (BigInt.asIntN(64, reply) === reply) out.push(`:${reply}\r\n`);
    else out.push(protocol === 3 ? `(${reply}\r\n` : bulk(String(reply)));
  } else if (typeof reply === 'boolean') {
    out.push(protocol === 3 ? `#${reply ? 't' : 'f'}\r\n` : `:${reply ? 1 : 0}\r\n`);
  } else if (Array.isArray(reply)) {
    out.push(`*${reply.length}\r\n`);
    for (const item of reply as readonly Reply[]) write(item, protocol, out);
  } else if (reply instanceof SimpleString) {
    out.push(`+${oneLine(reply.value)}\r\n`);
  } else if (reply instanceof ErrorReply) {
    out.push(`-${oneLine(reply.message)}\r\n`);
  } else if (reply instanceof MapReply) {
    out.push(protocol === 3 ? `%${reply.entries.length}\r\n` : `*${reply.entries.length * 2}\r\n`);
    for (const [key, value] of reply.entries) {
      write(key, protocol, out);
      write(value, protocol, out);
    }
  } else if (reply instanceof SetReply) {
    out.push(`${protocol === 3 ? '~' : '*'}${reply.items.length}\r\n`);
    for (const item of reply.items) write(item, protocol, out);
  } else if (reply instanceof DoubleReply) {
    out.push(protocol === 3 ? `,${reply.text}\r\n` : bulk(reply.text));
  } else if (reply instanceof PushReply) {
    out.push(`${protocol === 3 ? '>' : '*'}${reply.items.length}\r\n`);
    for (const item of reply.items) write(item, protocol, out);
  } else if (reply instanceof RawReply) {
    out.push(reply.bytes);
  } else if (reply instanceof NullArrayReply) {
    out.push(protocol === 3 ? '_\r\n' : '*-1\r\n');
  } else if (reply instanceof VerbatimString) {
    if (protocol === 3) {
      const body = `${reply.format}:${reply.text}`;
      out.push(`=${Buffer.byteLength(body)}\r\n${body}\r\n`);
    } else out.push(bulk(reply.text));
  }
}

/**
 * A reply as RESP text — or bytes, when a bulk string stands for bytes that are not UTF-8 (the embedded store's
 * binary values, see store/memory/bytes.ts). Numbers that are not safe integers go out as doubles (RESP3) or bulk strings (RESP2),
 * never as a malformed `:` line; a `bigint` is an exact integer reply; error and status text is kept on one line.
 *
 * @example
 * encodeReply(['a', 1, null], 2) // '*3\r\n$1\r\na\r\n:1\r\n$-1\r\n'
 */
export function encodeReply(reply: Reply, protocol: Protocol): string | Buffer {
  const out: (string | Buffer)[] = [];
  write(reply, protocol, out);
  if (out.every((part) => typeof part === 'string')) return out.join('');
  return Buffer.concat(out.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
}

/**
 * A request in RESP multibulk form, as a client sends it.
 *
 * @example
 * encodeCommand(['SET', 'k', 'v']) // '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'
 */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const body = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** An object as a map reply: its own enumerable properties in order (RESP2: a flat `[k, v, …]` array). */
export function objectReply(value: Record<string, unknown>, convert: (v: unknown) => Reply): MapReply {
  return new MapReply(Object.entries(value).map(([k, v]) => [k, convert(v)] as const));
}
