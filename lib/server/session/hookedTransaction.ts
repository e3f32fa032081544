/**
 * A transaction with hooked commands, as the server runs it at EXEC on every backend: Redis cannot pause a
 * `MULTI` to let a gear run, so the transaction runs in order as atomic parts split at the hooked commands —
 * the plain commands between two hooked ones in one transaction of their own, each hooked command through its
 * chain (`gears.runHook(…, { inTransaction: true })`: sync registrations hold and may override, an override
 * that is not sync answers `ERR Blocking module command called from transaction`).
 */
import { createRequire } from 'node:module';
import type { Gears } from '../../Gears.ts';
import { ErrorReply, type Reply } from '../protocol/replies.ts';
import { errorReply } from '../rg/convert.ts';
import { hookReply } from './proxy.ts';

const COMMANDS = createRequire(import.meta.url)('@ioredis/commands/built/commands.json') as Record<
  string,
  { arity: number } | undefined
>;

/**
 * The error Redis answers when `name` is queued with `argc` words (the name included): unknown command, wrong
 * number of arguments; undefined when it would be queued. Commands queued after a hooked one are held by the
 * server, so it checks them as Redis would when queueing.
 */
export function queueProblem(name: string, args: readonly string[]): ErrorReply | undefined {
  const spec = COMMANDS[name.toLowerCase()];
  if (spec === undefined) {
    const start = args
      .slice(0, 16)
      .map((a) => `'${a.slice(0, 128)}' `)
      .join('');
    return new ErrorReply(`ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${start}`);
  }
  const argc = args.length + 1;
  if (spec.arity > 0 ? argc !== spec.arity : argc < -spec.arity)
    return new ErrorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
  return undefined;
}

/** One command of a transaction, as queued. */
export interface QueuedCommand<C> {
  readonly name: string;
  readonly args: readonly string[];
  /** What the backend needs to run it (the request's frame, its arguments). */
  readonly command: C;
  /** A hook watched the command when it was queued. */
  readonly hooked: boolean;
}

/**
 * Runs queued commands in order: consecutive plain ones through `atomically` (their replies, in order), each
 * hooked one through its chain — or, when no hook applies to it any more, as a plain part of one — and
 * gives every reply back in order (a hook's reply through `hookReplyOf`, so a backend can keep raw replies).
 */
export async function runSplit<C, R>(
  gears: Gears,
  queued: readonly QueuedCommand<C>[],
  atomically: (commands: C[]) => Promise<R[]>,
  hookReplyOf: (reply: Reply) => R,
): Promise<R[]> {
  const out: R[] = [];
  let plain: C[] = [];
  const flush = async (): Promise<void> => {
    if (plain.length === 0) return;
    const part = plain;
    plain = [];
    out.push(...(await atomically(part)));
  };
  for (const entry of queued) {
    if (!entry.hooked) {
      plain.push(entry.command);
      continue;
    }
    await flush();
    const args = [...entry.args];
    let reply: Reply | undefined;
    try {
      const result = await gears.runHook(entry.name, args, { inTransaction: true });
      if (result !== undefined) reply = hookReply(entry.name.toUpperCase(), args, result);
    } catch (error) {
      reply = errorReply(error);
    }
    if (reply === undefined) out.push(...(await atomically([entry.command])));
    else out.push(hookReplyOf(reply));
  }
  await flush();
  return out;
}
