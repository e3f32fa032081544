import { randomBytes } from 'node:crypto';
import { parseLease } from '../cluster/leases/decide.ts';
import { hashSlot } from '../cluster/slots.ts';
import { slotTable, type Shard } from '../cluster/topology.ts';
import type { RegistrationInfo } from '../engine/Registration.ts';
import { validateRegisterOptions, type RegisterOptions } from '../builder/registerOptions.ts';
import { readerFor } from '../engine/options.ts';
import type { Plan } from '../builder/plan.ts';
import { formatError, GearsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ShardStore } from '../store/ShardStore.ts';
import { appLeaseMs, decodeValue, encodeValue, pause, runKeys, type RunDescriptor } from './protocol.ts';
import { commandKeys } from '../cluster/routing.ts';
import type { RunResult } from '../engine/Execution.ts';
import {
  entryOptions,
  hashMap,
  loadEntries,
  parseEntry,
  registrationRow,
  registryKeys,
  type RegistryEntry,
  type RegistryKeys,
} from './registry.ts';

export interface DriverRegistryOptions {
  app: string;
  control: ShardStore;
  shards: readonly Shard[];
  tasks: readonly string[];
  /** The shard whose id prefixes registration ids (the owner of slot 0). */
  initiator: () => Shard;
  logger: Logger;
}

/** Lease assumed until a worker of the app said otherwise (`rxgears worker`'s default). */
const DEFAULT_LEASE_MS = 10_000;
/** How often a driver re-reads the registrations and their stats for `dumpRegistrations()`, ms. */
const REFRESH_MS = 1_000;

/**
 * A driver's side of the app's registrations (README "Scaling out", registrations): `register()` stores the
 * registration in Redis, announces it on the change log and resolves once the owner of every task listens at
 * that version (`live`), so a write made after it returns is seen; pause, unpause, unregister and clearing the
 * stats are changes the same way, acknowledged by every task's owner. `dumpRegistrations()` is synchronous, so
 * it answers from a copy re-read every second (and after each change): one row per registration with the
 * counters the workers flushed (every lease/3), summed. Trigger calls go to the owner of the key's task (or of
 * slot 0's) through the calls stream, and its answer comes back on a list.
 */
