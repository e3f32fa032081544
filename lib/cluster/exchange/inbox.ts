import { Observable } from 'rxjs';
import { ExecutionAbortedError, GearsError } from '../../errors.ts';
import type { RedisReply, ShardStore } from '../../store/ShardStore.ts';
import { decodeEntry, readRecords } from './entries.ts';
import type { ResolvedTransportOptions } from './options.ts';

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A destination's inbox: reads its stream from the start, drops what it has seen (sequence per sender) and
 * entries under an epoch it does not accept, trims what it consumed (so the stream's length is the backlog
 * senders measure), and completes when every sender's end-of-stage marker arrived with the count it
 * received — a count that differs means records were lost and errors the inbox. An abort marker errors it.
 * The stream is deleted when the inbox ends.
 */
export function receive<T>(
  exchange: string,
  key: string,
  store: ShardStore,
  senders: number,
  options: ResolvedTransportOptions,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let active = true;
    let lastId = '0-0';
    const lastSeq = new Map<number, number>();
    const received = new Array<number>(senders).fill(0);
    const ended = new Set<number>();

    const handle = (fields: readonly RedisReply[]): void => {
      const entry = decodeEntry(fields);
      if (!entry || entry.s < 0 || entry.s >= senders) return;
      const accepted = options.acceptEpoch(entry.s);
      if (accepted !== undefined && entry.e !== accepted) return;
      if (entry.q <= (lastSeq.get(entry.s) ?? -1)) return;
      lastSeq.set(entry.s, entry.q);
      switch (entry.kind) {
        case 'data':
          received[entry.s]! += entry.count;
          for (const record of readRecords(entry.bytes, entry.count)) {
            if (!active) return;
            subscriber.next(record as T);
          }
          return;
        case 'eos':
          ended.add(entry.s);
          if (received[entry.s] !== entry.count)
            throw new GearsError(
              `exchange ${exchange} lost records from shard ${entry.s}: ${entry.count} sent, ${received[entry.s]} received`,
            );
          return;
        case 'abort':
          throw new ExecutionAbortedError(`shard ${entry.s} aborted: ${entry.reason}`);
      }
    };

    const loop = async (): Promise<void> => {
      // What is there now, on the shared connection; when nothing is, XREAD BLOCK until a sender's XADD (on
      // Redis a connection of its own, kept for the next wait; the embedded store parks the read): an idle
      // inbox neither polls nor waits longer than it takes Redis to tell it.
      let block = false;
      while (active) {
        const wait = block ? ['BLOCK', options.blockMs] : [];
        const reply = await store.call('XREAD', 'COUNT', options.readCount, ...wait, 'STREAMS', key, lastId);
        if (!active) return;
        const entries = Array.isArray(reply) ? ((reply[0] as RedisReply[])[1] as RedisReply[][]) : [];
        block = entries.length === 0;
        if (block) continue;
        for (const [id, fields] of entries) {
          lastId = String(id);
          handle(fields as RedisReply[]);
          if (!active) return;
        }
        await store.call('XTRIM', key, 'MINID', lastId);
        if (ended.size === senders) {
          active = false;
          await store.call('DEL', key);
          subscriber.complete();
        }
      }
    };
    loop().catch((error: unknown) => {
      if (!active) return;
      active = false;
      void store.call('DEL', key).catch(() => undefined);
      subscriber.error(error);
    });
    return () => {
      active = false;
    };
  });
}
