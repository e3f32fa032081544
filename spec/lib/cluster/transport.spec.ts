import { describe, expect, it } from 'vitest';
import { firstValueFrom, forkJoin, NEVER, Observable, of, Subject, throwError, toArray } from 'rxjs';
import { InProcessTransport } from '../../../lib/cluster/transport.ts';

const collectAll = (streams: Observable<unknown>[]) => firstValueFrom(forkJoin(streams.map((s) => s.pipe(toArray()))));

describe('InProcessTransport', () => {
  it('delivers each record to the inbox the route names; each inbox completes when every sender is done', async () => {
    const transport = new InProcessTransport();
    const inboxes = transport.exchange(
      [of(1, 2, 3), of(4, 5)],
      (n) => n % 2,
      () => undefined,
    );
    expect(await collectAll(inboxes)).toEqual([
      [2, 4],
      [1, 3, 5],
    ]);
  });

  it('subscribes the senders only once every receiver listens', async () => {
    const transport = new InProcessTransport();
    let subscribed = 0;
    const sender = new Subject<number>();
    const counted = new Observable<number>((s) => {
      subscribed++;
      return sender.subscribe(s);
    });
    const [a, b] = transport.exchange(
      [counted, of<number>()],
      () => 1,
      () => undefined,
    );
    const received: number[] = [];
    a!.subscribe();
    expect(subscribed).toBe(0);
    b!.subscribe((n) => received.push(n));
    expect(subscribed).toBe(1);
    sender.next(7);
    expect(received).toEqual([7]);
  });

  it('reports a sender’s error and treats it as done', async () => {
    const errors: unknown[] = [];
    const transport = new InProcessTransport();
    const inboxes = transport.exchange(
      [throwError(() => new Error('down')), of(1)],
      () => 0,
      (e) => errors.push(e),
    );
    expect(await collectAll(inboxes)).toEqual([[1], []]);
    expect(errors).toEqual([new Error('down')]);
  });

  it('reports a route that throws and drops that record', async () => {
    const errors: unknown[] = [];
    const transport = new InProcessTransport();
    const [only] = transport.exchange(
      [of(1, 2, 3)],
      (n) => {
        if (n === 2) throw new RangeError('no owner');
        return 0;
      },
      (e) => errors.push(e),
    );
    expect(await firstValueFrom(only!.pipe(toArray()))).toEqual([1, 3]);
    expect(errors).toEqual([new RangeError('no owner')]);
  });

  it('in cloning mode sends copies, and reports records that cannot be cloned', async () => {
    const errors: unknown[] = [];
    const record = { nested: { n: 1 } };
    const transport = new InProcessTransport({ clone: true });
    const [only] = transport.exchange<unknown>(
      [of(record, { f: () => 1 }) as Observable<unknown>],
      () => 0,
      (e) => errors.push(e),
    );
    const received: unknown[] = await firstValueFrom(only!.pipe(toArray()));
    expect(received).toEqual([record]);
    expect(received[0]).not.toBe(record);
    expect((errors[0] as Error).name).toBe('DataCloneError');
  });

  it('stops the senders when every receiver unsubscribes', () => {
    const transport = new InProcessTransport();
    let torn = 0;
    const source = new Observable<number>(() => () => void torn++);
    const [a, b] = transport.exchange(
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
});
