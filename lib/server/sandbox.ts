import { createRequire } from 'node:module';
import { join } from 'node:path';
import { types } from 'node:util';
import { constants as vmConstants, createContext } from 'node:vm';
import * as rxgears from '../index.ts';
import type { Gears, GBFunction } from '../Gears.ts';
import { GearsBuilder } from '../builder/GearsBuilder.ts';
import type { RunResult } from '../engine/Execution.ts';
import { runInContext, type RuntimeContext } from '../engine/runtime.ts';
import { formatError } from '../errors.ts';
import { compileScript } from './compile.ts';

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
 * The runtime helpers scripts get as globals: one entry each, by their export name in `lib/index.ts`. A name
 * the engine does not export yet (`callNext`, with command hooks) is skipped until it does.
 */
const RUNTIME_HELPERS = ['execute', 'atomic', 'log', 'configGet', 'hashtag', 'callNext'] as const;

/** `"<Name>: <message>"` for any thrown value, also errors made in the script's realm (not `instanceof Error`). */
export function describeError(error: unknown): string {
  if (types.isNativeError(error) || error instanceof Error) return `${error.name}: ${error.message}`;
  if (error !== null && typeof error === 'object' && typeof (error as Error).message === 'string') {
    const name = typeof (error as Error).name === 'string' ? (error as Error).name : 'Error';
    return `${name}: ${(error as Error).message}`;
  }
  return formatError(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A timer callback that cannot take the process down: a throw or rejection is logged, as Redis logs script errors. */
function guarded(callback: unknown, log: Console): (...args: unknown[]) => void {
  if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  return (...args) => {
    try {
      const result: unknown = (callback as (...a: unknown[]) => unknown)(...args);
      if (isThenable(result)) result.then(undefined, (error: unknown) => log.error(describeError(error)));
    } catch (error) {
      log.error(describeError(error));
    }
  };
}

function baseGlobals(log: Console): Record<string, unknown> {
  return {
    console: log,
    setTimeout: (fn: unknown, ms?: number, ...args: unknown[]) => setTimeout(guarded(fn, log), ms, ...args),
    setInterval: (fn: unknown, ms?: number, ...args: unknown[]) => setInterval(guarded(fn, log), ms, ...args),
    setImmediate: (fn: unknown, ...args: unknown[]) => setImmediate(guarded(fn, log), ...args),
    clearTimeout,
    clearInterval,
    clearImmediate,
    queueMicrotask: (fn: unknown) => queueMicrotask(guarded(fn, log)),
    structuredClone,
    TextEncoder,
    TextDecoder,
    URL,
    URLSearchParams,
    AbortController,
    AbortSignal,
    atob,
    btoa,
    performance,
  };
}

function runtimeGlobals(): Record<string, unknown> {
  const globals: Record<string, unknown> = {};
  const exported = rxgears as unknown as Record<string, unknown>;
  for (const name of RUNTIME_HELPERS) if (typeof exported[name] === 'function') globals[name] = exported[name];
  return globals;
}

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

interface Action {
  kind: 'run' | 'register';
  promise: Promise<unknown>;
}

function track(actions: Action[], kind: Action['kind'], promise: Promise<unknown>): void {
  // Observed here so a failure is never an unhandled rejection, even when the script never awaits it and
  // fails before runScript gets to it; runScript still sees the failure through `promise`.
  promise.catch(() => undefined);
  actions.push({ kind, promise });
}

/**
 * The engine as the script's builders see it: `run` and `register` are recorded (so the last action decides
 * the reply) and `run` is made unblocking when asked; everything else is the engine itself.
 */
function trackingEngine(gears: Gears, actions: Action[], unblocking: boolean): Gears {
  return new Proxy(gears, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'run') {
        return (plan: unknown, arg: unknown, options: Record<string, unknown> = {}) => {
          const promise = Promise.resolve(
            method.call(target, plan, arg, unblocking ? { ...options, unblocking: true } : options),
          );
          track(actions, 'run', promise);
          return promise;
        };
      }
      if (property === 'register') {
        return (...args: unknown[]) => {
          const promise = Promise.resolve(method.apply(target, args));
          track(actions, 'register', promise);
          return promise;
        };
      }
      return method.bind(target);
    },
  });
}

/** Unregisters what a failed script registered: a script registers all of its gears or none (as RedisGears). */
async function rollBack(gears: Gears, actions: readonly Action[]): Promise<void> {
  for (const action of actions) {
    if (action.kind !== 'register') continue;
    const id = await action.promise.then(String, () => undefined);
    if (id === undefined) continue;
    try {
      gears.unregister(id, { abortPending: true });
    } catch {
      // already gone (the script unregistered it itself)
    }
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
  const actions: Action[] = [];
  const engine = trackingEngine(gears, actions, options.unblocking ?? false);
  const GB: GBFunction = (reader, defaultArg, desc) =>
    new GearsBuilder(engine, gears.GB(reader, defaultArg, desc ?? options.description).plan);
  const globals: Record<string, unknown> = { ...baseGlobals(options.console ?? console), ...runtimeGlobals(), GB };
  if (options.allowRequire) {
    Object.assign(globals, { require: createRequire(join(process.cwd(), 'rxgears-script.js')), process, Buffer });
  }
  const context = createContext(globals, {
    name: `rxgears ${filename}`,
    codeGeneration: { strings: true, wasm: false },
  });
  const script = await compileScript(source, {
    filename,
    ...(options.allowRequire ? { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  await options.beforeRun?.();
  let thrown: { error: unknown } | undefined;
  try {
    const completion: unknown = runInContext(topLevelContext(gears), () =>
      script.runInContext(context, { displayErrors: false }),
    );
    if (isThenable(completion)) await completion;
  } catch (error) {
    thrown = { error };
  }
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
