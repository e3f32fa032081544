/** Stream commands without consumer groups: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg } from '../numbers.ts';
import { arityError, syntaxError } from '../replies.ts';
import { compareIds, Stream, U64_MAX, ZERO_ID, type StreamId, type TrimSpec } from './Stream.ts';
import {
  entryReply,
  incrId,
  parseId,
  parseRangeEnd,
  parseRangeStart,
  rangeRecords,
  type ParsedId,
} from './streamIds.ts';
import type { CommandContext, CommandDef } from '../types.ts';

export function readStream(ks: Keyspace, key: string): Stream | undefined {
  return ks.get<Stream>(key, 'stream');
}

interface AddTrimArgs {
  trim: TrimSpec | undefined;
  id: ParsedId | undefined;
  noMkStream: boolean;
  /** Index of the first argument not consumed (the id for XADD). */
  next: number;
}

/** `streamParseAddOrTrimArgsOrReply` for XADD (`xadd`) and XTRIM. */
function parseAddOrTrim(args: string[], xadd: boolean, nodeMaxEntries: number): AddTrimArgs {
  let trim: TrimSpec | undefined;
  let id: ParsedId | undefined;
  let noMkStream = false;
  let limit = -1;
  let limitGiven = false;
  let i = 1;
  for (; i < args.length; i++) {
    const more = args.length - 1 - i;
    const opt = args[i]!;
    const upper = opt.toUpperCase();
    if (xadd && opt === '*') break;
    if ((upper === 'MAXLEN' || upper === 'MINID') && more > 0) {
      if (trim !== undefined) {
        throw new RedisReplyError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      }
      let approx = false;
      const next = args[i + 1]!;
      if (more >= 2 && next === '~') {
        approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      if (upper === 'MAXLEN') {
        const maxlen = intArg(args[i + 1]!);
        if (maxlen < 0) throw new RedisReplyError('ERR The MAXLEN argument must be >= 0.');
        trim = { strategy: 'maxlen', maxlen, minid: ZERO_ID, approx, limit: 0 };
      } else {
        trim = { strategy: 'minid', maxlen: 0, minid: parseId(args[i + 1]!, 0, true), approx, limit: 0 };
      }
      i++;
    } else if (upper === 'LIMIT' && more > 0) {
      limit = intArg(args[i + 1]!);
      if (limit < 0) throw new RedisReplyError('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && upper === 'NOMKSTREAM') {
      noMkStream = true;
    } else if (xadd) {
      id = parseId(opt, 0, true, true);
      break;
    } else throw syntaxError();
  }
  if (limitGiven && trim === undefined) {
    throw new RedisReplyError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  }
  if (!xadd && trim === undefined)
    throw new RedisReplyError('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (trim !== undefined) {
    if (limitGiven && !trim.approx)
      throw new RedisReplyError('ERR syntax error, LIMIT cannot be used without the special ~ option');
    // Redis' default effort for `~`: 100 nodes' worth (10000 when nodes are unbounded).
    trim.limit = limitGiven ? limit : trim.approx ? 100 * nodeMaxEntries || 10000 : 0;
  }
  return { trim, id, noMkStream, next: i };
}

/** The id XADD gives the new entry (`streamAppendItem`), or undefined when it is not above the top item. */
function nextId(s: Stream, now: number, given: ParsedId | undefined): StreamId | undefined {
  const last = s.lastId;
  let id: StreamId;
  if (given === undefined) {
    if (now > last.ms) id = { ms: now, seq: 0 };
    else id = incrId(last) ?? last;
  } else if (!given.seqGiven && given.ms === last.ms) {
    if (last.seq === U64_MAX) return undefined;
    id = { ms: last.ms, seq: last.seq + 1 };
  } else id = { ms: given.ms, seq: given.seq };
  return compareIds(id, last) > 0 ? id : undefined;
}

function xadd({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const parsed = parseAddOrTrim(args, true, ks.config.streamNodeMaxEntries);
  const fieldPos = parsed.next + 1;
  const fieldCount = args.length - fieldPos;
  if (fieldCount < 2 || fieldCount % 2 === 1) throw arityError('xadd');
  const given = parsed.id;
  if (given !== undefined && given.seqGiven && given.ms === 0 && given.seq === 0) {
    throw new RedisReplyError('ERR The ID specified in XADD must be greater than 0-0');
  }
  let s = readStream(ks, key);
  if (s === undefined) {
    if (parsed.noMkStream) return null;
    s = new Stream();
    ks.add(key, s);
  }
  if (s.lastId.ms === U64_MAX && s.lastId.seq === U64_MAX) {
    throw new RedisReplyError('ERR The stream has exhausted the last possible ID, unable to add more items');
  }
  const id = nextId(s, ks.time, given);
  if (id === undefined) {
    throw new RedisReplyError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  }
  const record = s.append(id, args.slice(fieldPos), ks.config.streamNodeMaxEntries, ks.config.streamNodeMaxBytes);
  ks.notify('xadd', key);
  if (parsed.trim !== undefined && s.trim(parsed.trim) > 0) ks.notify('xtrim', key);
  ks.signal(key);
  return record.id;
}

function xrange(rev: boolean) {
  return ({ ks }: CommandContext, args: string[]): RedisReply => {
    const start = parseRangeStart(rev ? args[2]! : args[1]!);
    const end = parseRangeEnd(rev ? args[1]! : args[2]!);
    let count = -1;
    for (let j = 3; j < args.length; j++) {
      if (args[j]!.toUpperCase() === 'COUNT' && j + 1 < args.length) {
        count = Math.max(0, intArg(args[j + 1]!));
        j++;
      } else throw syntaxError();
    }
    const s = readStream(ks, args[0]!);
    if (s === undefined) return [];
    if (count === 0) return null;
    return rangeRecords(s, start, end, count === -1 ? 0 : count, rev).map(entryReply);
  };
}

function xdel({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const s = readStream(ks, key);
  if (s === undefined) return 0;
  const ids = args.slice(1).map((text) => parseId(text, 0, true));
  let deleted = 0;
  for (const id of ids) if (s.delete(id)) deleted++;
  if (deleted > 0) ks.notify('xdel', key);
  return deleted;
}

function xtrim({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const parsed = parseAddOrTrim(args, false, ks.config.streamNodeMaxEntries);
  if (parsed.next < args.length) throw syntaxError();
  const s = readStream(ks, key);
  if (s === undefined || parsed.trim === undefined) return 0;
  const deleted = s.trim(parsed.trim);
  if (deleted > 0) ks.notify('xtrim', key);
  return deleted;
}

export const streamCommands: CommandDef[] = [
  { name: 'xadd', arity: -5, handler: xadd },
  { name: 'xrange', arity: -4, handler: xrange(false) },
  { name: 'xrevrange', arity: -4, handler: xrange(true) },
  { name: 'xlen', arity: 2, handler: ({ ks }, args) => readStream(ks, args[0]!)?.length ?? 0 },
  { name: 'xdel', arity: -3, handler: xdel },
  { name: 'xtrim', arity: -4, handler: xtrim },
];
