import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../lib/store/memory/index.ts';
import type { ScanOptions, ScanPage } from '../../lib/store/ShardStore.ts';
import { scanPages } from '../../readers/scanKeys.ts';
import { until } from '../support/until.ts';

/** A memory store that records its SCAN calls and can be told to fail one. */
class CountingStore extends MemoryStore {
  scans: string[] = [];
  failScanAt = -1;

  override scan(cursor: string, options?: ScanOptions): Promise<ScanPage> {
    this.scans.push(cursor);
    if (this.scans.length - 1 === this.failScanAt) return Promise.reject(new Error('scan refused'));
    return super.scan(cursor, options);
  }
}

const stores: MemoryStore[] = [];

async function storeWith(keys: number): Promise<CountingStore> {
  const store = new CountingStore();
  stores.push(store);
  for (let i = 0; i < keys; i++) await store.call('SET', `k:${i}`, String(i));
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

describe('scanPages', () => {
  it("emits every key's records once, page by page, with at most two pages read ahead of what it emitted", async () => {
    const store = await storeWith(250);
    const pageSizes: number[] = [];
    let emitted = 0;
    let mostAhead = 0;
    const records = await lastValueFrom(
      scanPages(store, 'k:*', 10, (keys) => {
        pageSizes.push(keys.length);
        // Pages handed to `consume` so far, against pages whose every record was emitted.
        let total = 0;
        const pagesEmitted = pageSizes.filter((size) => (total += size) <= emitted).length;
        mostAhead = Math.max(mostAhead, pageSizes.length - pagesEmitted);
        return keys.map((key) => key.toUpperCase());
      }).pipe(
        tap(() => emitted++),
        toArray(),
      ),
    );
    expect(mostAhead).toBe(2);
    expect(records.sort()).toEqual(Array.from({ length: 250 }, (_, i) => `K:${i}`).sort());
    expect(store.scans.at(-1)).not.toBe('0'); // the last SCAN was asked for a cursor, and answered 0
    expect(store.scans[0]).toBe('0');
  });

  it('stops scanning once unsubscribed: no SCAN after the ones already in flight', async () => {
    const store = await storeWith(500);
    const first = await lastValueFrom(scanPages(store, 'k:*', 10, (keys) => keys).pipe(take(3), toArray()));
    expect(first).toHaveLength(3);
    const scansAtStop = store.scans.length;
    // Let anything still queued run: a loop that went on would SCAN the ~50 pages of the keyspace.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.scans.length).toBeLessThanOrEqual(scansAtStop + 1);
    expect(store.scans.length).toBeLessThan(10);
  });

  it('fails the Observable when a SCAN fails, without an unhandled rejection', async () => {
    const store = await storeWith(100);
    store.failScanAt = 2;
    const seen: string[] = [];
    const error = await new Promise<unknown>((resolve) => {
      scanPages(store, 'k:*', 10, (keys) => keys).subscribe({
        next: (key) => seen.push(key),
        error: resolve,
        complete: () => resolve(undefined),
      });
    });
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('scan refused');
    expect(seen.length).toBeLessThan(100);
  });

  it('fails the Observable when reading a page fails', async () => {
    const store = await storeWith(100);
    let pages = 0;
    const result = lastValueFrom(
      scanPages(store, 'k:*', 10, (keys) => {
        if (++pages === 2) return Promise.reject(new Error('read refused'));
        return keys;
      }),
    );
    await expect(result).rejects.toThrow('read refused');
  });

  it('waits for demand before each turn: a receiver that holds demand holds the scan', async () => {
    const store = await storeWith(100);
    let grant: (() => void) | undefined;
    let turns = 0;
    const demand = () =>
      new Promise<void>((resolve) => {
        turns++;
        grant = resolve;
      });
    const seen: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      scanPages(store, 'k:*', 10, (keys) => keys, demand).subscribe({
        next: (key) => seen.push(key),
        error: reject,
        complete: resolve,
      });
    });
    await until(() => turns === 1, 'the first turn asks for demand');
    const scansHeld = store.scans.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(turns).toBe(1);
    expect(store.scans.length).toBe(scansHeld); // no page past the first SCAN while demand is held
    expect(seen).toEqual([]);
    // Grant every turn from now on.
    const pump = setInterval(() => grant?.(), 1);
    await done;
    clearInterval(pump);
    expect(seen).toHaveLength(100);
    expect(turns).toBeGreaterThan(10);
  });
});