export class DriverRegistry {
  private readonly keys: RegistryKeys;
  private readonly runKeys: ReturnType<typeof runKeys>;
  private rows: RegistrationInfo[] = [];
  private entries = new Map<string, RegistryEntry>();
  /** Commands an active registration hooks (CommandReader `hook`, KeysReader `commands`), lower case. */
  private hooked = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private refreshing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: DriverRegistryOptions) {
    this.keys = registryKeys(options.app);
    this.runKeys = runKeys(options.app);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
    void this.refresh().catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  dump(): RegistrationInfo[] {
    return this.rows.map((row) => ({ ...row }));
  }

  /** Re-reads every registration and its stats. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { control } = this.options;
        const entries = await loadEntries(control, this.keys);
        const ordered = [...entries.values()].sort((a, b) => a.createdAt - b.createdAt);
        const stats = await Promise.all(
          ordered.map(async (e) => hashMap(await control.call('HGETALL', this.keys.stats(e.id)))),
        );
        this.entries = entries;
        this.hooked = hookedCommands(entries.values());
        this.rows = ordered.map((entry, i) => registrationRow(entry, stats[i]!));
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async register(
    plan: Plan,
    options: RegisterOptions,
    prior: readonly (unknown[] | null | undefined)[],
  ): Promise<string> {
    const origin = plan.origin;
    if (!origin) {
      throw new GearsError(
        `gear is not shippable: an inline closure cannot be registered on the workers of app '${this.options.app}'. ` +
          'Send it as source text (RG.JSEXECUTE through rxgears serve --app, or runScript), or define it in a gear ' +
          'module (defineGears) that every worker loads with --gears and register it with gears.gear(name)',
      );
    }
    const reader = readerFor(plan.reader);
    validateRegisterOptions(reader, options);
    // What can travel: a script's worker takes its callbacks (onRegistered) from its own evaluation.
    const shippable: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(options)) {
      if (typeof value !== 'function') shippable[name] = value;
      else if (origin.kind === 'gear')
        throw new GearsError(
          `register option '${name}' is a function: it cannot travel to the workers of app '${this.options.app}' (use a script)`,
        );
    }
    await this.refresh();
    if (options.trigger !== undefined && [...this.entries.values()].some((e) => e.trigger === options.trigger))
      throw new GearsError('trigger already registered');
    const { control } = this.options;
    const sequence = Number(await control.call('INCR', this.runKeys.seq));
    const id = `${this.options.initiator().id}-${sequence}`;
    const shipped: RunDescriptor['origin'] =
      origin.kind === 'script'
        ? {
            kind: 'script',
            source: origin.source,
            index: origin.index,
            ...(origin.filename !== undefined ? { filename: origin.filename } : {}),
            ...(origin.description !== undefined ? { description: origin.description } : {}),
          }
        : origin;
    const entry: RegistryEntry = {
      id,
      reader: plan.reader,
      desc: plan.desc,
      mode: options.mode ?? 'async',
      origin: shipped,
      options: encodeValue({ prefix: options.prefix ?? (plan.defaultArg as string | undefined) ?? '*', ...shippable }),
      prior: encodeValue(Array.from(prior, (p) => p ?? null)),
      status: 'OK',
      version: 1,
      ...(options.trigger !== undefined ? { trigger: options.trigger } : {}),
      createdAt: Date.now(),
    };
    await this.write(entry, 'add');
    try {
      await this.acknowledged(id, 1, true);
    } catch (error) {
      await this.remove(id, false).catch(() => undefined);
      throw error;
    }
    await this.refresh().catch(() => undefined);
    return id;
  }

  async unregister(id: string, abortPending: boolean): Promise<void> {
    const entry = await this.entry(id);
    await this.remove(entry.id, abortPending);
    await this.acknowledged(id, 'del', false).catch((error: unknown) =>
      this.options.logger.warn({ registrationId: id, err: error }, `unregister ${id}: ${formatError(error)}`),
    );
    await this.options.control.call('DEL', this.keys.live(id), this.keys.stats(id));
    await this.refresh().catch(() => undefined);
  }

  async setStatus(ids: readonly string[], status: RegistryEntry['status']): Promise<void> {
    const entries = await Promise.all(ids.map((id) => this.entry(id)));
    for (const entry of entries) {
      const changed = { ...entry, status, version: entry.version + 1 };
      await this.write(changed, 'change');
      await this.acknowledged(entry.id, changed.version, false);
    }
    await this.refresh().catch(() => undefined);
  }

  async clearStats(): Promise<void> {
    const entries = await loadEntries(this.options.control, this.keys);
    for (const id of entries.keys()) await this.options.control.call('DEL', this.keys.stats(id));
    await this.options.control.call('XADD', this.keys.log, 'MAXLEN', '~', 1000, '*', 'op', 'clear');
    await this.refresh().catch(() => undefined);
  }

  /** Whether an active registration of the app hooks `command` (as re-read at most a second ago). */
  isHooked(command: string): boolean {
    return this.hooked.has(command.toLowerCase());
  }

  /** Runs a CommandReader registration on the worker that holds the key's task (or slot 0's). */
  async trigger(name: string, args: readonly unknown[], key?: string): Promise<unknown[]> {
    if (![...this.entries.values()].some((e) => e.trigger === name)) await this.refresh();
    if (![...this.entries.values()].some((e) => e.trigger === name)) throw new GearsError(`unknown trigger '${name}'`);
    const fields = ['name', name, ...(key !== undefined ? ['key', key] : []), 'args', encodeValue(args.map(String))];
    const value = (await this.call(fields, key, `trigger '${name}'`)) as { results?: unknown[] };
    return value.results ?? [];
  }

  /**
   * Runs a command's hook chain on the worker that holds its first key's task (or slot 0's): that worker's
   * engine has every registration of the app, so the chain there is the app's; `undefined` when nothing
   * hooks the command there.
   */
  async runHook(
    command: string,
    args: readonly string[],
    inTransaction: boolean,
  ): Promise<RunResult<unknown> | undefined> {
    const [key] = commandKeys(command, args);
    const fields = ['name', command, 'hook', inTransaction ? 'tx' : 'plain', 'args', encodeValue([...args])];
    const value = (await this.call(fields, key, `hook '${command}'`)) as { hook?: RunResult<unknown> | null };
    return value.hook ?? undefined;
  }

  /** A request on the calls stream to the owner of `key`'s task (slot 0's without one), and its answer. */
  private async call(fields: string[], key: string | undefined, what: string): Promise<unknown> {
    const { control, shards, tasks } = this.options;
    const slot = key === undefined ? 0 : hashSlot(key);
    const task = tasks[slotTable(shards)[slot] ?? 0]!;
    const shard = shards[tasks.indexOf(task)]!;
    const req = randomBytes(8).toString('hex');
    const leaseKey = this.runKeys.lease(task);
    const leaseMs = await appLeaseMs(control, this.runKeys, DEFAULT_LEASE_MS);
    const tickMs = Math.max(10, Math.floor(leaseMs / 3));
    // A task being handed over (no lease, or one marked releasing) would drop the call: wait for its owner.
    let leaseAtSend = (await control.call('GET', leaseKey)) as string | null;
    const waitUntil = performance.now() + leaseMs + tickMs;
    while ((leaseAtSend === null || parseLease(leaseAtSend)?.releasing) && performance.now() < waitUntil) {
      await pause(20);
      leaseAtSend = (await control.call('GET', leaseKey)) as string | null;
    }
    await control.call('XADD', this.keys.calls, 'MAXLEN', '~', 1000, '*', 'task', task, 'req', req, ...fields);
    const sentAt = performance.now();
    let checkedAt = sentAt;
    let idle = 1;
    for (;;) {
      const answer = (await control.call('LPOP', this.keys.reply(req))) as string | null;
      if (answer !== null) {
        await control.call('DEL', this.keys.reply(req));
        const value = decodeValue(answer) as { error?: string };
        if (value.error !== undefined) throw new GearsError(value.error);
        return value;
      }
      if (this.closed) throw new GearsError('the engine is closed');
      await pause(idle);
      idle = Math.min(idle * 2, 32);
      if (performance.now() - checkedAt < tickMs) continue;
      checkedAt = performance.now();
      const lease = (await control.call('GET', leaseKey)) as string | null;
      const owner = parseLease(leaseAtSend);
      if (owner && lease !== leaseAtSend)
        throw new GearsError(`worker ${owner.owner} lost shard ${shard.id} (task ${task}) during ${what}`);
      if (!owner && performance.now() - sentAt > leaseMs + tickMs)
        throw new GearsError(`no worker of app '${this.options.app}' owns shard ${shard.id} (task ${task})`);
    }
  }

  private async entry(id: string): Promise<RegistryEntry> {
    const entry = parseEntry((await this.options.control.call('HGET', this.keys.registrations, id)) as string | null);
    if (!entry) throw new GearsError(`registration '${String(id)}' does not exist`);
    return entry;
  }

  private async write(entry: RegistryEntry, op: 'add' | 'change'): Promise<void> {
    const { control } = this.options;
    await control.call('HSET', this.keys.registrations, entry.id, JSON.stringify(entry));
    await control.call('XADD', this.keys.log, 'MAXLEN', '~', 1000, '*', 'op', op, 'id', entry.id);
  }

  private async remove(id: string, abortPending: boolean): Promise<void> {
    const { control } = this.options;
    await control.call('HDEL', this.keys.registrations, id);
    await control.call(
      'XADD',
      this.keys.log,
      'MAXLEN',
      '~',
      1000,
      '*',
      'op',
      'del',
      'id',
      id,
      'abortPending',
      abortPending ? '1' : '0',
    );
  }

  /**
   * Waits until the owner of every task (at its current lease) says it applied `version` of the registration.
   * `everyTask`: a task nobody holds fails it after a lease (register); otherwise such a task is skipped (its
   * next owner loads the registration as stored).
   */
  private async acknowledged(id: string, version: number | 'del', everyTask: boolean): Promise<void> {
    const { control, tasks, shards } = this.options;
    const leaseMs = await appLeaseMs(control, this.runKeys, DEFAULT_LEASE_MS);
    const deadline = performance.now() + 2 * leaseMs + 5_000;
    let idle = 2;
    for (;;) {
      const leases = (await control.call('MGET', ...tasks.map((t) => this.runKeys.lease(t)))) as (string | null)[];
      const live = hashMap(await control.call('HGETALL', this.keys.live(id)));
      let waiting: string | undefined;
      for (let i = 0; i < tasks.length; i++) {
        const task = tasks[i]!;
        const said = live.get(task);
        if (said?.startsWith('!')) throw new GearsError(said.slice(1));
        const lease = parseLease(leases[i] ?? null);
        if (!lease) {
          if (everyTask)
            waiting ??= `no worker of app '${this.options.app}' owns shard ${shards[i]!.id} (task ${task})`;
          continue;
        }
        const at = said?.lastIndexOf(':') ?? -1;
        const prefix = said?.slice(0, at);
        const applied = said?.slice(at + 1);
        const ok =
          prefix === `${lease.owner}:${lease.epoch}` &&
          (version === 'del' ? applied === 'del' : applied !== 'del' && Number(applied) >= version);
        if (!ok)
          waiting ??= `worker ${lease.owner} did not start registration ${id} on shard ${shards[i]!.id} (task ${task}) in time`;
      }
      if (waiting === undefined) return;
      if (performance.now() > deadline) throw new GearsError(waiting);
      await pause(idle);
      idle = Math.min(idle * 2, 50);
    }
  }
}

/** The commands the active entries hook: CommandReader `hook`s and KeysReader `commands`, lower case. */
function hookedCommands(entries: Iterable<RegistryEntry>): Set<string> {
  const hooked = new Set<string>();
  for (const entry of entries) {
    if (entry.status !== 'OK') continue;
    let options: Record<string, unknown>;
    try {
      options = entryOptions(entry);
    } catch {
      continue; // an entry written by another version
    }
    if (typeof options['hook'] === 'string') hooked.add(options['hook'].toLowerCase());
    if (Array.isArray(options['commands'])) for (const c of options['commands']) hooked.add(String(c).toLowerCase());
  }
  return hooked;
}
