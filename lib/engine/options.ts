import { GearsError } from '../errors.ts';
import type { ReaderName } from '../../readers/types.ts';

type Check = (value: unknown) => boolean;

const isBoolean: Check = (v) => typeof v === 'boolean';
const isPositiveInteger: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isFunction: Check = (v) => typeof v === 'function';
const isStreamId: Check = (v) => typeof v === 'string' && /^\d+(-\d+)?$/.test(v);

interface OptionRule {
  check: Check;
  expected: string;
}

const RUN_OPTIONS: Record<string, OptionRule> = {
  collect: { check: isBoolean, expected: 'a boolean' },
  mode: { check: (v) => v === 'async' || v === 'async_local', expected: "'async' or 'async_local'" },
  unblocking: { check: isBoolean, expected: 'a boolean' },
  initiator: { check: (v) => typeof v === 'string' && /^[0-9a-f]{40}$/.test(v), expected: 'a 40-hex shard id' },
};

const READER_OPTIONS: Record<ReaderName, Record<string, OptionRule>> = {
  KeysReader: {
    noScan: { check: isBoolean, expected: 'a boolean' },
    readValue: { check: isBoolean, expected: 'a boolean' },
    count: { check: isPositiveInteger, expected: 'a positive integer' },
  },
  KeysOnlyReader: {
    noScan: { check: isBoolean, expected: 'a boolean' },
    count: { check: isPositiveInteger, expected: 'a positive integer' },
    patternGenerator: { check: isFunction, expected: 'a function' },
  },
  StreamReader: {
    fromId: { check: isStreamId, expected: "a stream id such as '0-0' or '1700000000000-0'" },
    batch: { check: isPositiveInteger, expected: 'a positive integer' },
  },
  ShardsIDReader: {},
  GeneratorReader: {},
  CommandReader: {},
};

/**
 * Checks `run()` / `toObservable()` options where they enter: a known option of the wrong type is a
 * `GearsError` naming the option and what it takes; unknown options are rejected so typos do not pass silently.
 */
export function validateRunOptions(reader: ReaderName, options: Record<string, unknown>): void {
  if (options === null || typeof options !== 'object') throw new GearsError('run options must be an object');
  const readerRules = READER_OPTIONS[reader];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const rule = RUN_OPTIONS[name] ?? readerRules[name];
    if (!rule) throw new GearsError(`unknown option '${name}' for ${reader}.run()`);
    if (!rule.check(value)) throw new GearsError(`option '${name}' must be ${rule.expected}`);
  }
}

/** Checks the argument `run()` was given for a reader. */
export function validateReaderArg(reader: ReaderName, arg: unknown): void {
  switch (reader) {
    case 'KeysReader':
    case 'KeysOnlyReader':
    case 'StreamReader':
      if (typeof arg !== 'string') throw new GearsError(`${reader} argument must be a string`);
      return;
    case 'GeneratorReader':
      if (typeof arg !== 'function') throw new GearsError('GeneratorReader argument must be a function');
      return;
    case 'ShardsIDReader':
    case 'CommandReader':
      return;
  }
}
