import { Observable } from 'rxjs';
import type { ScanPage, ShardStore } from '../lib/store/ShardStore.ts';

export const DEFAULT_SCAN_COUNT = 1000;

/** One turn of the event loop: lets queued (auto-pipelined) commands reach the socket first. */
const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * SCANs a shard's keyspace and hands each page of keys to `consume`, which may read them. Page k's records are
 * emitted while page k+1 is being read and page k+2 scanned: both are sent before the emission starts (a turn
 * of the event loop lets a client that auto-pipelines flush them), so Redis works while the steps run. At most
 * two pages are held at once. Stops when unsubscribed. With `demand` (a distributed run), each turn waits for
 * it first: a slow receiver holds the scan.
 */
export function scanPages<R>(
  store: ShardStore,
  match: string,
  count: number,
  consume: (keys: string[]) => Promise<R[]> | R[],
  demand?: () => Promise<void>,
): Observable<R> {
  return new Observable<R>((subscriber) => {
    let stopped = false;
    const scan = (cursor: string): Promise<ScanPage> => store.scan(cursor, { match, count });
    const loop = async (): Promise<void> => {
      let scanning: Promise<ScanPage> | undefined = scan('0');
      let reading: Promise<R[]> | undefined;
      while (scanning || reading) {
        if (demand) {
          await demand();
          if (stopped) return;
        }
        let next: Promise<R[]> | undefined;
        if (scanning) {
          const page: ScanPage = await scanning;
          if (stopped) return;
          scanning = page.cursor !== '0' ? scan(page.cursor) : undefined;
          scanning?.catch(() => undefined); // awaited after this page's emission
          if (page.keys.length > 0) {
            next = Promise.resolve(consume(page.keys));
            next.catch(() => undefined); // awaited on the next turn; no unhandled rejection meanwhile
          }
        }
        if (reading) {
          const records = await reading;
          if (next || scanning) await yieldToIo();
          for (const record of records) {
            if (stopped) return;
            subscriber.next(record);
          }
        }
        reading = next;
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
