/** XINFO GROUPS, XINFO CONSUMERS and XINFO HELP (XINFO STREAM: streamInfoStream.ts). */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { groupLag, INVALID_ENTRIES_READ } from './ConsumerGroup.ts';
import { ERR_NO_SUCH_KEY } from '../replies.ts';
import { idString } from './streamIds.ts';
import { readStream } from './streams.ts';
import { helpSubcommand } from './streamSetId.ts';
import { byName, xinfoStream } from './streamInfoStream.ts';
import type { CommandContext, CommandDef } from '../types.ts';

function xinfoGroups({ ks }: CommandContext, args: string[]): RedisReply {
  const s = readStream(ks, args[0]!);
  if (s === undefined) throw new RedisReplyError(ERR_NO_SUCH_KEY);
  return byName(s.groups.values()).map((g) => [
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
  if (s === undefined) throw new RedisReplyError(ERR_NO_SUCH_KEY);
  const group = s.groups.get(args[1]!);
  if (group === undefined) {
    throw new RedisReplyError(`NOGROUP No such consumer group '${args[1]!}' for key name '${args[0]!}'`);
  }
  return byName(group.consumers.values()).map((c) => [
    'name',
    c.name,
    'pending',
    c.pel.size,
    'idle',
    Math.max(0, ks.time - c.seenTime),
  ]);
}

export const infoCommands: CommandDef[] = [
  {
    name: 'xinfo',
    arity: -2,
    subcommands: [
      { name: 'xinfo|groups', arity: 3, handler: xinfoGroups },
      { name: 'xinfo|consumers', arity: 4, handler: xinfoConsumers },
      { name: 'xinfo|stream', arity: -3, handler: xinfoStream },
      helpSubcommand('xinfo', [
        'CONSUMERS <key> <groupname>',
        '    Show consumers of <groupname>.',
        'GROUPS <key>',
        '    Show the stream consumer groups.',
        'STREAM <key> [FULL [COUNT <count>]',
        '    Show information about the stream.',
        'HELP',
        '    Prints this help.',
      ]),
    ],
  },
];
