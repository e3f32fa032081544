/**
 * The command table: name → definition in a `Map` (no per-call regex or switch), and the checks Redis makes
 * before a command runs — unknown command, unknown subcommand, arity — with Redis' own error texts.
 */
import type { RedisArg } from '../ShardStore.ts';
import { fromBytes } from './bytes.ts';
import { arityError, unknownCommandError, unknownSubcommandError } from './replies.ts';
import type { CommandDef, Handler } from './types.ts';

export interface ResolvedCommand {
  handler: Handler;
  /** Arguments after the command name (and after the subcommand for container commands). */
  args: string[];
  subcommand: string | undefined;
}

export class CommandTable {
  private readonly byName = new Map<string, CommandDef>();

  constructor(defs: Iterable<CommandDef>) {
    for (const def of defs) {
      this.byName.set(def.name, def);
      this.byName.set(def.name.toUpperCase(), def);
    }
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  private lookup(name: string): CommandDef | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /** Finds the handler for `command args…` or throws the error reply Redis would give. */
  resolve(command: string, raw: readonly RedisArg[]): ResolvedCommand {
    const args = toStrings(raw);
    const def = this.lookup(command);
    if (def === undefined) throw unknownCommandError(command, args);
    const argc = args.length + 1;
    if (def.subcommands !== undefined && argc >= 2) {
      const subName = args[0]!.toLowerCase();
      const sub = def.subcommands.find((s) => s.name === `${def.name}|${subName}`);
      if (sub === undefined || sub.handler === undefined) throw unknownSubcommandError(def.name, args[0]!);
      checkArity(sub, argc);
      return { handler: sub.handler, args: args.slice(1), subcommand: args[0] };
    }
    checkArity(def, argc);
    if (def.handler === undefined) throw arityError(def.name);
    return { handler: def.handler, args, subcommand: undefined };
  }
}

function checkArity(def: CommandDef, argc: number): void {
  if ((def.arity > 0 && argc !== def.arity) || argc < -def.arity) throw arityError(def.name);
}

function toStrings(raw: readonly RedisArg[]): string[] {
  let allStrings = true;
  for (let i = 0; i < raw.length && allStrings; i++) allStrings = typeof raw[i] === 'string';
  // The common case reuses the caller's (rest-parameter) array: handlers never mutate their arguments.
  if (allStrings) return raw as string[];
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i]!;
    out[i] = typeof a === 'string' ? a : typeof a === 'number' ? String(a) : fromBytes(a);
  }
  return out;
}
