import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type { KeyspaceEvent, ShardStore } from '../../../../lib/store/ShardStore.ts';

/** A key prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `rxgears:spec:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key matching `prefix*` on one store (SCAN, never FLUSHALL: the servers are shared). */
export async function deletePrefix(store: ShardStore, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const page = await store.scan(cursor, { match: `${prefix}*`, count: 1000 });
    cursor = page.cursor;
    // One DEL per key: on a Cluster master the keys of one page span many slots (CROSSSLOT otherwise).
    await Promise.all(page.keys.map((key) => store.call('DEL', key)));
  } while (cursor !== '0');
}

/** Every key under `prefix`, sorted, by a full SCAN. */
export async function scanAll(store: ShardStore, match: string, type?: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const page = await store.scan(cursor, type === undefined ? { match, count: 100 } : { match, count: 100, type });
    cursor = page.cursor;
    keys.push(...page.keys);
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}

/**
 * Waits until a keyspace subscription is live: Redis gives no "subscribed" signal through the interface, so
 * touch a probe key until its event comes back.
 */
export async function untilSubscribed(
  store: ShardStore,
  events: readonly KeyspaceEvent[],
  probeKey: string,
): Promise<void> {
  await vi.waitFor(
    async () => {
      await store.call('SET', probeKey, '1');
      if (!events.some((e) => e.key === probeKey)) throw new Error('no event yet');
    },
    { timeout: 15_000, interval: 50 },
  );
}
