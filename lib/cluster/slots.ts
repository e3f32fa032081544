import { toBytes } from '../store/bytes.ts';

/** Number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

/** A contiguous range of hash slots, both ends included, as `CLUSTER SLOTS` reports them. */
export type SlotRange = readonly [start: number, end: number];

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys with. */
const CRC16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  CRC16[i] = crc & 0xffff;
}

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/**
 * Redis' `keyHashSlot` over a key's bytes: the bytes between the first `{` and the first `}` after it when there
 * are any, else the whole key (an empty `{}` hashes the whole key, whatever follows it — the `cluster-key-slot`
 * package looked on for another `}` and gave slot 0 to keys like `a{}}b`).
 */
export function slotOfBytes(key: Uint8Array): number {
  const open = key.indexOf(0x7b);
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & 0x3fff;
  }
  return crc16(key, 0, key.length) & 0x3fff;
}

/**
 * The hash slot of a key, by Redis' rules (CRC16 mod 16384, `{hashtag}` honoured), over the key's bytes: a store
 * string with escaped bytes (lib/store/bytes.ts) hashes as the bytes it stands for, as Redis hashes them.
 */
export function hashSlot(key: string): number {
  // ASCII keys (the usual ones) are their own bytes: no Buffer per key.
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return slotOfBytes(toBytes(key));
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16Ascii(key, open + 1, close) & 0x3fff;
  }
  return crc16Ascii(key, 0, key.length) & 0x3fff;
}

function crc16Ascii(key: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >> 8) ^ key.charCodeAt(i)) & 0xff]!;
  return crc;
}

/**
 * Splits the 16384 slots into `n` ranges the way `redis-cli --cluster create` does
 * (3 shards: 0-5460, 5461-10922, 10923-16383).
 */
export function splitSlots(n: number): SlotRange[] {
  const ranges: SlotRange[] = [];
  const perShard = SLOT_COUNT / n;
  let first = 0;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1 ? SLOT_COUNT - 1 : Math.round((i + 1) * perShard) - 1;
    ranges.push([first, last]);
    first = last + 1;
  }
  return ranges;
}
