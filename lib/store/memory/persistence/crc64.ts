/**
 * CRC-64 "Jones" as Redis computes it over DUMP payloads and RDB files (`crc64.c`: reflected polynomial
 * 0xad93d23594c935a9, initial value 0, no final xor). The 64-bit register is kept as two 32-bit halves so a
 * payload costs no BigInt arithmetic per byte.
 */

const POLY_HI = 0x95ac9329; // the polynomial reflected: 0x95ac9329ac4bc9b5
const POLY_LO = 0xac4bc9b5;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi >>>= 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[n] = hi;
  TABLE_LO[n] = lo;
}

/**
 * The CRC-64 of `bytes[0, end)`, little-endian as Redis appends it to a DUMP payload.
 *
 * @example
 * crc64(Buffer.from('123456789')).readBigUInt64LE() // 0xe9c6d914c4b8d9can
 */
export function crc64(bytes: Uint8Array, end = bytes.length): Buffer {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < end; i++) {
    const t = (lo ^ bytes[i]!) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[t]!;
    hi = (hi >>> 8) ^ TABLE_HI[t]!;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32LE(lo >>> 0, 0);
  out.writeUInt32LE(hi >>> 0, 4);
  return out;
}
