import { GearsError } from '../errors.ts';
import type { ReaderDescriptor } from '../../readers/descriptor.ts';
import { bool, checkOptions, fn, isString, nonEmptyString, rule, type OptionRules } from '../../readers/optionRules.ts';

/** Options of `register()`, for every reader (each reader reads its own). */
export interface RegisterOptions {
  /** What to watch: keys (KeysReader) or streams (StreamReader); trailing `*` = starts-with, else exact. */
  prefix?: string;
  /** `async` (default): every shard takes part; `async_local`: the event's shard only; `sync`: that shard, in line and in order. */
  mode?: 'async' | 'async_local' | 'sync';
  /** Gather each execution's results at the event's shard (default true). */
  collect?: boolean;
  /** Called once per shard, in its runtime context, when the registration is made. */
  onRegistered?: () => unknown;
  desc?: string;
  /** Names the registration (StreamReader: its consumer group is `rxgears:<name>`). */
  name?: string;
  // KeysReader
  eventTypes?: readonly string[];
  keyTypes?: readonly string[];
  readValue?: boolean;
  /**
   * Run on these commands only (through the server), before their reply, which `overrideReply()` may
   * replace; `keymiss` for reads of missing keys (RedisGears' `commands`).
   */
  commands?: readonly string[];
  // StreamReader
  batch?: number;
  duration?: number;
  onFailedPolicy?: 'continue' | 'abort' | 'retry';
  onFailedRetryInterval?: number;
  trimStream?: boolean;
  /** Seconds between SCANs for matching streams not followed yet (0 = only at registration). */
  rescanInterval?: number;
  // CommandReader
  trigger?: string;
  hook?: string;
  /** With `hook`: only when one of the command's keys starts with this (RedisGears' `keyprefix`). */
  keyPrefix?: string;
  /** Executions of one trigger run one at a time, in arrival order (RedisGears' `inorder`). */
  inOrder?: boolean;
  // TimeEventReader
  /** Seconds between ticks. */
  period?: number;
  /** The key the timer is stored as (deleting it stops the timer). */
  key?: string;
}

/** `register()` options every reader takes. */
const COMMON: OptionRules = {
  // RedisGears calls it `regex`: its message for a prefix that is no string.
  prefix: rule(isString, 'a string', 'regex argument must be a string'),
  mode: rule((v) => v === 'async' || v === 'async_local' || v === 'sync', "'async', 'async_local' or 'sync'"),
  collect: bool,
  onRegistered: fn,
  desc: rule(isString, 'a string'),
  name: nonEmptyString,
};

/**
 * Checks `register()` options where they enter: unknown options and wrong types are `GearsError`s naming the
 * option (RedisGears' message where it has one); readers without an event side refuse to register.
 */
export function validateRegisterOptions(reader: ReaderDescriptor, options: RegisterOptions): void {
  const rules = reader.registerOptions;
  if (!rules) throw new GearsError('reader do not support register');
  if (options === null || typeof options !== 'object') throw new GearsError('register options must be an object');
  checkOptions(options, [COMMON, rules], `${reader.name}.register()`);
  reader.checkRegister?.(options as Readonly<Record<string, unknown>>);
}
