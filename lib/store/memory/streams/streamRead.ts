/**
 * XREAD and XREADGROUP (`xreadCommand`): COUNT, STREAMS, `$`, `>`, history reads of a consumer's pending
 * entries, NOACK, and BLOCK — through `call()` a blocked read parks until an XADD signals one of its keys.
 */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import {
  Consumer,
  estimateEntriesRead,
  INVALID_ENTRIES_READ,
  rangeHasTombstones,
  type ConsumerGroup,
} from './ConsumerGroup.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg, toInt64 } from '../numbers.ts';
import { syntaxError } from '../replies.ts';
import { compareIds, MAX_ID, type Stream, type StreamId } from './Stream.ts';
import { entryReply, incrId, parseId, rangeRecords, U64_MAX } from './streamIds.ts';
import { readStream } from './streams.ts';
import { BlockRequest, type CommandContext, type CommandDef } from '../types.ts';

interface ReadArgs {
  count: number;
  /** Milliseconds, 0 = forever; undefined without BLOCK. */
  block: number | undefined;
  noack: boolean;
  group: string | undefined;
  consumer: string;
  keys: string[];
  ids: string[];
}

function parseReadArgs(args: string[], xreadgroup: boolean, typed: string): ReadArgs {
  const out: ReadArgs = { count: 0, block: undefined, noack: false, group: undefined, consumer: '', keys: [], ids: [] };
  let streamsAt = -1;
  for (let i = 0; i < args.length; i++) {
    const more = args.length - i - 1;
    const opt = args[i]!.toUpperCase();
    if (opt === 'BLOCK' && more > 0) {
      i++;
      const t = toInt64(args[i]!);
      if (t === undefined) throw new RedisReplyError('ERR timeout is not an integer or out of range');
      if (t < 0) throw new RedisReplyError('ERR timeout is negative');
      out.block = t;
    } else if (opt === 'COUNT' && more > 0) {
      i++;
      out.count = Math.max(0, intArg(args[i]!));
    } else if (opt === 'STREAMS' && more > 0) {
      streamsAt = i + 1;
      const n = args.length - streamsAt;
      if (n % 2 !== 0) {
        const symbol = xreadgroup ? '>' : '$';
        throw new RedisReplyError(
          `ERR Unbalanced ${typed} list of streams: for each stream key an ID or '${symbol}' must be specified.`,
        );
      }
      out.keys = args.slice(streamsAt, streamsAt + n / 2);
      out.ids = args.slice(streamsAt + n / 2);
      break;
    } else if (opt === 'GROUP' && more >= 2) {
      if (!xreadgroup)
        throw new RedisReplyError('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      out.group = args[i + 1]!;
      out.consumer = args[i + 2]!;
      i += 2;
    } else if (opt === 'NOACK') {
      if (!xreadgroup)
        throw new RedisReplyError('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      out.noack = true;
    } else throw syntaxError();
  }
  if (streamsAt === -1) throw syntaxError();
  if (xreadgroup && out.group === undefined) throw new RedisReplyError('ERR Missing GROUP option for XREADGROUP');
  return out;
}

function noGroup(key: string, group: string): RedisReplyError {
  return new RedisReplyError(`NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`);
}

/** Delivers new entries (id ≥ start) to a consumer: group last id, entries-read, PEL (`streamReplyWithRange`). */
function deliverNew(
  ks: Keyspace,
  s: Stream,
  group: ConsumerGroup,
  consumer: Consumer,
  start: StreamId,
  count: number,
  noack: boolean,
): RedisReply[] {
  const records = rangeRecords(s, start, MAX_ID, count, false);
  for (const r of records) {
    if (compareIds(r, group.lastId) > 0) {
      if (group.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, r)) group.entriesRead++;
      else if (s.entriesAdded) group.entriesRead = estimateEntriesRead(s, r);
      group.lastId = { ms: r.ms, seq: r.seq };
    }
    if (noack) continue;
    const existing = group.pel.get(r.id);
    if (existing === undefined) {
      const entry = { ms: r.ms, seq: r.seq, id: r.id, consumer, deliveryTime: ks.time, deliveryCount: 1 };
      group.pel.add(entry);
      consumer.pel.add(entry);
    } else {
      existing.consumer.pel.delete(r.id);
      existing.consumer = consumer;
      existing.deliveryTime = ks.time;
      existing.deliveryCount = 1;
      consumer.pel.add(existing);
    }
  }
  return records.map(entryReply);
}

/** A consumer's own pending entries with id ≥ start (`streamReplyWithRangeFromConsumerPEL`). */
function deliverHistory(ks: Keyspace, s: Stream, consumer: Consumer, start: StreamId, count: number): RedisReply[] {
  const out: RedisReply[] = [];
  for (const p of consumer.pel.ordered()) {
    if (count && out.length >= count) break;
    if (compareIds(p, start) < 0) continue;
    const record = s.find(p);
    if (record === undefined) {
      out.push([p.id, null]);
    } else {
      p.deliveryTime = ks.time;
      p.deliveryCount++;
      out.push(entryReply(record));
    }
  }
  return out;
}

export function lookupConsumer(ks: Keyspace, key: string, group: ConsumerGroup, name: string): Consumer {
  let consumer = group.consumers.get(name);
  if (consumer === undefined) {
    consumer = new Consumer(name, ks.time);
    group.consumers.set(name, consumer);
    ks.notify('xgroup-createconsumer', key);
  }
  return consumer;
}

function xread(xreadgroup: boolean) {
  return ({ ks, canBlock, command }: CommandContext, args: string[]): RedisReply | BlockRequest => {
    const a = parseReadArgs(args, xreadgroup, command ?? (xreadgroup ? 'XREADGROUP' : 'XREAD'));
    const ids: (StreamId | '>')[] = [];
    for (let i = 0; i < a.keys.length; i++) {
      const key = a.keys[i]!;
      const s = readStream(ks, key);
      if (a.group !== undefined && (s === undefined || !s.groups.has(a.group))) throw noGroup(key, a.group);
      const text = a.ids[i]!;
      if (text === '$') {
        if (xreadgroup) {
          throw new RedisReplyError(
            'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
          );
        }
        ids.push(s === undefined ? { ms: 0, seq: 0 } : s.lastId);
      } else if (text === '>') {
        if (!xreadgroup) {
          throw new RedisReplyError(
            'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
          );
        }
        ids.push('>');
      } else ids.push(parseId(text, 0, true));
    }
    const serve = (blocked: boolean): RedisReply | undefined => {
      const out: RedisReply[] = [];
      for (let i = 0; i < a.keys.length; i++) {
        const key = a.keys[i]!;
        const s = blocked ? ks.lookup(key) : readStream(ks, key);
        if (s === undefined || typeof s === 'string' || s.type !== 'stream') {
          if (blocked && a.group !== undefined) throw new RedisReplyError('UNBLOCKED the stream key no longer exists');
          continue;
        }
        const id = ids[i]!;
        if (a.group === undefined) {
          const last = s.last();
          if (id === '>' || last === undefined || compareIds(last, id) <= 0) continue;
          const start = incrId(id) ?? { ms: U64_MAX, seq: U64_MAX };
          out.push([key, rangeRecords(s, start, MAX_ID, a.count, false).map(entryReply)]);
          continue;
        }
        const group = s.groups.get(a.group);
        if (group === undefined) {
          throw new RedisReplyError('NOGROUP the consumer group this client was blocked on no longer exists');
        }
        const history = id !== '>';
        const last = s.last();
        const hasNew = !history && last !== undefined && compareIds(last, group.lastId) > 0;
        if (!history && !hasNew) continue;
        // Redis creates the consumer only when it serves it (a read that blocks creates nobody yet).
        const consumer = lookupConsumer(ks, key, group, a.consumer);
        consumer.seenTime = ks.time;
        if (history) {
          out.push([key, deliverHistory(ks, s, consumer, incrId(id) ?? MAX_ID, a.count)]);
        } else {
          const start = incrId(group.lastId) ?? MAX_ID;
          out.push([key, deliverNew(ks, s, group, consumer, start, a.count, a.noack)]);
        }
      }
      return out.length > 0 ? out : undefined;
    };
    const reply = serve(false);
    if (reply !== undefined) return reply;
    if (a.block === undefined || !canBlock) return null;
    return new BlockRequest(a.keys, a.block, () => serve(true), null);
  };
}

export const streamReadCommands: CommandDef[] = [
  { name: 'xread', arity: -4, handler: xread(false) },
  { name: 'xreadgroup', arity: -7, handler: xread(true) },
];
