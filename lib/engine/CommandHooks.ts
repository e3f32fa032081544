/**
 * Command hooks, as RedisGears' command filter: for a command that comes through the server, the CommandReader
 * registrations with `hook: '<command>'` and the KeysReader registrations with `commands: [...]` form a chain,
 * the last registered first. A CommandReader hook runs instead of the command; its `callNext(...)` calls the
 * next link and, at the end, the command itself. A KeysReader `commands` registration lets the command run,
 * then runs its gear for the events the command caused on matching keys (`keymiss` for a read of a missing
 * key) before the client gets the reply, which `overrideReply(value)` replaces.
 */
import { exists, hasFlag } from '@ioredis/commands';
import { defer, filter, from, map, type Observable } from 'rxjs';
import { commandKeys, isReadOnlyCommand } from '../cluster/routing.ts';
import type { Shard } from '../cluster/topology.ts';
import { GearsError, RedisReplyError, formatError } from '../errors.ts';
import type { KeyspaceEvent, RedisArg, RedisReply } from '../store/ShardStore.ts';
import { toKeysRecord } from '../../readers/keysReader.ts';
import { prefixMatcher } from '../../readers/types.ts';
import type { Execution, RunResult } from './Execution.ts';
import type { Registration } from './Registration.ts';

/** What a hook's gear may call besides the usual runtime: `callNext` (CommandReader), `overrideReply` (KeysReader). */
export interface HookRuntime {
  callNext?: (...args: RedisArg[]) => Promise<RedisReply>;
  overrideReply?: (value: RedisReply) => void;
}

/** One link of a command's chain. */
interface Hook {
  readonly registration: Registration;
  /** `hook`: a CommandReader override; `commands`: a KeysReader registration watching the command. */
  readonly kind: 'hook' | 'commands';
  /** `hook` with `keyPrefix`: only when one of the command's keys starts with it. */
  readonly keyPrefix: string | undefined;
}

/** One call of a hooked command (`Gears.runHook`). */
export interface HookCall {
  command: string;
  args: readonly string[];
  /** The shard owning the command's keys (the default shard for keyless commands). */
  shard: Shard;
  /**
   * The command was queued in MULTI and runs at EXEC: only `sync` registrations may hold the reply (a
   * CommandReader hook that is not sync replies `Blocking module command called from transaction`, as a
   * blocking module command does in Redis; a KeysReader `commands` one that is not sync runs without holding
   * it and cannot override it).
   */
  inTransaction: boolean;
  /** Runs the command itself: the end of the chain. */
  original: (...args: RedisArg[]) => Promise<RedisReply>;
}

/** What the chain needs from the registrations: starting a registration's execution with a hook runtime. */
export interface HookHost {
  launch(registration: Registration, shard: Shard, records: Observable<unknown>, runtime: HookRuntime): Execution;
}

/** Refuses, with RedisGears' messages, a command that cannot be hooked. */
export function checkHookable(command: string, how: 'override' | 'hook', byPrefix: boolean): void {
  const name = command.toLowerCase();
  if (!exists(name)) throw new GearsError(`Can not ${how} an unexisting command`);
  if (hasFlag(name, 'noscript')) throw new GearsError(`Can not ${how} a command which are not allowed inside a script`);
  if (byPrefix && hasFlag(name, 'movablekeys'))
    throw new GearsError(`Can not ${how} a command with moveable keys by key prefix`);
}

const KEYMISS = 'keymiss';

/** The hooks of an engine, per command (lower case), newest first. */
export class CommandHooks {
  private readonly byCommand = new Map<string, Hook[]>();

  constructor(private readonly host: HookHost) {}

  /** Adds a CommandReader `hook` registration on top of the command's chain. */
  addOverride(registration: Registration, command: string, keyPrefix: string | undefined): void {
    const name = command.toLowerCase();
    checkHookable(name, 'override', keyPrefix !== undefined);
    // RedisGears: a hook can only chain on hooks that are themselves sync (they run in line).
    const below = this.byCommand.get(name)?.filter((h) => h.kind === 'hook') ?? [];
    if (below.some((h) => h.registration.mode !== 'sync'))
      throw new GearsError('Can not override a none sync registration');
    this.push(name, { registration, kind: 'hook', keyPrefix });
  }

  /** Adds a KeysReader registration with `commands` to each command's chain. */
  addWatcher(registration: Registration, commands: readonly string[]): void {
    for (const command of commands) checkHookable(command, 'hook', true);
    for (const command of commands)
      this.push(command.toLowerCase(), { registration, kind: 'commands', keyPrefix: undefined });
  }

  remove(registration: Registration): void {
    for (const [name, chain] of this.byCommand) {
      const left = chain.filter((h) => h.registration !== registration);
      if (left.length === 0) this.byCommand.delete(name);
      else this.byCommand.set(name, left);
    }
  }

  /** Whether some active registration hooks `command`. */
  hooks(command: string): boolean {
    return this.byCommand.get(command.toLowerCase())?.some((h) => !h.registration.paused) ?? false;
  }

