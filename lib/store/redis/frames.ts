/**
 * RESP framing without decoding: where one reply ends in a buffer, so replies can be passed on as the bytes
 * Redis sent (binary values, 64-bit integers and RESP3 types untouched).
 */

const CR = 13;
const LF = 10;

/** The signed integer in `buffer[start, end)` (a RESP length or count); NaN when it is not one. */
function readInteger(buffer: Buffer, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (buffer[i] === 0x2d /* '-' */) {
    negative = true;
    i++;
  }
  if (i >= end) return NaN;
  let value = 0;
  for (; i < end; i++) {
    const digit = buffer[i]! - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Thrown when the bytes are not RESP: the connection they came on cannot be framed any more. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/**
 * The offset just past the one complete RESP2/RESP3 reply that starts at `offset`, or -1 while it is incomplete.
 * Aggregates (`*`, `~`, `>`, `%`, `|` attributes) are walked with a counter, not recursion, so nesting depth
 * costs nothing. Throws `FrameError` on a type byte or length that RESP does not have.
 *
 * @example
 * frameEnd(Buffer.from('*2\r\n$1\r\na\r\n:1\r\n'), 0) // 15
 * frameEnd(Buffer.from('$5\r\nab'), 0)                // -1
 */
export function frameEnd(buffer: Buffer, offset: number): number {
  let position = offset;
  let pending = 1;
  while (pending > 0) {
    if (position >= buffer.length) return -1;
    const type = buffer[position]!;
    const cr = buffer.indexOf(CR, position + 1);
    if (cr === -1 || cr + 1 >= buffer.length) return -1;
    pending--;
    const next = cr + 2;
    switch (type) {
      case 0x24: // '$' bulk string
      case 0x21: // '!' bulk error
      case 0x3d: {
        // '=' verbatim string
        const length = readInteger(buffer, position + 1, cr);
        if (Number.isNaN(length) || length < -1) throw new FrameError(`invalid bulk length in a reply`);
        position = length < 0 ? next : next + length + 2;
        if (position > buffer.length) return -1;
        break;
      }
      case 0x2a: // '*' array
      case 0x7e: // '~' set
      case 0x3e: {
        // '>' push
        const count = readInteger(buffer, position + 1, cr);
        if (Number.isNaN(count) || count < -1) throw new FrameError('invalid aggregate length in a reply');
        if (count > 0) pending += count;
        position = next;
        break;
      }
      case 0x25: // '%' map
      case 0x7c: {
        // '|' attribute: a map, then the reply it describes
        const count = readInteger(buffer, position + 1, cr);
        if (Number.isNaN(count) || count < -1) throw new FrameError('invalid map length in a reply');
        if (count > 0) pending += count * 2;
        if (type === 0x7c) pending++;
        position = next;
        break;
      }
      case 0x2b: // '+' '-' ':' '_' ',' '#' '(' : one line
      case 0x2d:
      case 0x3a:
      case 0x5f:
      case 0x2c:
      case 0x23:
      case 0x28:
        position = next;
        break;
      default:
        throw new FrameError(`unexpected byte ${type} at the start of a reply`);
    }
  }
  return position;
}

/**
 * The element frames of an array or set reply frame (`*N\r\n…`, `~N\r\n…`), each as its own bytes; undefined for
 * anything else (a null array, an error).
 */
export function elementsOf(frame: Buffer): Buffer[] | undefined {
  if ((frame[0] !== 0x2a && frame[0] !== 0x7e) || frame[1] === 0x2d) return undefined;
  const elements: Buffer[] = [];
  let offset = frame.indexOf('\r\n') + 2;
  while (offset < frame.length) {
    const end = frameEnd(frame, offset);
    if (end === -1) break;
    elements.push(frame.subarray(offset, end));
    offset = end;
  }
  return elements;
}

/** Whether a reply frame is an error (`-…` or a RESP3 bulk error `!…`). */
export function isErrorFrame(frame: Buffer): boolean {
  return frame[0] === 0x2d || frame[0] === 0x21;
}

/** Whether an error frame starts with `prefix` (`MOVED `, `ASK `, `EXECABORT`), compared as bytes. */
export function errorStartsWith(frame: Buffer, prefix: string): boolean {
  if (frame[0] !== 0x2d) return false;
  for (let i = 0; i < prefix.length; i++) if (frame[i + 1] !== prefix.charCodeAt(i)) return false;
  return true;
}

/**
 * A request as a RESP multibulk frame, arguments as given (Buffers untouched, strings as UTF-8).
 *
 * @example
 * requestFrame(['GET', Buffer.from([0xff])]) // *2\r\n$3\r\nGET\r\n$1\r\n\xff\r\n
 */
export function requestFrame(args: readonly (string | Buffer)[]): Buffer {
  let size = 0;
  const bodies = args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg));
  const headers = bodies.map((body) => `$${body.length}\r\n`);
  const head = `*${args.length}\r\n`;
  size += head.length;
  for (let i = 0; i < bodies.length; i++) size += headers[i]!.length + bodies[i]!.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'latin1');
  for (let i = 0; i < bodies.length; i++) {
    at += out.write(headers[i]!, at, 'latin1');
    at += bodies[i]!.copy(out, at);
    out[at++] = CR;
    out[at++] = LF;
  }
  return out;
}
