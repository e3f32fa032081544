/** Consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS/CONSUMERS. */
import { ReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import type { Consumer } from './ConsumerGroup.ts';
import { ConsumerGroup, groupLag, INVALID_ENTRIES_READ, type PendingEntry } from './ConsumerGroup.ts';
import type { Keyspace } from './Keyspace.ts';
import { intArg, toInt64 } from './numbers.ts';
import { ERR_NO_SUCH_KEY, syntaxError } from './replies.ts';
import { compareIds, Stream, ZERO_ID, type StreamId } from './Stream.ts';
import { entryReply, idString, parseId, parseRangeEnd, parseRangeStart } from './streamIds.ts';
import { lookupConsumer } from './streamRead.ts';
import { readStream } from './streams.ts';
import type { CommandContext, CommandDef } from './types.ts';

function subcommandSyntaxError(sub: string): ReplyError {
  return new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try XGROUP HELP.`);
}

function parseEntriesRead(text: string): number {
  const n = intArg(text);
  if (n < 0 && n !== INVALID_ENTRIES_READ) throw new ReplyError('ERR value for ENTRIESREAD must be positive or -1');
  return n;
}

/** Key and group checks shared by the XGROUP subcommands (`xgroupCommand`'s preamble). */
function groupTarget(
  ks: Keyspace,
  args: string[],
  mkstream: boolean,
  needGroup: boolean,
): [Stream | undefined, ConsumerGroup | undefined] {
  const s = readStream(ks, args[0]!);
  if (s === undefined && !mkstream) {
    throw new ReplyError(
      'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    );
  }
  const group = s?.groups.get(args[1]!);
  if (needGroup && group === undefined) {
    throw new ReplyError(`NOGROUP No such consumer group '${args[1]!}' for key name '${args[0]!}'`);
  }
  return [s, group];
}

function xgroupCreate({ ks, subcommand }: CommandContext, args: string[]): RedisReply {
  const [key, name] = [args[0]!, args[1]!];
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 3; i < args.length;) {
    const opt = args[i]!.toUpperCase();
    if (opt === 'MKSTREAM') {
      mkstream = true;
      i++;
    } else if (opt === 'ENTRIESREAD' && i + 1 < args.length) {
      entriesRead = parseEntriesRead(args[i + 1]!);
      i += 2;
    } else throw subcommandSyntaxError(subcommand ?? 'CREATE');
  }
  let [s] = groupTarget(ks, args, mkstream, false);
  let id: StreamId;
  if (args[2] === '$') id = s === undefined ? ZERO_ID : s.lastId;
  else id = parseId(args[2]!, 0, true);
  if (s === undefined) {
    s = new Stream();
    ks.add(key, s);
  }
  if (s.groups.has(name)) throw new ReplyError('BUSYGROUP Consumer Group name already exists');
  s.groups.set(name, new ConsumerGroup(name, { ms: id.ms, seq: id.seq }, entriesRead));
  ks.notify('xgroup-create', key);
  return 'OK';
}

function xgroupSetId({ ks, subcommand }: CommandContext, args: string[]): RedisReply {
  const sub = subcommand ?? 'SETID';
  if (args.length === 4 || args.length > 5) throw subcommandSyntaxError(sub);
  let entriesRead = INVALID_ENTRIES_READ;
  if (args.length === 5) {
    if (args[3]!.toUpperCase() !== 'ENTRIESREAD') throw subcommandSyntaxError(sub);
    entriesRead = parseEntriesRead(args[4]!);
  }
  const [s, group] = groupTarget(ks, args, false, true) as [Stream, ConsumerGroup];
  const id = args[2] === '$' ? s.lastId : parseId(args[2]!, 0, false);
  group.lastId = { ms: id.ms, seq: id.seq };
  group.entriesRead = entriesRead;
  ks.notify('xgroup-setid', args[0]!);
  return 'OK';
}

function xgroupDestroy({ ks }: CommandContext, args: string[]): RedisReply {
  const [s, group] = groupTarget(ks, args, false, false) as [Stream, ConsumerGroup | undefined];
  if (group === undefined) return 0;
  s.groups.delete(group.name);
  ks.notify('xgroup-destroy', args[0]!);
  ks.signal(args[0]!);
  return 1;
}

function xgroupCreateConsumer({ ks }: CommandContext, args: string[]): RedisReply {
  const [, group] = groupTarget(ks, args, false, true) as [Stream, ConsumerGroup];
  if (group.consumers.has(args[2]!)) return 0;
  lookupConsumer(ks, args[0]!, group, args[2]!);
  return 1;
}

function xgroupDelConsumer({ ks }: CommandContext, args: string[]): RedisReply {
  const [, group] = groupTarget(ks, args, false, true) as [Stream, ConsumerGroup];
  const consumer = group.consumers.get(args[2]!);
  if (consumer === undefined) return 0;
  const pending = consumer.pel.size;
  for (const p of [...consumer.pel.ordered()]) group.pel.delete(p.id);
  group.consumers.delete(consumer.name);
  ks.notify('xgroup-delconsumer', args[0]!);
  return pending;
}

/** The stream and group a group command works on, or `NOGROUP No such key … or consumer group …`. */
function needGroup(ks: Keyspace, key: string, name: string): [Stream, ConsumerGroup] {
  const s = readStream(ks, key);
  const group = s?.groups.get(name);
  if (s === undefined || group === undefined)
    throw new ReplyError(`NOGROUP No such key '${key}' or consumer group '${name}'`);
  return [s, group];
}

function xack({ ks }: CommandContext, args: string[]): RedisReply {
  const group = readStream(ks, args[0]!)?.groups.get(args[1]!);
  if (group === undefined) return 0;
  const ids = args.slice(2).map((t) => idString(parseId(t, 0, true)));
  let acked = 0;
  for (const id of ids) if (group.ack(id)) acked++;
  return acked;
}

function xpending({ ks }: CommandContext, args: string[]): RedisReply {
  const argc = args.length + 1;
  if (argc !== 3 && (argc < 6 || argc > 9)) throw syntaxError();
  let minIdle = 0;
  let range: { start: StreamId; end: StreamId; count: number; consumer: string | undefined } | undefined;
  if (argc >= 6) {
    let at = 2;
    if (args[2]!.toUpperCase() === 'IDLE') {
      minIdle = intArg(args[3]!);
      if (argc < 8) throw syntaxError();
      at += 2;
    }
    const count = Math.max(0, intArg(args[at + 2]!));
    const start = parseRangeStart(args[at]!);
    const end = parseRangeEnd(args[at + 1]!);
    range = { start, end, count, consumer: args[at + 3] };
  }
  const [, group] = needGroup(ks, args[0]!, args[1]!);
  if (range === undefined) {
    if (group.pel.size === 0) return [0, null, null, null];
    const first = group.pel.first() as PendingEntry;
    const last = group.pel.last() as PendingEntry;
    const consumers = [...group.consumers.values()]
      .filter((c) => c.pel.size > 0)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => [c.name, String(c.pel.size)]);
    return [group.pel.size, first.id, last.id, consumers];
  }
  let pel = group.pel;
  if (range.consumer !== undefined) {
    const consumer = group.consumers.get(range.consumer);
    if (consumer === undefined) return [];
    pel = consumer.pel;
  }
  const out: RedisReply[] = [];
  let left = range.count;
  for (const p of pel.ordered()) {
    if (left === 0 || compareIds(p, range.end) > 0) break;
    if (compareIds(p, range.start) < 0) continue;
    const idle = ks.time - p.deliveryTime;
    if (minIdle && idle < minIdle) continue;
    left--;
    out.push([p.id, p.consumer.name, Math.max(0, idle), p.deliveryCount]);
  }
  return out;
}

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
    else throw new ReplyError(`ERR Unrecognized XCLAIM option '${args[j]!}'`);
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
  if (n === undefined) throw new ReplyError(`ERR ${message}`);
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
        throw new ReplyError('ERR COUNT must be > 0');
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

function xinfoGroups({ ks }: CommandContext, args: string[]): RedisReply {
  const s = readStream(ks, args[0]!);
  if (s === undefined) throw new ReplyError(ERR_NO_SUCH_KEY);
  return [...s.groups.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((g) => [
      'name',
      g.name,
      'consumers',
      g.consumers.size,
      'pending',
      g.pel.size,
      'last-delivered-id',
      idString(g.lastId),
      'entries-read',
      g.entriesRead === INVALID_ENTRIES_READ ? null : g.entriesRead,
      'lag',
      groupLag(s, g),
    ]);
}

function xinfoConsumers({ ks }: CommandContext, args: string[]): RedisReply {
  const s = readStream(ks, args[0]!);
  if (s === undefined) throw new ReplyError(ERR_NO_SUCH_KEY);
  const group = s.groups.get(args[1]!);
  if (group === undefined) {
    throw new ReplyError(`NOGROUP No such consumer group '${args[1]!}' for key name '${args[0]!}'`);
  }
  return [...group.consumers.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ['name', c.name, 'pending', c.pel.size, 'idle', Math.max(0, ks.time - c.seenTime)]);
}

export const groupCommands: CommandDef[] = [
  {
    name: 'xgroup',
    arity: -2,
    subcommands: [
      { name: 'xgroup|create', arity: -5, handler: xgroupCreate },
      { name: 'xgroup|setid', arity: -5, handler: xgroupSetId },
      { name: 'xgroup|destroy', arity: 4, handler: xgroupDestroy },
      { name: 'xgroup|createconsumer', arity: 5, handler: xgroupCreateConsumer },
      { name: 'xgroup|delconsumer', arity: 5, handler: xgroupDelConsumer },
    ],
  },
  { name: 'xack', arity: -4, handler: xack },
  { name: 'xpending', arity: -3, handler: xpending },
  { name: 'xclaim', arity: -6, handler: xclaim },
  { name: 'xautoclaim', arity: -6, handler: xautoclaim },
  {
    name: 'xinfo',
    arity: -2,
    subcommands: [
      { name: 'xinfo|groups', arity: 3, handler: xinfoGroups },
      { name: 'xinfo|consumers', arity: 4, handler: xinfoConsumers },
    ],
  },
];
