import { GearsError } from '../../lib/errors.ts';
import { streamReader, type StreamRecord, type StreamReaderOptions } from '../streamReader.ts';
import { streamReaderEvents } from '../streamReaderEvents.ts';
import { defineReader } from '../descriptor.ts';
import { bool, positiveInt, rule, isNonNegativeInteger } from '../optionRules.ts';

const isStreamId = (v: unknown): boolean => typeof v === 'string' && /^\d+(-\d+)?$/.test(v);

/** StreamReader: a stream's entries after `fromId` (batch); a consumer group per registration (events). */
export const StreamReader = defineReader<StreamRecord, string, StreamReaderOptions>({
  name: 'StreamReader',
  defaultArg: '*',
  run: streamReader,
  checkArg: (arg) => {
    if (typeof arg !== 'string') throw new GearsError('StreamReader argument must be a string');
  },
  runOptions: {
    fromId: rule(isStreamId, "a stream id such as '0-0' or '1700000000000-0'"),
    batch: positiveInt,
  },
  registerOptions: {
    batch: positiveInt,
    duration: rule(isNonNegativeInteger, 'a non-negative integer (ms)'),
    onFailedPolicy: rule((v) => v === 'continue' || v === 'abort' || v === 'retry', "'continue', 'abort' or 'retry'"),
    onFailedRetryInterval: rule((v) => typeof v === 'number' && v > 0, 'a positive number of seconds'),
    trimStream: bool,
    rescanInterval: rule(
      (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      'a non-negative number of seconds',
    ),
  },
  checkRegister: (options) => {
    // A sync execution runs in line with the write: it cannot hold the stream back (abort) or wait (retry).
    const policy = options['onFailedPolicy'];
    if (options['mode'] === 'sync' && (policy === 'abort' || policy === 'retry'))
      throw new GearsError('ExecutionMode sync can only be combined with OnFailedPolicy Continue');
  },
  events: streamReaderEvents,
  pauseDropsEvents: false,
  reportsLag: true,
});
