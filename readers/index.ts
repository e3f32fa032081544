/** The readers: where records come from, one cold Observable per shard. */
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
export { READER_NAMES, type ReaderName, type ReaderContext, type BatchRead } from './types.ts';
