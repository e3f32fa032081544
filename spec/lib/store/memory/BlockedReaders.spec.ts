import { describe, expect, it } from 'vitest';
import { BlockedReaders } from '../../../../lib/store/memory/BlockedReaders.ts';
import { Keyspace } from '../../../../lib/store/memory/Keyspace.ts';
import { BlockRequest } from '../../../../lib/store/memory/types.ts';

describe('BlockedReaders', () => {
  it('retries waiters of a signalled key in blocking order until one replies', async () => {
    const ks = new Keyspace(() => 0);
    const readers = new BlockedReaders(ks);
    let available = 0;
    const take = (): string | undefined => (available > 0 ? String(available--) : undefined);
    const first = readers.block(new BlockRequest(['k'], 0, take));
    const second = readers.block(new BlockRequest(['k', 'other'], 0, take));
    expect([...ks.watched].sort()).toEqual(['k', 'other']);
    available = 1;
    ks.signal('k');
    let rounds = 0;
    readers.serveReady(() => rounds++);
    await expect(first).resolves.toBe('1');
    expect(rounds).toBe(1);
    available = 1;
    ks.signal('other');
    readers.serveReady(() => undefined);
    await expect(second).resolves.toBe('1');
    expect(ks.watched.size).toBe(0);
  });

  it('replies onTimeout after the timeout and rejects a retry that throws', async () => {
    const ks = new Keyspace(() => 0);
    const readers = new BlockedReaders(ks);
    await expect(readers.block(new BlockRequest(['k'], 5, () => undefined, 'late'))).resolves.toBe('late');
    const failing = readers.block(
      new BlockRequest(['k'], 0, () => {
        throw new Error('gone');
      }),
    );
    ks.signal('k');
    readers.serveReady(() => undefined);
    await expect(failing).rejects.toThrow('gone');
  });

  it('rejects every waiter on rejectAll', async () => {
    const ks = new Keyspace(() => 0);
    const readers = new BlockedReaders(ks);
    const waiting = readers.block(new BlockRequest(['a', 'b'], 0, () => undefined));
    readers.rejectAll();
    await expect(waiting).rejects.toThrow('closed');
    expect(ks.watched.size).toBe(0);
  });
});
