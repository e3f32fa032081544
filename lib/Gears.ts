import { Observable, type Subscription } from 'rxjs';
import { GearsBuilder, type PlanRunner } from './builder/GearsBuilder.ts';
import type { ReaderArg, ReaderRecord, RunOptions } from './builder/readerTypes.ts';
import { commandSlot } from './cluster/routing.ts';
import { slotTable, type Shard, type Topology } from './cluster/topology.ts';
import { InProcessTransport, type ShardTransport } from './cluster/transport.ts';
import { GearsBuildError, GearsError, ExecutionFailedError } from './errors.ts';
import { BATCH_READERS } from './engine/batchReaders.ts';
import { Execution, type RunResult } from './engine/Execution.ts';
import { validateReaderArg, validateRunOptions } from './engine/options.ts';
import type { Plan } from './engine/plan.ts';
import { runPlan } from './engine/runPlan.ts';
import { trackEngine, type RuntimeContext, type RuntimeEngine } from './engine/runtime.ts';
import type { RedisArg, RedisReply } from './store/ShardStore.ts';
import { READER_NAMES, type ReaderName } from '../readers/types.ts';

/** Options of the engine itself (the backend is chosen by `connect()`). */
export interface GearsOptions {
  /**
   * Clone records that cross shards (`structuredClone`), as a process boundary would. Off by default for
   * speed; the test suites and `rxgears/testing` turn it on so a record that cannot travel fails in tests.
   */
  cloneRecords?: boolean;
}

/** `GB` as bound to an engine: `GB(reader = 'KeysReader', defaultArg = '*', desc?)`. */
export type GBFunction = <N extends ReaderName = 'KeysReader'>(
  reader?: N,
  defaultArg?: ReaderArg<N>,
  desc?: string,
) => GearsBuilder<ReaderRecord<N>, N>;

interface Prepared<T> {
  execution: Execution<T>;
  results: Observable<T>;
}

const DEFAULT_ARGS: Partial<Record<ReaderName, unknown>> = { KeysReader: '*', KeysOnlyReader: '*', StreamReader: '*' };

/**
 * The engine: a topology of shards, the builder bound to it, and the RedisGears command surface. Get one from
 * `connect()`. Its methods are bound, so `const { GB, execute } = gears` works.
 *
 * @example
 * const gears = await connect({ shards: 3 });
 * await gears.execute('HSET', 'person:1', 'name', 'Rick Sanchez', 'age', 70);
 * const { results } = await gears.GB().count().run('person:*'); // [1]
 * await gears.close();
 */
export class Gears implements RuntimeEngine, PlanRunner {
  private readonly transport: ShardTransport;
  private slots: Int32Array;
  private sequence = 0;
  private readonly running = new Set<Execution>();
  private readonly untrack: () => void;
  private closed = false;

  constructor(
    readonly topology: Topology,
    options: GearsOptions = {},
  ) {
    this.transport = new InProcessTransport({ clone: options.cloneRecords ?? false });
    this.slots = slotTable(topology.shards);
    this.untrack = trackEngine(this);
  }

  /** The shards, in slot order. */
  get shards(): readonly Shard[] {
    return this.topology.shards;
  }

  /**
   * Starts a plan: `GB(reader, defaultArg, desc)`. An unknown reader throws `GearsBuildError('reader does not exists')`
   * (RedisGears' message).
   */
  readonly GB: GBFunction = (reader, defaultArg, desc) => {
    const name = reader ?? 'KeysReader';
    if (!READER_NAMES.includes(name)) throw new GearsBuildError('reader does not exists');
    if (desc !== undefined && typeof desc !== 'string') throw new GearsBuildError('description must be a string');
    const plan: Plan = { reader: name, defaultArg: defaultArg ?? DEFAULT_ARGS[name], desc, steps: [] };
    return new GearsBuilder(this, plan);
  };

  /**
   * Runs a Redis command on the shard that owns its keys (keyless commands: the shard that owns slot 0).
   *
   * @example
   * await gears.execute('SET', 'foo', 'bar') // 'OK'
   */
  readonly execute = (command: string, ...args: RedisArg[]): Promise<RedisReply> =>
    this.executeOn(undefined, command, args);

