import { describe, expect, it } from 'vitest';
import { firstValueFrom, forkJoin, NEVER, Observable, of, Subject, throwError, toArray } from 'rxjs';
import { InProcessTransport } from '../../../lib/cluster/InProcessTransport.ts';
import { sender, type ShardTransport } from '../../../lib/cluster/transport.ts';
import { ExecutionAbortedError } from '../../../lib/errors.ts';

const collectAll = (streams: Observable<unknown>[]) => firstValueFrom(forkJoin(streams.map((s) => s.pipe(toArray()))));

/** What the engine does at a global step: one link per shard, each shard's output sent through its own link. */
function exchange<T>(
  transport: ShardTransport,
  outputs: readonly Observable<T>[],
  route: (record: T) => number,
  onError: (error: unknown) => void,
  id = 'x:1',
): Observable<T>[] {
  return outputs.map((output, self) => {
    const link = transport.open<T>({ id, self, shards: outputs.length });
    link.run(sender(link, output, route, onError));
    return link.inbox;
  });
}

describe('InProcessTransport', () => {
  it('delivers each record to the inbox the route names; each inbox completes when every sender is done', async () => {
    const inboxes = exchange(
      new InProcessTransport(),
      [of(1, 2, 3), of(4, 5)],
      (n) => n % 2,
      () => undefined,
    );
    expect(await collectAll(inboxes)).toEqual([
      [2, 4],
      [1, 3, 5],
    ]);
  });

  it('keeps exchanges with different ids apart', async () => {
    const transport = new InProcessTransport();
    const a = transport.open<number>({ id: 'a', self: 0, shards: 1 });
    const b = transport.open<number>({ id: 'b', self: 0, shards: 1 });
    a.run(
      sender(
        a,
        of(1),
        () => 0,
        () => undefined,
      ),
    );
    b.run(
      sender(
        b,
        of(2),
        () => 0,
        () => undefined,
      ),
    );
    expect(await collectAll([a.inbox, b.inbox])).toEqual([[1], [2]]);
  });

  it('subscribes the senders only once every receiver listens', async () => {
    let subscribed = 0;
    const source = new Subject<number>();
    const counted = new Observable<number>((s) => {
      subscribed++;
      return source.subscribe(s);
    });
    const [a, b] = exchange(
      new InProcessTransport(),
      [counted, of<number>()],
      () => 1,
      () => undefined,
    );
    const received: number[] = [];
    a!.subscribe();
    expect(subscribed).toBe(0);
    b!.subscribe((n) => received.push(n));
    expect(subscribed).toBe(1);
    source.next(7);
    expect(received).toEqual([7]);
  });

  it('reports a sender’s error and treats it as done', async () => {
    const errors: unknown[] = [];
    const inboxes = exchange(
      new InProcessTransport(),
      [throwError(() => new Error('down')), of(1)],
      () => 0,
      (e) => errors.push(e),
    );
    expect(await collectAll(inboxes)).toEqual([[1], []]);
    expect(errors).toEqual([new Error('down')]);
  });

  it('reports a route that throws and drops that record', async () => {
    const errors: unknown[] = [];
    const route = (n: number): number => {
      if (n === 2) throw new RangeError('no owner');
      return 0;
    };
    const [only] = exchange(new InProcessTransport(), [of(1, 2, 3)], route, (e) => errors.push(e));
    expect(await firstValueFrom(only!.pipe(toArray()))).toEqual([1, 3]);
    expect(errors).toEqual([new RangeError('no owner')]);
  });

  it('reports a send to a shard outside the exchange', async () => {
    const errors: unknown[] = [];
    const [only] = exchange(
      new InProcessTransport(),
      [of(1)],
      () => 4,
      (e) => errors.push(e),
    );
    expect(await firstValueFrom(only!.pipe(toArray()))).toEqual([]);
    expect(errors).toEqual([new RangeError('no shard 4 in this exchange')]);
  });

  it('in cloning mode sends copies, and reports records that cannot be cloned', async () => {
    const errors: unknown[] = [];
    const record = { nested: { n: 1 } };
    const [only] = exchange<unknown>(
      new InProcessTransport({ clone: true }),
      [of(record, { f: () => 1 })],
      () => 0,
      (e) => errors.push(e),
    );
    const received: unknown[] = await firstValueFrom(only!.pipe(toArray()));
    expect(received).toEqual([record]);
    expect(received[0]).not.toBe(record);
    expect((errors[0] as Error).name).toBe('DataCloneError');
  });

  it('stops the senders when every receiver unsubscribes', () => {
    let torn = 0;
    const source = new Observable<number>(() => () => void torn++);
    const [a, b] = exchange(
      new InProcessTransport(),
      [source, NEVER],
      () => 0,
      () => undefined,
    );
    const first = a!.subscribe();
    const second = b!.subscribe();
    first.unsubscribe();
    expect(torn).toBe(0);
    second.unsubscribe();
    expect(torn).toBe(1);
  });

  it('counts done once per link, and completes the inboxes only when every link is done', () => {
    const transport = new InProcessTransport();
    const [a, b] = [0, 1].map((self) => transport.open<number>({ id: 'd', self, shards: 2 }));
    let completed = false;
    a!.inbox.subscribe({ complete: () => (completed = true) });
    b!.inbox.subscribe();
    a!.done();
    a!.done();
    expect(completed).toBe(false);
    b!.done();
    expect(completed).toBe(true);
  });

  it('abort stops every sender and errors every inbox with the reason', () => {
    const transport = new InProcessTransport();
    const [a, b] = [0, 1].map((self) => transport.open<number>({ id: 'ab', self, shards: 2 }));
    let torn = 0;
    a!.run(new Observable<never>(() => () => void torn++));
    const errors: unknown[] = [];
    a!.inbox.subscribe({ error: (e) => errors.push(e) });
    b!.inbox.subscribe({ error: (e) => errors.push(e) });
    b!.abort('worker gone');
    expect(torn).toBe(1);
    expect(errors).toEqual([new ExecutionAbortedError('worker gone'), new ExecutionAbortedError('worker gone')]);
    expect(errors[0]).toBeInstanceOf(ExecutionAbortedError);
  });

  it('refuses a link outside the exchange or opened twice', () => {
    const transport = new InProcessTransport();
    expect(() => transport.open({ id: 'r', self: 2, shards: 2 })).toThrow(RangeError);
    transport.open({ id: 'r', self: 0, shards: 2 });
    expect(() => transport.open({ id: 'r', self: 0, shards: 2 })).toThrow('already open');
  });
});
