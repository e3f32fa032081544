/**
 * RedisGears' time events (`registerTE(period, callback)`, here `registerTimeEvent(period, callback, key)`):
 * a callback every `period` seconds, as a TimeEventReader registration. With a `key` the timer is stored in
 * Redis as that key: registering again while the key exists (a restarted process, a restored deployment)
 * takes the timer over, and deleting the key stops it.
 */
import { GearsError } from '../errors.ts';
import type { RedisArg, RedisReply } from '../store/ShardStore.ts';
import type { TimeEventRecord } from '../../readers/timeEventReader.ts';

/** The value of a time event's key: what tells it from a key of the application. */
export const TIME_EVENT_VALUE = 'rxgears:timeEvent';

/** What registering a time event needs: a builder factory (the script's own, so deployments track it) and `execute`. */
export interface TimeEventHost {
  GB(reader: 'TimeEventReader'): {
    forEach(callback: (record: TimeEventRecord) => unknown): {
      register(options: { period: number; key?: string; mode: 'async_local' }): Promise<string>;
    };
  };
  execute(command: string, ...args: RedisArg[]): Promise<RedisReply>;
}

/** `registerTimeEvent` bound to a host. */
export type RegisterTimeEvent = (
  period: number,
  callback: (record: TimeEventRecord) => unknown,
  key?: string,
) => Promise<string>;

/**
 * Registers `callback` to run every `period` seconds (the next tick counts from the end of the previous
 * callback); resolves with the registration id. Errors with RedisGears' messages: `time argument must be a
 * long`, `callback must be a function`; a `key` that holds something else: `key already exists`.
 */
export function registerTimeEventVia(host: TimeEventHost): RegisterTimeEvent {
  return async (period, callback, key) => (await timeEvent(host, period, callback, key, false))!;
}

/**
 * `registerTimeEvent` for a script run again when a server restores its deployment: the timer is the key, so
 * a timer whose key was deleted meanwhile stays stopped — nothing is registered, the key is not made again,
 * and the call resolves with `null`.
 */
export function restoreTimeEventVia(
  host: TimeEventHost,
): (period: number, callback: (record: TimeEventRecord) => unknown, key?: string) => Promise<string | null> {
  return (period, callback, key) => timeEvent(host, period, callback, key, true);
}

async function timeEvent(
  host: TimeEventHost,
  period: number,
  callback: (record: TimeEventRecord) => unknown,
  key: string | undefined,
  restoring: boolean,
): Promise<string | null> {
  if (typeof period !== 'number' || !Number.isFinite(period) || period <= 0)
    throw new GearsError('time argument must be a long');
  if (typeof callback !== 'function') throw new GearsError('callback must be a function');
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0) throw new GearsError('key argument must be a string');
    const value = restoring
      ? await host.execute('GET', key).catch(() => undefined)
      : (await host.execute('SET', key, TIME_EVENT_VALUE, 'NX')) === null
        ? await host.execute('GET', key).catch(() => undefined)
        : TIME_EVENT_VALUE;
    if (restoring && value === null) return null;
    if (value !== TIME_EVENT_VALUE) throw new GearsError('key already exists');
  }
  return host
    .GB('TimeEventReader')
    .forEach(callback)
    .register({ period, ...(key === undefined ? {} : { key }), mode: 'async_local' });
}
