import { GearsError } from '../../lib/errors.ts';
import type { BatchRead } from '../types.ts';
import { keysReader, type KeysRecord, type KeysReaderOptions } from '../keysReader.ts';
import { keysReaderEvents } from '../keysReaderEvents.ts';
import { defineReader } from '../descriptor.ts';
import { bool, positiveInt, stringList, isStringList } from '../optionRules.ts';

/** Key types `keyTypes` may name (Redis' TYPE replies). */
export const KEY_TYPES: readonly string[] = ['string', 'hash', 'list', 'set', 'zset', 'stream'];

const stringArg = (arg: unknown): void => {
  if (typeof arg !== 'string') throw new GearsError('KeysReader argument must be a string');
};

/** KeysReader: SCAN + typed reads in batch; keyspace events when registered. */
export const KeysReader = defineReader<KeysRecord, string, KeysReaderOptions>({
  name: 'KeysReader',
  defaultArg: '*',
  // Typed as full records, as RedisGears users expect; `readValue: false` gives `{ key, event }` ones.
  run: keysReader as BatchRead<string, KeysReaderOptions, KeysRecord>,
  checkArg: stringArg,
  runOptions: { noScan: bool, readValue: bool, count: positiveInt },
  registerOptions: {
    eventTypes: stringList,
    keyTypes: stringList,
    readValue: bool,
    commands: stringList,
  },
  // RedisGears' message for a key type it does not know.
  checkRegister: (options) => {
    const keyTypes = options['keyTypes'];
    if (isStringList(keyTypes) && !(keyTypes as string[]).every((t) => KEY_TYPES.includes(t.toLowerCase())))
      throw new GearsError('unknown key type');
  },
  events: keysReaderEvents,
  pauseDropsEvents: true,
});
