import { GearsError } from '../errors.ts';
import type { ReaderName } from '../../readers/types.ts';

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
}

type Check = (value: unknown) => boolean;
interface Rule {
  check: Check;
  expected: string;
}

const isString: Check = (v) => typeof v === 'string';
const isBoolean: Check = (v) => typeof v === 'boolean';
const isStringList: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const rule = (check: Check, expected: string): Rule => ({ check, expected });

const COMMON: Record<string, Rule> = {
  prefix: rule(isString, 'a string'),
  mode: rule((v) => v === 'async' || v === 'async_local' || v === 'sync', "'async', 'async_local' or 'sync'"),
  collect: rule(isBoolean, 'a boolean'),
  onRegistered: rule((v) => typeof v === 'function', 'a function'),
  desc: rule(isString, 'a string'),
  name: rule((v) => typeof v === 'string' && v.length > 0, 'a non-empty string'),
};

const BY_READER: Partial<Record<ReaderName, Record<string, Rule>>> = {
  KeysReader: {
    eventTypes: rule(isStringList, 'a list of strings'),
    keyTypes: rule(isStringList, 'a list of strings'),
    readValue: rule(isBoolean, 'a boolean'),
  },
  StreamReader: {
    batch: rule((v) => Number.isInteger(v) && (v as number) > 0, 'a positive integer'),
    duration: rule((v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer (ms)'),
    onFailedPolicy: rule((v) => v === 'continue' || v === 'abort' || v === 'retry', "'continue', 'abort' or 'retry'"),
    onFailedRetryInterval: rule((v) => typeof v === 'number' && v > 0, 'a positive number of seconds'),
    trimStream: rule(isBoolean, 'a boolean'),
    rescanInterval: rule(
      (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      'a non-negative number of seconds',
    ),
  },
  CommandReader: {
    trigger: rule((v) => typeof v === 'string' && v.length > 0, 'a non-empty string'),
    hook: rule((v) => typeof v === 'string' && v.length > 0, 'a command name'),
  },
};

/**
 * Checks `register()` options where they enter: unknown options and wrong types are `GearsError`s naming the
 * option; readers without an event side refuse to register.
 */
export function validateRegisterOptions(reader: ReaderName, options: RegisterOptions): void {
  const rules = BY_READER[reader];
  if (!rules) throw new GearsError('reader do not support register');
  if (options === null || typeof options !== 'object') throw new GearsError('register options must be an object');
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const found = COMMON[name] ?? rules[name];
    if (!found) throw new GearsError(`unknown option '${name}' for ${reader}.register()`);
    if (!found.check(value)) throw new GearsError(`option '${name}' must be ${found.expected}`);
  }
  if (reader === 'CommandReader') {
    if (options.trigger === undefined && options.hook === undefined)
      throw new GearsError('no trigger or hook argument was given');
    if (options.trigger !== undefined && options.hook !== undefined)
      throw new GearsError('trigger and hook can not be given together');
  }
}
