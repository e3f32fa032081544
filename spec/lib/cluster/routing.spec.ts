import { describe, expect, it } from 'vitest';
import { commandKeys, commandSlot, isReadOnlyCommand } from '../../../lib/cluster/routing.ts';
import { hashSlot } from '../../../lib/cluster/slots.ts';
import { RedisReplyError } from '../../../lib/errors.ts';

describe('command routing', () => {
  it('finds the keys of commands by Redis’ command table', () => {
    expect(commandKeys('SET', ['k', 'v'])).toEqual(['k']);
    expect(commandKeys('mset', ['a', '1', 'b', '2'])).toEqual(['a', 'b']);
    expect(commandKeys('XREADGROUP', ['GROUP', 'g', 'c', 'STREAMS', 's', '>'])).toEqual(['s']);
    expect(commandKeys('PING', [])).toEqual([]);
    expect(commandKeys('NOSUCHCOMMAND', ['x'])).toEqual([]);
  });

  it('routes by the keys’ common slot, undefined without keys', () => {
    expect(commandSlot('GET', ['Smith'])).toBe(hashSlot('Smith'));
    expect(commandSlot('MGET', ['{t}a', '{t}b'])).toBe(hashSlot('t'));
    expect(commandSlot('PING', [])).toBeUndefined();
  });

  it('rejects keys in different slots with the CROSSSLOT reply', () => {
    expect(() => commandSlot('MGET', ['a', 'b'])).toThrow(RedisReplyError);
    expect(() => commandSlot('MGET', ['a', 'b'])).toThrow("CROSSSLOT Keys in request don't hash to the same slot");
  });

  it('knows read-only commands', () => {
    expect(isReadOnlyCommand('GET')).toBe(true);
    expect(isReadOnlyCommand('hgetall')).toBe(true);
    expect(isReadOnlyCommand('SET')).toBe(false);
    expect(isReadOnlyCommand('NOSUCH')).toBe(false);
  });
});
