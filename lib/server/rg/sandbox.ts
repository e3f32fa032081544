import { createRequire } from 'node:module';
import { join } from 'node:path';
import { constants as vmConstants, createContext, type Script } from 'node:vm';
import type { Gears, GBFunction } from '../../Gears.ts';
import { GearsBuilder } from '../../builder/GearsBuilder.ts';
import { registerTimeEventVia, restoreTimeEventVia, type TimeEventHost } from '../../engine/timeEvents.ts';
import type { RunResult } from '../../engine/Execution.ts';
import { currentContext, runInContext, type RuntimeContext } from '../../engine/runtime.ts';
import { compileScript } from './compile.ts';
import { ScriptGuard, ScriptTimeoutError } from './guard.ts';
import { guardName } from './instrument.ts';
import { rollBack, trackingEngine, type Action } from './scriptActions.ts';
import { isPromiseLike } from '../../rx/index.ts';
import { baseGlobals, EFFECT_HELPERS, quietAtTopLevel, runtimeGlobals } from './scriptGlobals.ts';
import { EffectLog, ShardCopies, ShardCopy } from './shardCopies.ts';

export { describeError } from './scriptGlobals.ts';
export { ScriptMemoryError, ScriptTimeoutError } from './guard.ts';

/** A script's guard and the global name its inserted checks call it by. */
interface Guarded {
  name: string;
  guard: ScriptGuard;
}

/** How a script runs: the same for `RG.JSEXECUTE` and `rxgears exec`. */
export interface ScriptOptions {
  /** Every `run()` the script starts resolves at once with its execution id (`RG.JSEXECUTE … UNBLOCKING`). */
  unblocking?: boolean;
  /** Give the script `require`, `process`, `Buffer` and dynamic `import()` (`--allow-require`). */
  allowRequire?: boolean;
  /** Default description of the plans the script builds (`RG.JSEXECUTE … DESCRIPTION d`). */
  description?: string;
  /** The script's name in stack traces and syntax errors. */
  filename?: string;
  /** Where the script's `console` writes (default: the process console). */
  console?: Console;
  /**
   * Called once the source compiled, just before it runs: a deployment upgrade unregisters the old
   * registrations here, so a source that does not even compile leaves them untouched.
   */
  beforeRun?: () => unknown;
  /**
   * The script runs again because a server restores its deployment: a time event whose key was deleted
   * meanwhile is not registered again (`registerTimeEvent` resolves with null).
   */
  restoring?: boolean;
}

/**
 * What a script did, decided by its last builder action; `registrations` lists every registration it made
 * (in the order they were started), whatever its last action was.
 */
export type ScriptOutcome = (
  | { kind: 'run'; result: RunResult<unknown> }
  | { kind: 'unblocking'; executionId: string }
  | { kind: 'register'; registrationId: string }
  | { kind: 'none' }
) & { registrations: string[] };

/**
 * The runtime context of a script's top level: this engine and its default shard (the owner of slot 0), so
 * `execute`, `atomic`, `log`, … called outside gear callbacks mean this engine even when the process has
 * several open (tests, an app embedding the server). Callbacks get their own shard's context from the engine.
 */
function topLevelContext(gears: Gears): RuntimeContext {
  const { myId } = gears.infoCluster();
  return {
    engine: gears,
    shard: gears.shards.find((shard) => shard.id === myId) ?? gears.shards[0]!,
    executionId: undefined,
  };
}

/** The globals a script evaluation gets, in a fresh context, and its guard under the name the checks use. */
function newContext(globals: Record<string, unknown>, filename: string, guard: Guarded): object {
  // DONT_CONTEXTIFY: an ordinary global object, not one behind interceptors; with interceptors every global
  // lookup (`Math`, `Number`, …) in a gear's hot loop cost ~60× (issue 18: 123× slower than a library closure).
  const context = createContext(vmConstants.DONT_CONTEXTIFY, {
    name: `rxgears ${filename}`,
    codeGeneration: { strings: true, wasm: false },
  });
  Object.assign(context, globals);
  // Read-only and hidden: a script cannot replace the guard by assigning to it, nor list it.
  Object.defineProperty(context, guard.name, { value: guard.guard, writable: false, enumerable: false });
  return context;
}

