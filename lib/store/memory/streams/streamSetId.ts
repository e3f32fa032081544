/** XSETID and the HELP subcommands of XGROUP and XINFO. */
import { RedisReplyError } from '../../../errors.ts';
import type { RedisReply } from '../../ShardStore.ts';
import { intArg } from '../numbers.ts';
import { ERR_NO_SUCH_KEY, syntaxError } from '../replies.ts';
import { compareIds, ZERO_ID, type Stream, type StreamId } from './Stream.ts';
import { parseId } from './streamIds.ts';
import type { CommandContext, CommandDef } from '../types.ts';

function strictId(text: string): StreamId {
  const { ms, seq } = parseId(text, 0, true);
  return { ms, seq };
}

/** `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]` (`xsetidCommand`). */
function xsetid({ ks }: CommandContext, args: string[]): RedisReply {
  const key = args[0]!;
  const id = strictId(args[1]!);
  let entriesAdded = -1;
  let maxDeleted: StreamId = ZERO_ID;
  for (let i = 2; i < args.length; i += 2) {
    const opt = args[i]!.toUpperCase();
    const value = args[i + 1];
    if (opt === 'ENTRIESADDED' && value !== undefined) {
      entriesAdded = intArg(value);
      if (entriesAdded < 0) throw new RedisReplyError('ERR entries_added must be positive');
    } else if (opt === 'MAXDELETEDID' && value !== undefined) {
      maxDeleted = strictId(value);
      if (compareIds(id, maxDeleted) < 0) {
        throw new RedisReplyError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      }
    } else throw syntaxError();
  }
  const stream = ks.get<Stream>(key, 'stream');
  if (stream === undefined) throw new RedisReplyError(ERR_NO_SUCH_KEY);
  const top = stream.last();
  if (top !== undefined) {
    if (compareIds(id, top) < 0) {
      throw new RedisReplyError('ERR The ID specified in XSETID is smaller than the target stream top item');
    }
    if (entriesAdded !== -1 && stream.length > entriesAdded) {
      throw new RedisReplyError('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1) stream.entriesAdded = entriesAdded;
  if (compareIds(maxDeleted, ZERO_ID) !== 0) stream.maxDeletedId = maxDeleted;
  ks.notify('xsetid', key);
  return 'OK';
}

export const streamSetIdCommands: CommandDef[] = [{ name: 'xsetid', arity: -3, handler: xsetid }];

/** `XGROUP HELP` / `XINFO HELP`: the subcommands, one line each (Redis' text is longer; the arity is the same). */
export function helpSubcommand(container: string, lines: string[]): CommandDef {
  return {
    name: `${container}|help`,
    arity: 2,
    handler: () => [`${container.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`, ...lines],
  };
}
