/** Consumer-group commands: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER), XACK, XPENDING. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { ConsumerGroup, INVALID_ENTRIES_READ, type PendingEntry } from './ConsumerGroup.ts';
import type { Keyspace } from '../Keyspace.ts';
import { intArg } from '../numbers.ts';
import { syntaxError } from '../replies.ts';
import { compareIds, Stream, ZERO_ID, type StreamId } from './Stream.ts';
import { idString, parseId, parseRangeEnd, parseRangeStart } from './streamIds.ts';
import { lookupConsumer } from './streamRead.ts';
import { readStream } from './streams.ts';
import { helpSubcommand } from './streamSetId.ts';
import type { CommandContext, CommandDef } from '../types.ts';

function subcommandSyntaxError(sub: string): RedisReplyError {
  return new RedisReplyError(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try XGROUP HELP.`);
}

function parseEntriesRead(text: string): number {
  const n = intArg(text);
  if (n < 0 && n !== INVALID_ENTRIES_READ) throw new RedisReplyError('ERR value for ENTRIESREAD must be positive or -1');
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
    throw new RedisReplyError(
      'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    );
  }
  const group = s?.groups.get(args[1]!);
  if (needGroup && group === undefined) {
    throw new RedisReplyError(`NOGROUP No such consumer group '${args[1]!}' for key name '${args[0]!}'`);
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
  if (s.groups.has(name)) throw new RedisReplyError('BUSYGROUP Consumer Group name already exists');
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
export function needGroup(ks: Keyspace, key: string, name: string): [Stream, ConsumerGroup] {
  const s = readStream(ks, key);
  const group = s?.groups.get(name);
  if (s === undefined || group === undefined)
    throw new RedisReplyError(`NOGROUP No such key '${key}' or consumer group '${name}'`);
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
      helpSubcommand('xgroup', ['CREATE', 'CREATECONSUMER', 'DELCONSUMER', 'DESTROY', 'SETID', 'HELP']),
    ],
  },
  { name: 'xack', arity: -4, handler: xack },
  { name: 'xpending', arity: -3, handler: xpending },
];
