import { firstValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { Shard } from '../../lib/cluster/topology.ts';
import type { KeyData, KeyspaceEvent } from '../../lib/store/ShardStore.ts';
import { keysReaderEvents } from '../../readers/keysReaderEvents.ts';
import type { ReaderContext, Trigger } from '../../readers/types.ts';

/** A shard whose store emits the events pushed into `events` and answers reads with a hash `{ f: 'v' }`. */
function fakeShard() {
  const events = new Subject<KeyspaceEvent>();
  const readKeys = vi.fn(async (keys: readonly string[]): Promise<KeyData[]> =>
    keys.map((key) => ({ key, type: 'hash', value: { f: 'v' } }) as KeyData),
  );
  const shard = { id: 's', store: { keyspaceEvents: () => events.asObservable(), readKeys } } as unknown as Shard;
  const context = { shard, owns: () => true, invoke: (fn: () => unknown) => fn() } as unknown as ReaderContext;
  return { events, readKeys, context };
}

async function recordsOf(trigger: Trigger | undefined): Promise<unknown[]> {
  return firstValueFrom(trigger!.records.pipe(toArray()));
}

describe('keysReaderEvents', () => {
  it('with readValue: false, gives { key, event } from the notification without reading the key', async () => {
    const { events, readKeys, context } = fakeShard();
    const triggers: Trigger[] = [];
    const subscription = keysReaderEvents(context, { prefix: 'ev:*', readValue: false }).subscribe((t) =>
      triggers.push(t),
    );
    events.next({ key: 'ev:1', event: 'hset' });
    events.next({ key: 'other', event: 'hset' });
    expect(triggers).toHaveLength(1);
    expect(await recordsOf(triggers[0])).toEqual([{ key: 'ev:1', event: 'hset' }]);
    expect(readKeys).not.toHaveBeenCalled();
    subscription.unsubscribe();
  });

  it('reads the value when the execution subscribes to its records, not when the event arrives', async () => {
    const { events, readKeys, context } = fakeShard();
    const triggers: Trigger[] = [];
    const subscription = keysReaderEvents(context, { prefix: 'ev:*' }).subscribe((t) => triggers.push(t));
    events.next({ key: 'ev:1', event: 'hset' });
    expect(readKeys).not.toHaveBeenCalled();
    expect(await recordsOf(triggers[0])).toEqual([{ key: 'ev:1', type: 'hash', value: { f: 'v' }, event: 'hset' }]);
    expect(readKeys).toHaveBeenCalledTimes(1);
    subscription.unsubscribe();
  });

  it('reads the keys of executions started in the same turn with one readKeys, each with its own record', async () => {
    const { events, readKeys, context } = fakeShard();
    const triggers: Trigger[] = [];
    const subscription = keysReaderEvents(context, { prefix: 'ev:*' }).subscribe((t) => triggers.push(t));
    events.next({ key: 'ev:1', event: 'hset' });
    events.next({ key: 'ev:2', event: 'hdel' });
    const lists = await Promise.all(triggers.map((t) => t.load!()));
    expect(lists).toEqual([
      [{ key: 'ev:1', type: 'hash', value: { f: 'v' }, event: 'hset' }],
      [{ key: 'ev:2', type: 'hash', value: { f: 'v' }, event: 'hdel' }],
    ]);
    expect(readKeys).toHaveBeenCalledTimes(1);
    expect(readKeys.mock.calls[0]![0]).toEqual(['ev:1', 'ev:2']);
    // A later turn reads again.
    expect(await recordsOf(triggers[0])).toEqual(lists[0]);
    expect(readKeys).toHaveBeenCalledTimes(2);
    subscription.unsubscribe();
  });

  it('gives a failed read to every execution of its batch', async () => {
    const { events, readKeys, context } = fakeShard();
    readKeys.mockRejectedValueOnce(new Error('connection lost'));
    const triggers: Trigger[] = [];
    const subscription = keysReaderEvents(context, { prefix: 'ev:*' }).subscribe((t) => triggers.push(t));
    events.next({ key: 'ev:1', event: 'hset' });
    events.next({ key: 'ev:2', event: 'hset' });
    const outcomes = await Promise.allSettled(triggers.map((t) => t.load!()));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    subscription.unsubscribe();
  });
});