/**
 * Evaluates the script's top level in `context` as `top`, its synchronous part stopped after `timeout` ms
 * (Node's own `vm` watchdog: it unwinds the script and throws a catchable error, leaving the process sound).
 */
function evaluate(script: Script, context: object, top: RuntimeContext, timeout: number): unknown {
  try {
    return runInContext(top, () => script.runInContext(context, { displayErrors: false, timeout }));
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new ScriptTimeoutError(
        `Execution timed out: the script ran longer than ScriptMaxBlockTime (${timeout} ms) without yielding`,
      );
    }
    throw error;
  }
}

/**
 * Runs a gear script (JavaScript or TypeScript) in a `node:vm` context whose globals are the runtime: `GB`
 * bound to `gears`, `execute` and the other runtime helpers, `console`, timers — and no `require`, `process`
 * or `import()` unless `allowRequire`. The script's completion value is awaited when it is a Promise, then
 * every action the script started; the last one decides the outcome (`run` → its results, `run` with
 * `unblocking` → the execution id, `register` → the registration id). The first failed action, a thrown error
 * or a syntax error rejects — and then every registration the script made is unregistered again, so a
 * script that fails half-way leaves nothing registered (RedisGears rolls a failed session back the same way).
 *
 * The script is compiled once and evaluated once per shard (`ShardCopy`), so its top-level bindings are per
 * shard as in RedisGears; only the initiator's evaluation acts. Each evaluation's synchronous part is stopped
 * after `ScriptMaxBlockTime` ms with a `ScriptTimeoutError`; its gear callbacks are compiled with budget checks
 * (instrument.ts) and entered through the script's `ScriptGuard`, which stops one that runs longer than
 * `ScriptMaxBlockTime` or grows the heap past `ScriptMaxMemory`. Every `run()` is listed in `dumpExecutions()`
 * while it runs (so it can be aborted) and dropped once a blocking one has its results.
 *
 * `node:vm` is not a security boundary: any engine object handed to the script leads back to the host realm
 * (`GB.constructor('return process')()`). The sandbox keeps scripts from reaching Node by accident; the
 * server's defence against hostile users is loopback binding and `--requirepass`.
 *
 * @example
 * const outcome = await runScript(gears, "GB().map((r) => r.key).run('person:*')");
 * if (outcome.kind === 'run') console.log(outcome.result.results);
 */
