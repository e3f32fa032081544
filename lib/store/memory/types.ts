/** The command table's shapes: a handler's context, its blocking request, a command's definition. */
import type { RedisReply } from '../ShardStore.ts';
import type { Keyspace } from './Keyspace.ts';

/**
 * A blocking read that found nothing: the store parks the caller and calls `retry` whenever one of `keys` is
 * signalled, until it returns a reply or `timeoutMs` passes (0 = forever), then replies `onTimeout`.
 */
export class BlockRequest {
  constructor(
    readonly keys: string[],
    readonly timeoutMs: number,
    readonly retry: () => RedisReply | undefined,
    readonly onTimeout: RedisReply = null,
  ) {}
}

export interface CommandContext {
  ks: Keyspace;
  /** False in `callSync` (and where Redis itself would not block, e.g. MULTI): BLOCK then acts as a plain read. */
  canBlock: boolean;
  /** The command as the caller spelled it (`XREAD`), for the errors that quote it. */
  command?: string | undefined;
  /** The subcommand as the caller spelled it (`create`), for the errors that quote it. */
  subcommand?: string | undefined;
}

export type Handler = (ctx: CommandContext, args: string[]) => RedisReply | BlockRequest;

export interface CommandDef {
  /** Lower-case, as Redis prints it in errors (`xgroup|create` for subcommands). */
  name: string;
  /** Redis arity, counting the command name (and the subcommand): n exact, -n at least n. */
  arity: number;
  handler?: Handler;
  subcommands?: CommandDef[];
}
