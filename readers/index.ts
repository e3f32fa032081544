/** The readers: where records come from, one cold Observable per shard. */
import { KeysReader } from './descriptors/keysReader.ts';
import { KeysOnlyReader } from './descriptors/keysOnlyReader.ts';
import { StreamReader } from './descriptors/streamReader.ts';
import { ShardsIDReader } from './descriptors/shardsIdReader.ts';
import { GeneratorReader } from './descriptors/generatorReader.ts';
import { CommandReader } from './descriptors/commandReader.ts';
import { TimeEventReader } from './descriptors/timeEventReader.ts';
import type { ReaderDescriptor } from './descriptor.ts';

/**
 * Every reader by the name `GB()` takes: the engine reads a reader's batch side, event side, options and
 * their rules from here. A new reader is a descriptor file and a line here.
 */
export const READERS = {
  KeysReader,
  KeysOnlyReader,
  StreamReader,
  ShardsIDReader,
  GeneratorReader,
  CommandReader,
  TimeEventReader,
};

/** The names `GB()` accepts. */
export type ReaderName = keyof typeof READERS;

/** The names `GB()` accepts, as a list. */
export const READER_NAMES = Object.keys(READERS) as readonly ReaderName[];

/** The descriptor of `name`, or undefined for a name no reader has (a string from a script). */
export function readerOf(name: string): ReaderDescriptor | undefined {
  return Object.hasOwn(READERS, name) ? (READERS[name as ReaderName] as unknown as ReaderDescriptor) : undefined;
}

export { keysReader, type KeysRecord, type KeyNameRecord, type KeysReaderOptions } from './keysReader.ts';
export { keysOnlyReader, type KeysOnlyReaderOptions } from './keysOnlyReader.ts';
export { streamReader, type StreamRecord, type StreamReaderOptions } from './streamReader.ts';
export {
  streamReaderEvents,
  streamConsumerName,
  DEFAULT_STREAM_REGISTER_OPTIONS,
  STREAM_CONSUMER_TIMINGS,
  type StreamReaderRegisterOptions,
} from './streamReaderEvents.ts';
export { shardsIdReader } from './shardsIdReader.ts';
export { generatorReader, type GeneratorSource } from './generatorReader.ts';
export { scanPages } from './scanKeys.ts';
export { timeEventReaderEvents, type TimeEventRecord, type TimeEventRegisterOptions } from './timeEventReader.ts';
export { defineReader, type ReaderDescriptor } from './descriptor.ts';
export { type ReaderContext, type BatchRead } from './types.ts';