  /** @internal the runtime's `execute()`: keyed commands by slot, keyless ones on `shard`. */
  async executeOn(shard: Shard | undefined, command: string, args: RedisArg[]): Promise<RedisReply> {
    this.assertOpen();
    if (typeof command !== 'string' || command.length === 0) throw new GearsError('execute needs a command name');
    const shards = this.topology.shards;
    let target = shard ?? shards[this.initiatorIndex()]!;
    if (shards.length > 1) {
      const slot = commandSlot(command, args);
      if (slot !== undefined) target = shards[this.slots[slot]!] ?? target;
    }
    return target.store.call(command, ...args);
  }

  /** @internal runs a plan for a builder: `{ results, errors }`, or the id when unblocking. */
  async run<T>(
    plan: Plan,
    arg: unknown,
    options: RunOptions & Record<string, unknown>,
  ): Promise<RunResult<T> | string> {
    const execution = this.start<T>(plan, arg, options);
    if (options.unblocking) return execution.id;
    await execution.done;
    return execution.result();
  }

  /** @internal the results of a plan as an Observable; one execution per subscription. */
  observe<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Observable<T> {
    return new Observable<T>((subscriber) => {
      let prepared: Prepared<T>;
      try {
        prepared = this.prepare<T>(plan, arg, options);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
      const { execution, results } = prepared;
      const subscription: Subscription = results.subscribe({
        next: (record) => subscriber.next(record),
        complete: () => {
          if (execution.errors.length > 0)
            subscriber.error(new ExecutionFailedError(execution.errors, { executionId: execution.id }));
          else subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
  }

  /** Closes the engine: aborts running executions and closes the stores it opened. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const execution of this.running) execution.abort('Execution aborted: the engine closed');
    this.untrack();
    await this.topology.close();
  }

  private start<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Execution<T> {
    const { execution, results } = this.prepare<T>(plan, arg, options);
    this.running.add(execution as Execution);
    void execution.done.then(() => this.running.delete(execution as Execution));
    execution.start(results);
    return execution;
  }

  private prepare<T>(plan: Plan, arg: unknown, options: RunOptions & Record<string, unknown>): Prepared<T> {
    this.assertOpen();
    const read = BATCH_READERS[plan.reader];
    if (!read) throw new GearsError('reader do not support run');
    validateRunOptions(plan.reader, options);
    validateReaderArg(plan.reader, arg);
    const {
      collect = true,
      mode = 'async',
      unblocking: _unblocking,
      initiator: initiatorId,
      ...readerOptions
    } = options;
    const all = this.topology.shards;
    const initiatorShard =
      initiatorId === undefined ? all[this.initiatorIndex()]! : all.find((s) => s.id === initiatorId);
    if (!initiatorShard) throw new GearsError(`unknown initiator shard '${String(initiatorId)}'`);
    const local = mode === 'async_local';
    const shards = local ? [initiatorShard] : all;
    const id = `${initiatorShard.id}-${++this.sequence}`;
    const execution = new Execution<T>(
      id,
      plan,
      shards.map((s) => s.id),
    );
    const contexts = new Map<Shard, RuntimeContext>(
      shards.map((shard) => [shard, { engine: this, shard, executionId: id }]),
    );
    const results = runPlan({
      plan,
      topology: this.topology,
      shards,
      initiator: shards.indexOf(initiatorShard),
      collect,
      local,
      transport: this.transport,
      slotOwner: (slot) => (local ? 0 : (this.slots[slot] ?? -1)),
      read: (context) => read(context, arg, readerOptions),
      runtime: (shard) => contexts.get(shard)!,
      onError: (error) => execution.reportError(error),
    }) as Observable<T>;
    return { execution, results };
  }

  /** The shard that owns slot 0: the default initiator. */
  private initiatorIndex(): number {
    return Math.max(0, this.slots[0]!);
  }

  private assertOpen(): void {
    if (this.closed) throw new GearsError('the engine is closed');
  }
}
