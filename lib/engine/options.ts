import { GearsError } from '../errors.ts';
import { readerOf } from '../../readers/index.ts';
import type { ReaderDescriptor } from '../../readers/descriptor.ts';
import { bool, checkOptions, rule, type OptionRules } from '../../readers/optionRules.ts';

/** `run()` / `toObservable()` options every reader takes. */
const RUN_OPTIONS: OptionRules = {
  collect: bool,
  mode: rule((v) => v === 'async' || v === 'async_local', "'async' or 'async_local'"),
  unblocking: bool,
  initiator: rule((v) => typeof v === 'string' && /^[0-9a-f]{40}$/.test(v), 'a 40-hex shard id'),
};

/** The descriptor of a plan's reader (plans come from `GB()`, which refuses unknown readers). */
export function readerFor(name: string): ReaderDescriptor {
  const reader = readerOf(name);
  if (!reader) throw new GearsError('reader does not exists');
  return reader;
}

/**
 * Checks `run()` / `toObservable()` options and argument where they enter: a known option of the wrong type
 * is a `GearsError` naming the option and what it takes; unknown options are rejected so typos do not pass
 * silently; the argument is checked by the reader (`KeysReader argument must be a string`, …).
 */
export function validateRun(reader: ReaderDescriptor, options: Record<string, unknown>, arg: unknown): void {
  if (options === null || typeof options !== 'object') throw new GearsError('run options must be an object');
  checkOptions(options, [RUN_OPTIONS, reader.runOptions], `${reader.name}.run()`);
  reader.checkArg?.(arg);
}
