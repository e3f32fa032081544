import { GearsError } from '../../lib/errors.ts';
import { defineReader } from '../descriptor.ts';
import { nonEmptyString, rule } from '../optionRules.ts';
import { timeEventReaderEvents, type TimeEventRecord } from '../timeEventReader.ts';

const isPeriod = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * TimeEventReader: a tick every `period` seconds on one shard (register only); `registerTimeEvent(period,
 * callback, key)` is its RedisGears-style front.
 */
export const TimeEventReader = defineReader<TimeEventRecord, never>({
  name: 'TimeEventReader',
  runOptions: {},
  registerOptions: {
    // RedisGears' message for a period that is not a number.
    period: rule(isPeriod, 'a positive number of seconds', 'time argument must be a long'),
    key: nonEmptyString,
  },
  checkRegister: (options) => {
    if (options['period'] === undefined) throw new GearsError('time argument must be a long');
  },
  events: timeEventReaderEvents,
  // Ticks are skipped by the source while paused (a dropped tick would leave its timer unscheduled).
  pauseDropsEvents: false,
});
