import { GearsError } from '../../lib/errors.ts';
import { keysOnlyReader, type KeysOnlyReaderOptions } from '../keysOnlyReader.ts';
import { defineReader } from '../descriptor.ts';
import { bool, fn, positiveInt } from '../optionRules.ts';

/** KeysOnlyReader: key names only (batch). */
export const KeysOnlyReader = defineReader<string, string, KeysOnlyReaderOptions>({
  name: 'KeysOnlyReader',
  defaultArg: '*',
  run: keysOnlyReader,
  checkArg: (arg) => {
    if (typeof arg !== 'string') throw new GearsError('KeysOnlyReader argument must be a string');
  },
  runOptions: { noScan: bool, count: positiveInt, patternGenerator: fn },
  pauseDropsEvents: true,
});
