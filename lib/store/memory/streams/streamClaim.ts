/** Moving pending entries between consumers: XCLAIM and XAUTOCLAIM. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import type { Consumer, PendingEntry } from './ConsumerGroup.ts';
import { toInt64 } from '../numbers.ts';
import { syntaxError } from '../replies.ts';
import { compareIds, ZERO_ID, type StreamId } from './Stream.ts';
import { needGroup } from './streamGroups.ts';
import { entryReply, idString, parseId, parseRangeStart } from './streamIds.ts';
import { lookupConsumer } from './streamRead.ts';
import type { CommandContext, CommandDef } from '../types.ts';

/** Moves a pending entry to `consumer` (`xclaimCommand`/`xautoclaimCommand`'s common part). */
function claim(p: PendingEntry, consumer: Consumer, deliveryTime: number, countDelivery: boolean): void {
  if (p.consumer !== consumer) {
    p.consumer.pel.delete(p.id);
    p.consumer = consumer;
    consumer.pel.add(p);
  }
  p.deliveryTime = deliveryTime;
  if (countDelivery) p.deliveryCount++;
}

function xclaim({ ks }: CommandContext, args: string[]): RedisReply {
  const [s, group] = needGroup(ks, args[0]!, args[1]!);
  const minIdle = Math.max(0, optInt(args[3]!, 'Invalid min-idle-time argument for XCLAIM'));
  let j = 4;
  const ids: StreamId[] = [];
  for (; j < args.length; j++) {
    try {
      ids.push(parseId(args[j]!, 0, true));
    } catch {
      break;
    }
  }
  const now = ks.time;
  let force = false;
  let justId = false;
  let deliveryTime = -1;
  let retryCount = -1;
  let lastId: StreamId = ZERO_ID;
  for (; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j]!.toUpperCase();
    if (opt === 'FORCE') force = true;
    else if (opt === 'JUSTID') justId = true;
    else if (opt === 'IDLE' && more) deliveryTime = now - optInt(args[++j]!, 'Invalid IDLE option argument for XCLAIM');
    else if (opt === 'TIME' && more) deliveryTime = optInt(args[++j]!, 'Invalid TIME option argument for XCLAIM');
    else if (opt === 'RETRYCOUNT' && more)
      retryCount = optInt(args[++j]!, 'Invalid RETRYCOUNT option argument for XCLAIM');
    else if (opt === 'LASTID' && more) lastId = parseId(args[++j]!, 0, true);
    else throw new RedisReplyError(`ERR Unrecognized XCLAIM option '${args[j]!}'`);
  }
  if (compareIds(lastId, group.lastId) > 0) group.lastId = lastId;
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  let consumer: Consumer | undefined;
  const out: RedisReply[] = [];
  for (const id of ids) {
    const key = idString(id);
    let p = group.pel.get(key);
    const record = s.find(id);
    if (record === undefined) {
      if (p !== undefined) group.ack(key);
      continue;
    }
    let fresh = false;
    if (force && p === undefined) {
      fresh = true;
      p = {
        ms: id.ms,
        seq: id.seq,
        id: key,
        consumer: undefined as unknown as Consumer,
        deliveryTime: now,
        deliveryCount: 1,
      };
    }
    if (p === undefined) continue;
    if (!fresh && minIdle && now - p.deliveryTime < minIdle) continue;
    consumer ??= lookupConsumer(ks, args[0]!, group, args[2]!);
    if (fresh) {
      p.consumer = consumer;
      group.pel.add(p);
      consumer.pel.add(p);
    }
    claim(p, consumer, deliveryTime, retryCount < 0 && !justId);
    if (retryCount >= 0) p.deliveryCount = retryCount;
    out.push(justId ? key : entryReply(record));
  }
  return out;
}

function optInt(text: string, message: string): number {
  const n = toInt64(text);
  if (n === undefined) throw new RedisReplyError(`ERR ${message}`);
  return n;
}

function xautoclaim({ ks }: CommandContext, args: string[]): RedisReply {
  const minIdle = Math.max(0, optInt(args[3]!, 'Invalid min-idle-time argument for XAUTOCLAIM'));
  const start = parseRangeStart(args[4]!);
  let count = 100;
  let justId = false;
  for (let j = 5; j < args.length; j++) {
    const opt = args[j]!.toUpperCase();
    if (opt === 'COUNT' && j + 1 < args.length) {
      const n = toInt64(args[++j]!);
      if (n === undefined || n < 1 || n > Math.floor(Number.MAX_SAFE_INTEGER / 16)) {
        throw new RedisReplyError('ERR COUNT must be > 0');
      }
      count = n;
    } else if (opt === 'JUSTID') justId = true;
    else throw syntaxError();
  }
  const [s, group] = needGroup(ks, args[0]!, args[1]!);
  const now = ks.time;
  let attempts = count * 10;
  const candidates: PendingEntry[] = [];
  for (const p of group.pel.ordered()) {
    if (compareIds(p, start) < 0) continue;
    candidates.push(p);
    if (candidates.length > attempts) break;
  }
  let consumer: Consumer | undefined;
  const claimed: RedisReply[] = [];
  const deleted: string[] = [];
  let i = 0;
  while (attempts-- > 0 && count > 0 && i < candidates.length) {
    const p = candidates[i++]!;
    const record = s.find(p);
    if (record === undefined) {
      group.ack(p.id);
      deleted.push(p.id);
      count--;
      continue;
    }
    if (minIdle && now - p.deliveryTime < minIdle) continue;
    consumer ??= lookupConsumer(ks, args[0]!, group, args[2]!);
    claim(p, consumer, now, !justId);
    claimed.push(justId ? p.id : entryReply(record));
    count--;
  }
  const next = candidates[i];
  return [next === undefined ? '0-0' : next.id, claimed, deleted];
}

export const claimCommands: CommandDef[] = [
  { name: 'xclaim', arity: -6, handler: xclaim },
  { name: 'xautoclaim', arity: -6, handler: xautoclaim },
];