export async function runScript(gears: Gears, source: string, options: ScriptOptions = {}): Promise<ScriptOutcome> {
  const filename = options.filename ?? 'script.js';
  const guarded: Guarded = { name: guardName(source), guard: new ScriptGuard(gears) };
  const script = await compileScript(source, {
    filename,
    guard: guarded.name,
    ...(options.allowRequire ? { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  await options.beforeRun?.();
  const log = options.console ?? console;
  const timeout = Number(gears.configGet('ScriptMaxBlockTime')[0]);
  const top = topLevelContext(gears);
  const effects = new EffectLog();
  const copies = gears.shards.filter((shard) => shard !== top.shard).map((s) => new ShardCopy(s, effects, gears));
  const extra = options.allowRequire
    ? { require: createRequire(join(process.cwd(), 'rxgears-script.js')), process, Buffer }
    : {};
  try {
    // The copies first: for a script that builds its gears synchronously, every copy has built its plans
    // by the time the primary's first run() or register() needs them.
    for (const copy of copies) evaluateCopy(script, copy, { gears, log, extra, filename, timeout, options, guarded });
    const actions: Action[] = [];
    const shardCopies = new ShardCopies(copies, (message) => gears.logFrom(undefined, 'warning', message));
    const engine = trackingEngine(gears, {
      actions,
      unblocking: options.unblocking ?? false,
      copies: shardCopies,
      effects,
      guard: guarded.guard,
      origin: { source, filename, ...(options.description !== undefined ? { description: options.description } : {}) },
    });
    const GB: GBFunction = (reader, defaultArg, desc) =>
      new GearsBuilder(engine, gears.GB(reader, defaultArg, desc ?? options.description).plan);
    const globals: Record<string, unknown> = { ...baseGlobals(log), ...runtimeGlobals(), GB, ...extra };
    for (const name of EFFECT_HELPERS) globals[name] = recorded(globals[name], top, effects);
    globals.registerTimeEvent = timeEventsOf(globals, options.restoring === true);
    let thrown: { error: unknown } | undefined;
    try {
      const completion = evaluate(script, newContext(globals, filename, guarded), top, timeout);
      if (isPromiseLike(completion)) await completion;
    } catch (error) {
      thrown = { error };
    }
    return await outcome(gears, actions, thrown);
  } finally {
    effects.close();
  }
}

/** `registerTimeEvent` through the script's own `GB` and `execute`, so the deployment tracks its registration. */
function timeEventsOf(globals: Record<string, unknown>, restoring: boolean): unknown {
  const host: TimeEventHost = {
    GB: globals.GB as TimeEventHost['GB'],
    execute: globals.execute as TimeEventHost['execute'],
  };
  return restoring ? restoreTimeEventVia(host) : registerTimeEventVia(host);
}

/** The runtime helper `real`, its calls at the primary's top level recorded for the copies. */
function recorded(real: unknown, top: RuntimeContext, effects: EffectLog): unknown {
  const call = real as (...args: unknown[]) => Promise<unknown>;
  return (...args: unknown[]) => {
    const result = call(...args);
    if (currentContext() === top) effects.record('call', result);
    return result;
  };
}

interface CopySetup {
  gears: Gears;
  log: Console;
  extra: Record<string, unknown>;
  filename: string;
  timeout: number;
  options: ScriptOptions;
  guarded: Guarded;
}

/**
 * Evaluates the script for one more shard. A copy that throws or rejects only stops (the primary decides
 * the outcome) — unless it ran out of time: a script that loops at top level would loop in the primary too,
 * so the run fails at once instead of after one more limit per shard.
 */
function evaluateCopy(script: Script, copy: ShardCopy, setup: CopySetup): void {
  const { gears, log, extra, filename, timeout, options, guarded } = setup;
  const globals: Record<string, unknown> = {
    ...baseGlobals(quietAtTopLevel(log, copy.top)),
    ...runtimeGlobals(),
    ...extra,
    GB: copy.builder(gears, options.description),
  };
  for (const name of EFFECT_HELPERS) globals[name] = copy.helper(globals[name] as (...a: never[]) => unknown);
  globals.log = copy.quiet(globals.log as (...a: never[]) => unknown);
  globals.registerTimeEvent = timeEventsOf(globals, options.restoring === true);
  try {
    const completion = evaluate(script, newContext(globals, filename, guarded), copy.top, timeout);
    if (isPromiseLike(completion)) completion.then(undefined, () => copy.stop());
  } catch (error) {
    copy.stop();
    if (error instanceof ScriptTimeoutError) throw error;
  }
}

/** Waits for every action, then decides: the first failure (after rolling back), else the last action's outcome. */
async function outcome(
  gears: Gears,
  actions: Action[],
  thrown: { error: unknown } | undefined,
): Promise<ScriptOutcome> {
  // Actions may start actions (`.then(() => GB().run())`): wait until no new one appeared.
  for (let settled = 0; settled < actions.length;) {
    const batch = actions.slice(settled);
    await Promise.allSettled(batch.map((action) => action.promise));
    settled += batch.length;
  }
  const failed = thrown ?? (await firstFailure(actions));
  if (failed) {
    await rollBack(gears, actions);
    throw failed.error;
  }
  const registrations: string[] = [];
  for (const action of actions) if (action.kind === 'register') registrations.push(String(await action.promise));
  const last = actions.at(-1);
  if (!last) return { kind: 'none', registrations };
  const value = await last.promise;
  if (last.kind === 'register') return { kind: 'register', registrationId: String(value), registrations };
  if (typeof value === 'string') return { kind: 'unblocking', executionId: value, registrations };
  return { kind: 'run', result: value as RunResult<unknown>, registrations };
}

/** The first failed action, in the order they started (all have settled). */
async function firstFailure(actions: readonly Action[]): Promise<{ error: unknown } | undefined> {
  for (const action of actions) {
    const failure = await action.promise.then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    if (failure) return failure;
  }
  return undefined;
}
