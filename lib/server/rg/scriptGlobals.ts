import {
  atomic,
  callNext,
  configGet,
  currentContext,
  execute,
  hashtag,
  log,
  overrideReply,
  type RuntimeContext,
} from '../../engine/runtime.ts';
import { formatError } from '../../errors.ts';
import { types } from 'node:util';
import { isPromiseLike } from '../../rx/index.ts';

/** The helpers whose calls at a script's top level reach Redis: recorded on the primary, replayed on the copies. */
export const EFFECT_HELPERS = ['execute', 'atomic'] as const;

/** `"<Name>: <message>"` for any thrown value, also errors made in the script's realm (not `instanceof Error`). */
export function describeError(error: unknown): string {
  if (types.isNativeError(error) || error instanceof Error) return `${error.name}: ${error.message}`;
  if (error !== null && typeof error === 'object' && typeof (error as Error).message === 'string') {
    const name = typeof (error as Error).name === 'string' ? (error as Error).name : 'Error';
    return `${name}: ${(error as Error).message}`;
  }
  return formatError(error);
}

/** A timer callback that cannot take the process down: a throw or rejection is logged, as Redis logs script errors. */
function guarded(callback: unknown, log: Console): (...args: unknown[]) => void {
  if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  return (...args) => {
    try {
      const result: unknown = (callback as (...a: unknown[]) => unknown)(...args);
      if (isPromiseLike(result)) result.then(undefined, (error: unknown) => log.error(describeError(error)));
    } catch (error) {
      log.error(describeError(error));
    }
  };
}

/** Node's globals a script gets besides the runtime: `console`, timers, encoders, URL, … */
export function baseGlobals(log: Console): Record<string, unknown> {
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

/** The runtime helpers (`execute`, `atomic`, `log`, …) as globals (`registerTimeEvent`: the sandbox binds its own). */
export function runtimeGlobals(): Record<string, unknown> {
  return { execute, atomic, log, configGet, hashtag, callNext, overrideReply };
}

/**
 * `console` for the copy of a script evaluated for another shard: silent while the copy runs its top level
 * (the primary already printed that), the real console inside its gear callbacks.
 */
export function quietAtTopLevel(log: Console, top: RuntimeContext): Console {
  return new Proxy(log, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => (currentContext() === top ? undefined : method.apply(target, args));
    },
  });
}
