/**
 * Redis 7.0's error reply texts, verbatim (the contract suite compares them with a real redis-server), and the
 * helpers that throw them. Handlers throw `RedisReplyError`; the dispatcher turns nothing into a crash.
 */
import { RedisReplyError } from '../../errors.ts';

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_NO_SUCH_KEY = 'ERR no such key';
export const ERR_OVERFLOW = 'ERR increment or decrement would overflow';
export const ERR_OUT_OF_RANGE_POSITIVE = 'ERR value is out of range, must be positive';
export const ERR_INVALID_STREAM_ID = 'ERR Invalid stream ID specified as stream command argument';

export function replyError(message: string): RedisReplyError {
  return new RedisReplyError(message);
}

export function wrongType(): RedisReplyError {
  return new RedisReplyError(WRONGTYPE);
}

export function syntaxError(): RedisReplyError {
  return new RedisReplyError(ERR_SYNTAX);
}

export function arityError(fullName: string): RedisReplyError {
  return new RedisReplyError(`ERR wrong number of arguments for '${fullName}' command`);
}

/** `ERR unknown command 'x', with args beginning with: 'a' 'b' ` — args cut at 128 characters as Redis does. */
export function unknownCommandError(name: string, args: readonly string[]): RedisReplyError {
  let shown = '';
  for (let i = 0; i < args.length && shown.length < 128; i++) {
    shown += `'${(args[i] ?? '').slice(0, 128 - shown.length)}' `;
  }
  const text = `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${shown}`;
  return new RedisReplyError(text.replace(/[\r\n]/g, ' '));
}

export function unknownSubcommandError(container: string, sub: string): RedisReplyError {
  const text = `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`;
  return new RedisReplyError(text.replace(/[\r\n]/g, ' '));
}
