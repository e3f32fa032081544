import { describe, expect, it } from 'vitest';
import { CommandTable } from '../../../../lib/store/memory/CommandTable.ts';
import type { CommandDef } from '../../../../lib/store/memory/types.ts';

const echo: CommandDef['handler'] = (_ctx, args) => args;
const table = new CommandTable([
  { name: 'get', arity: 2, handler: echo },
  { name: 'mget', arity: -2, handler: echo },
  { name: 'xgroup', arity: -2, subcommands: [{ name: 'xgroup|create', arity: -5, handler: echo }] },
]);

describe('CommandTable', () => {
  it('finds commands in any case and converts arguments to strings', () => {
    expect(table.resolve('GeT', ['k']).args).toEqual(['k']);
    expect(table.resolve('mget', [1, Buffer.from('b')]).args).toEqual(['1', 'b']);
    expect(table.has('MGET')).toBe(true);
    expect(table.has('nope')).toBe(false);
  });

  it('checks exact and minimum arity with the command name as Redis prints it', () => {
    expect(() => table.resolve('GET', [])).toThrow("ERR wrong number of arguments for 'get' command");
    expect(() => table.resolve('GET', ['a', 'b'])).toThrow("ERR wrong number of arguments for 'get' command");
    expect(() => table.resolve('MGET', [])).toThrow("ERR wrong number of arguments for 'mget' command");
  });

  it('resolves subcommands and names them in arity errors', () => {
    expect(table.resolve('XGROUP', ['Create', 'k', 'g', '$'])).toMatchObject({
      args: ['k', 'g', '$'],
      subcommand: 'Create',
    });
    expect(() => table.resolve('XGROUP', ['CREATE', 'k'])).toThrow(
      "ERR wrong number of arguments for 'xgroup|create' command",
    );
    expect(() => table.resolve('XGROUP', [])).toThrow("ERR wrong number of arguments for 'xgroup' command");
    expect(() => table.resolve('xgroup', ['nope'])).toThrow("ERR unknown subcommand 'nope'. Try XGROUP HELP.");
  });

  it('answers unknown commands with their first arguments quoted', () => {
    expect(() => table.resolve('Foo', ['a', 2])).toThrow(
      "ERR unknown command 'Foo', with args beginning with: 'a' '2' ",
    );
  });
});