  /**
   * Runs the command's chain; resolves with the reply as the one result, or the error the client gets, and
   * `undefined` when no active link applies (the caller runs the command as usual).
   */
  async run(call: HookCall): Promise<RunResult<unknown> | undefined> {
    const keys = commandKeys(call.command, call.args);
    const chain = (this.byCommand.get(call.command.toLowerCase()) ?? []).filter(
      (h) =>
        !h.registration.paused &&
        (h.keyPrefix === undefined || keys.some((k) => k.startsWith(h.keyPrefix!))) &&
        (h.kind === 'hook' || keys.some(prefixMatcher(String(h.registration.args['prefix'] ?? '*')))),
    );
    if (chain.length === 0) return undefined;
    try {
      return { results: [await this.step(chain, 0, call, call.args)], errors: [] };
    } catch (error) {
      return { results: [], errors: [error instanceof RedisReplyError ? error.message : formatError(error)] };
    }
  }

  private step(chain: readonly Hook[], index: number, call: HookCall, args: readonly RedisArg[]): Promise<RedisReply> {
    const hook = chain[index];
    if (!hook) return call.original(...args);
    const next = (...nextArgs: RedisArg[]): Promise<RedisReply> => this.step(chain, index + 1, call, nextArgs);
    return hook.kind === 'hook' ? this.override(hook, call, args, next) : this.watch(hook, call, args, next);
  }

  /** A CommandReader hook: its gear gets `[command, ...args]`; its one result is the reply. */
  private async override(
    hook: Hook,
    call: HookCall,
    args: readonly RedisArg[],
    next: (...args: RedisArg[]) => Promise<RedisReply>,
  ): Promise<RedisReply> {
    const record = [call.command, ...args.map(String)];
    const execution = this.host.launch(hook.registration, call.shard, from([record]), { callNext: next });
    if (call.inTransaction && hook.registration.mode !== 'sync')
      throw new RedisReplyError('ERR Blocking module command called from transaction');
    await execution.done;
    const { results, errors } = execution.result();
    if (errors.length > 0) throw new RedisReplyError(errors[0]!);
    if (results.length !== 1) throw new RedisReplyError('Command hook must return exactly one result');
    return results[0] as RedisReply;
  }

  /**
   * A KeysReader `commands` registration: the command runs; then, per event it caused on a matching key (a
   * read of a missing key: `keymiss`), the gear runs with `{ key, type, value, event }`, and the reply waits
   * for it (unless inside MULTI and not sync). The last `overrideReply(value)` is the reply; a string starting
   * with `-` is an error reply.
   */
  private async watch(
    hook: Hook,
    call: HookCall,
    args: readonly RedisArg[],
    next: (...args: RedisArg[]) => Promise<RedisReply>,
  ): Promise<RedisReply> {
    const registration = hook.registration;
    const options = registration.args;
    const matches = prefixMatcher(String(options['prefix'] ?? '*'));
    const keys = [...new Set(commandKeys(call.command, args).filter(matches))];
    const { store } = call.shard;
    const events: KeyspaceEvent[] = [];
    let reply: RedisReply;
    if (isReadOnlyCommand(call.command)) {
      // Redis raises `keymiss` for a read of a missing key: known here by asking before the read.
      const present = await Promise.all(keys.map((k) => store.call('EXISTS', k)));
      reply = await next(...args);
      keys.forEach((key, i) => present[i] === 0 && events.push({ key, event: KEYMISS }));
    } else {
      // The events the command caused: those of its keys delivered until the keyspace barrier after it.
      const watched = new Set(keys);
      const subscription = store
        .keyspaceEvents()
        .pipe(filter((e) => watched.has(e.key)))
        .subscribe((e) => void events.push(e));
      try {
        reply = await next(...args);
        await store.keyspaceBarrier();
      } finally {
        subscription.unsubscribe();
      }
    }
    const eventTypes = Array.isArray(options['eventTypes'])
      ? new Set((options['eventTypes'] as string[]).map((e) => e.toLowerCase()))
      : undefined;
    const keyTypes = Array.isArray(options['keyTypes'])
      ? new Set((options['keyTypes'] as string[]).map((t) => t.toLowerCase()))
      : undefined;
    const readValue = options['readValue'] !== false;
    let override: { value: RedisReply } | undefined;
    const runtime: HookRuntime = { overrideReply: (value) => void (override = { value }) };
    const executions = events
      .filter((e) => !eventTypes || eventTypes.has(e.event.toLowerCase()))
      .map((e) => {
        const records = defer(() => from(store.readKeys([e.key], { readValue }))).pipe(
          map(([data]) => data ?? { key: e.key, type: 'none' as const, value: null }),
          filter((data) => !keyTypes || keyTypes.has(data.type)),
          map((data) => ({ ...toKeysRecord(data, readValue), event: e.event })),
        );
        return this.host.launch(registration, call.shard, records, runtime);
      });
    if (call.inTransaction && registration.mode !== 'sync') return reply;
    await Promise.all(executions.map((e) => e.done));
    if (!override) return reply;
    const value = override.value;
    if (typeof value === 'string' && value.startsWith('-')) throw new RedisReplyError(value.slice(1));
    return value;
  }

  private push(name: string, hook: Hook): void {
    this.byCommand.set(name, [hook, ...(this.byCommand.get(name) ?? [])]);
  }
}
