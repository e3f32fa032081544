/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: Redis 7.0's longest common subsequence of two strings. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { bytesOf, stringOf } from '../bytes.ts';
import { intArg } from '../numbers.ts';
import { syntaxError } from '../replies.ts';
import type { CommandContext, CommandDef } from '../types.ts';

function stringBytes(ctx: CommandContext, key: string): Buffer {
  const value = ctx.ks.lookup(key);
  if (value !== undefined && typeof value !== 'string') {
    throw new RedisReplyError('ERR The specified keys must contain string values');
  }
  return bytesOf(value ?? '');
}

function lcs(ctx: CommandContext, args: string[]): RedisReply {
  const a = stringBytes(ctx, args[0]!);
  const b = stringBytes(ctx, args[1]!);
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 2; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    if (opt === 'IDX') getIdx = true;
    else if (opt === 'LEN') getLen = true;
    else if (opt === 'WITHMATCHLEN') withMatchLen = true;
    else if (opt === 'MINMATCHLEN' && j + 1 < args.length) minMatchLen = Math.max(0, intArg(args[++j]!));
    else throw syntaxError();
  }
  if (getIdx && getLen) throw new RedisReplyError('ERR If you want both the length and indexes, please just use IDX.');
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > ctx.ks.config.protoMaxBulkLen || cells >= 2 ** 32 / 4) {
    throw new RedisReplyError('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  // table[i][j]: the LCS length of a[0..i) and b[0..j).
  const table = new Uint32Array(cells);
  const at = (i: number, j: number): number => table[i * (blen + 1) + j]!;
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      table[i * (blen + 1) + j] = a[i - 1] === b[j - 1] ? at(i - 1, j - 1) + 1 : Math.max(at(i - 1, j), at(i, j - 1));
    }
  }
  const length = at(alen, blen);
  if (getLen) return length;
  // Walk back from the end, as Redis does, collecting the matched bytes and the ranges of contiguous matches.
  const result = Buffer.alloc(length);
  const matches: RedisReply[] = [];
  let idx = length;
  let i = alen;
  let j = blen;
  let aStart = -1;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[--idx] = a[i - 1]!;
      if (aStart === -1) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) i--;
      else j--;
      if (aStart !== -1) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) {
        const range: RedisReply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ];
        if (withMatchLen) range.push(matchLen);
        matches.push(range);
      }
      aStart = -1;
    }
  }
  if (getIdx) return ['matches', matches, 'len', length];
  return stringOf(result);
}

export const lcsCommands: CommandDef[] = [{ name: 'lcs', arity: -3, handler: lcs }];
