import { Observable } from 'rxjs';
import type { ShardStore } from '../lib/store/ShardStore.ts';

export const DEFAULT_SCAN_COUNT = 1000;

/**
 * SCANs a shard's keyspace and hands each page of keys to `consume`, which may read them. The next SCAN is
 * sent before `consume` of the current page is awaited, so scanning and reading overlap (one page ahead, no
 * more, so memory stays bounded). Stops when unsubscribed.
 */
export function scanPages<R>(
  store: ShardStore,
  match: string,
  count: number,
  consume: (keys: string[]) => Promise<R[]> | R[],
): Observable<R> {
  return new Observable<R>((subscriber) => {
    let stopped = false;
    const loop = async (): Promise<void> => {
      let next = store.scan('0', { match, count });
      for (;;) {
        const page = await next;
        if (stopped) return;
        const more = page.cursor !== '0';
        if (more) next = store.scan(page.cursor, { match, count });
        if (page.keys.length > 0) {
          const records = await consume(page.keys);
          for (const record of records) {
            if (stopped) return;
            subscriber.next(record);
          }
        }
        if (!more) return;
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
