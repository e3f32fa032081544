import { NEVER, Observable, of } from 'rxjs';
import type { EventControl, ReaderContext, Trigger } from './types.ts';

/** What a time event's gear gets on each tick. */
export interface TimeEventRecord {
  /** The key the timer is stored as, or null. */
  key: string | null;
  /** When the tick fired (ms since the epoch). */
  time: number;
}

export interface TimeEventRegisterOptions {
  /** Seconds between the end of one tick's execution and the next tick. */
  period?: number;
  /** The key the timer is stored as: deleting it stops the timer. */
  key?: string;
}

/**
 * The TimeEventReader's event side (RedisGears' `registerTE`): one shard runs the timer — the owner of `key`,
 * or without a key the owner of slot 0 (`''` hashes to slot 0) — and every `period` seconds hands out a tick
 * `{ key, time }`. The next tick is scheduled once the tick's execution finished, so ticks never overlap. With a
 * `key`, each tick first checks that the key still exists: once it was deleted the timer stops. Paused, ticks
 * are skipped.
 */
export function timeEventReaderEvents(
  context: ReaderContext,
  options: TimeEventRegisterOptions,
  control: EventControl,
): Observable<Trigger> {
  const key = options.key ?? null;
  if (!context.owns(key ?? '')) return NEVER;
  const periodMs = (options.period ?? 1) * 1000;
  const { shard } = context;
  return new Observable<Trigger>((subscriber) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      if (stopped) return;
      timer = setTimeout(() => void tick(), periodMs);
      timer.unref();
    };
    const tick = async (): Promise<void> => {
      if (key !== null) {
        // A failed check (a reconnecting Redis) is no deletion: the tick runs, the next one checks again.
        const exists = await shard.store.call('EXISTS', key).catch(() => 1);
        if (stopped) return;
        if (exists === 0) {
          control.warn(`time event key '${key}' was deleted: its timer stopped`);
          subscriber.complete();
          return;
        }
      }
      if (control.paused()) return schedule();
      subscriber.next({ shard, records: of<TimeEventRecord>({ key, time: Date.now() }), finished: schedule });
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}
