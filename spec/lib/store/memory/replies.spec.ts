import { describe, expect, it } from 'vitest';
import { RedisReplyError } from '../../../../lib/errors.ts';
import {
  arityError,
  unknownCommandError,
  unknownSubcommandError,
  wrongType,
} from '../../../../lib/store/memory/replies.ts';

describe('error replies', () => {
  it('are RedisReplyErrors with Redis’ texts', () => {
    expect(wrongType()).toBeInstanceOf(RedisReplyError);
    expect(arityError('get').message).toBe("ERR wrong number of arguments for 'get' command");
    expect(unknownSubcommandError('xinfo', 'x').message).toBe("ERR unknown subcommand 'x'. Try XINFO HELP.");
  });

  it('cut the quoted arguments of an unknown command near 128 characters and flatten newlines', () => {
    const message = unknownCommandError('foo', ['a'.repeat(100), 'b'.repeat(100), 'c']).message;
    expect(message).toBe(
      `ERR unknown command 'foo', with args beginning with: '${'a'.repeat(100)}' '${'b'.repeat(25)}' `,
    );
    expect(unknownCommandError('a\r\nb', []).message).toBe("ERR unknown command 'a  b', with args beginning with: ");
  });
});
