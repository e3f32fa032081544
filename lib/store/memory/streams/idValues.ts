/** Stream entry ids: `<ms>-<seq>`, both parts unsigned 64-bit, compared and printed as Redis does. */

export interface StreamId {
  ms: number;
  seq: number;
}

export function compareIds(a: StreamId, b: StreamId): number {
  return a.ms !== b.ms ? (a.ms < b.ms ? -1 : 1) : a.seq !== b.seq ? (a.seq < b.seq ? -1 : 1) : 0;
}

/**
 * 2^64-1, the largest id part (the `+` id), and 2^64-2 (what an exclusive `(+` range end becomes), kept as
 * sentinels since numbers are exact only up to 2^53.
 */
export const U64_MAX = Infinity;
export const U64_MAX_MINUS_1 = Number.MAX_VALUE;

export function formatU64(n: number): string {
  return n === U64_MAX ? '18446744073709551615' : n === U64_MAX_MINUS_1 ? '18446744073709551614' : String(n);
}

export function formatId(id: StreamId): string {
  return `${formatU64(id.ms)}-${formatU64(id.seq)}`;
}

export const ZERO_ID: StreamId = { ms: 0, seq: 0 };
export const MAX_ID: StreamId = { ms: U64_MAX, seq: U64_MAX };
