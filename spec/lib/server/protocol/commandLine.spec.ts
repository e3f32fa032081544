import { describe, expect, it } from 'vitest';
import { parseCommandFile, splitCommandLine } from '../../../../lib/server/protocol/commandLine.ts';
import { GearsError } from '../../../../lib/errors.ts';

describe('splitCommandLine (redis-cli rules)', () => {
  it.each([
    ['HSET person:1 name "Rick Sanchez" age 70', ['HSET', 'person:1', 'name', 'Rick Sanchez', 'age', '70']],
    ['  SET   a   b  ', ['SET', 'a', 'b']],
    ['SET k "line\\nbreak\\t\\x41"', ['SET', 'k', 'line\nbreak\tA']],
    ["SET k 'it\\'s raw \\n'", ['SET', 'k', "it's raw \\n"]],
    ['SET k ""', ['SET', 'k', '']],
    ['', []],
  ])('%s', (line, args) => {
    expect(splitCommandLine(line)).toEqual(args);
  });

  it('rejects unbalanced quotes and a quote glued to the next word', () => {
    expect(() => splitCommandLine('SET k "open')).toThrow(GearsError);
    expect(() => splitCommandLine("SET k 'open")).toThrow('unbalanced quotes');
    expect(() => splitCommandLine('SET k "a"b')).toThrow('closing quote must be followed by a space');
  });
});

describe('parseCommandFile', () => {
  it('reads one command per line, skipping blank and # lines', () => {
    expect(parseCommandFile('# data\nSET foo bar\n\r\nHSET h f "v w"\n')).toEqual([
      ['SET', 'foo', 'bar'],
      ['HSET', 'h', 'f', 'v w'],
    ]);
  });
});
