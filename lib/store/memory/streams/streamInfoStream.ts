/** XINFO STREAM key [FULL [COUNT n]]: Redis 7.0's summary and full forms. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { groupLag, INVALID_ENTRIES_READ, type ConsumerGroup } from './ConsumerGroup.ts';
import { intArg } from '../numbers.ts';
import { ERR_NO_SUCH_KEY } from '../replies.ts';
import type { Stream } from './Stream.ts';
import { entryReply, idString } from './streamIds.ts';
import { readStream } from './streams.ts';
import type { CommandContext } from '../types.ts';

/** The listpack nodes holding live entries: Redis' radix-tree keys. */
function radixKeys(s: Stream): number {
  const nodes = new Set<unknown>();
  for (let i = 0; i < s.length; i++) nodes.add(s.at(i)!.node);
  return nodes.size;
}

/** The head of both forms: length, radix tree sizes, ids and counters. */
function header(s: Stream): RedisReply[] {
  const keys = radixKeys(s);
  return [
    'length',
    s.length,
    'radix-tree-keys',
    keys,
    // Redis' rax node count depends on how the keys' bytes split; one node per key plus the root estimates it.
    'radix-tree-nodes',
    keys + 1,
    'last-generated-id',
    idString(s.lastId),
    'max-deleted-entry-id',
    idString(s.maxDeletedId),
    'entries-added',
    s.entriesAdded,
    'recorded-first-entry-id',
    idString(s.firstId),
  ];
}

function take<T>(items: Iterable<T>, count: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (count > 0 && out.length >= count) break;
    out.push(item);
  }
  return out;
}

/** Groups and consumers in Redis' radix tree order: by name. */
export function byName<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function fullGroup(s: Stream, g: ConsumerGroup, count: number): RedisReply {
  return [
    'name',
    g.name,
    'last-delivered-id',
    idString(g.lastId),
    'entries-read',
    g.entriesRead === INVALID_ENTRIES_READ ? null : g.entriesRead,
    'lag',
    groupLag(s, g),
    'pel-count',
    g.pel.size,
    'pending',
    take(g.pel.ordered(), count).map((e) => [e.id, e.consumer.name, e.deliveryTime, e.deliveryCount]),
    'consumers',
    byName(g.consumers.values()).map((c) => [
      'name',
      c.name,
      'seen-time',
      c.seenTime,
      'pel-count',
      c.pel.size,
      'pending',
      take(c.pel.ordered(), count).map((e) => [e.id, e.deliveryTime, e.deliveryCount]),
    ]),
  ];
}

export function xinfoStream(ctx: CommandContext, args: string[]): RedisReply {
  const wrongArgs = (): RedisReplyError =>
    new RedisReplyError(
      `ERR unknown subcommand or wrong number of arguments for '${ctx.subcommand ?? 'STREAM'}'. Try XINFO HELP.`,
    );
  let full = false;
  let count = 10;
  if (args.length > 1) {
    if (args[1]!.toUpperCase() !== 'FULL' || (args.length !== 2 && args.length !== 4)) throw wrongArgs();
    full = true;
    if (args.length === 4) {
      if (args[2]!.toUpperCase() !== 'COUNT') throw wrongArgs();
      count = intArg(args[3]!);
      if (count < 0) count = 10;
    }
  }
  const s = readStream(ctx.ks, args[0]!);
  if (s === undefined) throw new RedisReplyError(ERR_NO_SUCH_KEY);
  if (!full) {
    const first = s.at(0);
    const last = s.last();
    return [
      ...header(s),
      'groups',
      s.groups.size,
      'first-entry',
      first === undefined ? null : entryReply(first),
      'last-entry',
      last === undefined ? null : entryReply(last),
    ];
  }
  const entries: RedisReply[] = [];
  for (let i = 0; i < s.length && (count === 0 || i < count); i++) entries.push(entryReply(s.at(i)!));
  return [...header(s), 'entries', entries, 'groups', byName(s.groups.values()).map((g) => fullGroup(s, g, count))];
}
