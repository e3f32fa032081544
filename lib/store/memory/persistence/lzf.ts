/**
 * LZF, the compression of Redis' RDB strings and DUMP payloads (`lzf_c.c`, `lzf_d.c` as Redis builds them:
 * a 2^16-slot hash table, the `VERY_FAST` re-hashing after a match). The compressor takes the same decisions as
 * Redis' so a DUMP here is byte for byte the DUMP of redis-server (which starts each call from a table of stack
 * garbage rather than zeros: the two can only differ where that garbage happens to point at equal bytes).
 */

const HSIZE = 1 << 16;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/** Positions of the last 3-byte sequences seen, by hash (0 = none: position 0 can never be a reference). */
const table = new Int32Array(HSIZE);

function slot(hval: number): number {
  return ((hval >>> 8) - hval * 5) & (HSIZE - 1);
}

/**
 * `lzf_compress`: `input` compressed into at most `outLen` bytes, or `undefined` when it does not fit (Redis then
 * stores the bytes as they are).
 *
 * @example
 * lzfCompress(Buffer.from('a'.repeat(40)), 36) // <Buffer 00 61 e0 1a 00 61>
 */
export function lzfCompress(input: Uint8Array, outLen: number): Buffer | undefined {
  const inEnd = input.length;
  if (inEnd === 0 || outLen === 0) return undefined;
  table.fill(0);
  const out = Buffer.alloc(outLen + 2);
  let ip = 0;
  let op = 1; // a literal run's length byte goes before it
  let lit = 0;
  let hval = (input[0]! << 8) | input[1]!;
  while (ip < inEnd - 2) {
    hval = (hval << 8) | input[ip + 2]!;
    const h = slot(hval);
    const ref = table[h]!;
    table[h] = ip;
    const off = ip - ref - 1;
    if (
      ref > 0 &&
      off < MAX_OFF &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      const maxlen = Math.min(inEnd - ip - len, MAX_REF);
      if (op + 4 >= outLen && op - (lit === 0 ? 1 : 0) + 4 >= outLen) return undefined;
      out[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // (an empty one is dropped)
      // Redis first compares 16 bytes without looking at maxlen, then byte by byte up to it: a match near the
      // end of the input may run to its last byte, as Redis' does.
      let stopped = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            stopped = true;
            break;
          }
        }
      }
      if (!stopped) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // now the match length - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hval = (input[ip]! << 8) | input[ip + 1]!;
      hval = (hval << 8) | input[ip + 2]!;
      table[slot(hval)] = ip++;
      hval = (hval << 8) | input[ip + 2]!;
      table[slot(hval)] = ip++;
    } else {
      if (op >= outLen) return undefined;
      lit++;
      out[op++] = input[ip++]!;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLen) return undefined;
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/**
 * `lzf_decompress` of data that must expand to exactly `outLen` bytes; `undefined` for anything malformed (a
 * reference before the start, a run past either end, a different length).
 *
 * @example
 * lzfDecompress(Buffer.of(0x00, 0x61, 0xe0, 0x1a, 0x00, 0x61), 40)?.toString() // 'a' × 40
 */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer | undefined {
  const out = Buffer.alloc(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLen || ip + n > input.length) return undefined;
      out.set(input.subarray(ip, ip + n), op);
      ip += n;
      op += n;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= input.length) return undefined;
      len += input[ip++]!;
    }
    if (ip >= input.length) return undefined;
    let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
    len += 2;
    if (ref < 0 || op + len > outLen) return undefined;
    // Byte by byte: a reference may overlap what it is writing (a run of one repeated byte).
    while (len-- > 0) out[op++] = out[ref++]!;
  }
  return op === outLen ? out : undefined;
}
