import { EMPTY, Observable } from 'rxjs';
import type { ReaderContext } from './types.ts';

/** A StreamReader record: one stream entry. */
export interface StreamRecord {
  key: string;
  id: string;
  value: Record<string, string>;
}

export interface StreamReaderOptions {
  /** Read entries after this id (exclusive; default `'0-0'`, i.e. everything). */
  fromId?: string;
  /** Entries per XRANGE page (default 1000). */
  batch?: number;
}

/**
 * Reads one stream's entries after `fromId`, in pages of XRANGE, on the shard that owns the key.
 *
 * @example
 * GB('StreamReader').map((e) => e.value.temperature).avg().run('sensor:1', { fromId: '0-0' })
 */
export function streamReader(
  context: ReaderContext,
  key: string,
  options: StreamReaderOptions = {},
): Observable<StreamRecord> {
  if (!context.owns(key)) return EMPTY;
  const { store } = context.shard;
  const pageSize = options.batch ?? 1000;
  return new Observable<StreamRecord>((subscriber) => {
    let stopped = false;
    const loop = async (): Promise<void> => {
      let after = options.fromId ?? '0-0';
      for (;;) {
        if (context.demand) await context.demand(); // a distributed run's receivers want more
        if (stopped) return;
        const entries = await store.xrange(key, `(${after}`, '+', pageSize);
        for (const entry of entries) {
          if (stopped) return;
          subscriber.next({ key, id: entry.id, value: entry.value });
        }
        const last = entries[entries.length - 1];
        if (!last || entries.length < pageSize) return;
        after = last.id;
      }
    };
    loop().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      stopped = true;
    };
  });
}
