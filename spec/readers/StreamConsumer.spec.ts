import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, type Gears, type StreamRecord } from '../../lib/index.ts';
import { RedisReplyError } from '../../lib/errors.ts';
import type { RedisArg, RedisReply, ShardStore } from '../../lib/store/ShardStore.ts';
import { StreamConsumer, type StreamConsumerSettings } from '../../readers/StreamConsumer.ts';
import { STREAM_CONSUMER_TIMINGS } from '../../readers/streamReaderEvents.ts';
import type { EventControl, TriggerOutcome } from '../../readers/types.ts';
import { deferred, flush } from '../support/rx.ts';
import { until } from '../support/until.ts';
import { storeWith } from './streamTestStore.ts';

/** `real`, with `call` going through `intercept` (which may hold or fail a command before sending it). */
function interceptedStore(
  real: ShardStore,
  intercept: (command: string, args: RedisArg[], send: () => Promise<RedisReply>) => Promise<RedisReply>,
): ShardStore {
  return storeWith(real, {
    call: (command, ...args) => intercept(command.toUpperCase(), args, () => real.call(command, ...args)),
  });
}

interface Handed {
  ids: string[];
  finish: (outcome?: TriggerOutcome) => Promise<void>;
}

/** A consumer on `store` with batches of `batch`, recording what it hands out and what it warns about. */
function consumerOn(store: ShardStore, settings: Partial<StreamConsumerSettings> = {}) {
  const handed: Handed[] = [];
  const warnings: string[] = [];
  const control: EventControl = {
    registrationId: 'r',
    name: 'spec',
    paused: () => false,
    setStatus: () => undefined,
    warn: (message) => void warnings.push(message),
  };
  const consumer = new StreamConsumer(
    store,
    {
      group: 'rxgears:spec',
      consumer: 'me',
      batch: 2,
      duration: 0,
      onFailedPolicy: 'continue',
      retryIntervalMs: 5000,
      trimStream: false,
      ...STREAM_CONSUMER_TIMINGS,
      ...settings,
    },
    control,
    { aborted: false, retrying: 0 },
    (records: StreamRecord[], finished) => {
      handed.push({
        ids: records.map((r) => r.id),
        finish: async (outcome = { status: 'done', errors: [] }) => void (await finished?.(outcome)),
      });
    },
  );
  return { consumer, handed, warnings };
}

let gears: Gears | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  await gears?.close();
  gears = stop = undefined;
});

async function memoryStreamOf(count: number): Promise<{ store: ShardStore; ids: string[] }> {
  const g = (gears = await connect());
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(String(await g.execute('XADD', 's', '*', 'i', String(i))));
  return { store: g.shards[0]!.store, ids };
}

const pendingOf = async (store: ShardStore): Promise<number> =>
  Number(((await store.call('XPENDING', 's', 'rxgears:spec')) as [number])[0]);

describe('StreamConsumer', () => {
  it('reads the next batch while one runs, and hands it out only once the running batch is acknowledged', async () => {
    const { store: real, ids } = await memoryStreamOf(5);
    const acks: ReturnType<typeof deferred<void>>[] = [];
    const store = interceptedStore(real, async (command, _args, send) => {
      if (command === 'XACK') {
        const gate = deferred<void>();
        acks.push(gate);
        await gate.promise;
      }
      return send();
    });
    const { consumer, handed } = consumerOn(store);
    stop = () => consumer.stop();
    consumer.track('s');
    await until(() => handed.length === 1, 'the first batch');
    // Read ahead: delivered to this consumer (pending), not handed out while the first batch runs.
    await until(async () => (await pendingOf(real)) === 4, 'the second batch read ahead');
    expect(handed.map((h) => h.ids)).toEqual([ids.slice(0, 2)]);

    const finishing = handed[0]!.finish();
    await until(() => acks.length === 1, 'the XACK to be sent');
    await flush();
    expect(handed).toHaveLength(1); // the XACK has not answered yet
    acks[0]!.resolve();
    await finishing;
    await until(() => handed.length === 2, 'the second batch');
    expect(handed[1]!.ids).toEqual(ids.slice(2, 4));
    acks.forEach((a) => a.resolve());
  });

  it('hands the next batch out once the XACK before it answers, the read ahead sent before it runs', async () => {
    const { store: real, ids } = await memoryStreamOf(7);
    const sent: string[] = [];
    const heldRead = deferred<void>();
    let newReads = 0;
    const store = interceptedStore(real, async (command, args, send) => {
      sent.push(command === 'XREADGROUP' ? `XREADGROUP ${String(args[args.length - 1])}` : command);
      // The third read of new entries (the one ahead of the second batch) does not answer until released.
      if (command === 'XREADGROUP' && args[args.length - 1] === '>' && ++newReads === 3) await heldRead.promise;
      return send();
    });
    const { consumer, handed } = consumerOn(store);
    stop = () => consumer.stop();
    consumer.track('s');
    await until(() => handed.length === 1, 'the first batch');
    await until(async () => (await pendingOf(real)) === 4, 'the second batch read ahead');
    sent.length = 0;
    await handed[0]!.finish();
    await until(() => handed.length === 2, 'the second batch, while the read after it is still out');
    expect(newReads).toBe(3);
    expect(sent).toEqual(['XACK', 'XREADGROUP >']); // the XACK alone, then the read ahead: before the batch ran
    expect(handed[1]!.ids).toEqual(ids.slice(2, 4));
    heldRead.resolve();
    await handed[1]!.finish();
    await until(() => handed.length === 3, 'the third batch');
    expect(handed[2]!.ids).toEqual(ids.slice(4, 6));
  });

  it('runs a batch whose XACK failed again, before the batch read after it', async () => {
    const { store: real, ids } = await memoryStreamOf(6);
    let failures = 1;
    const store = interceptedStore(real, (command, _args, send) => {
      if (command === 'XACK' && failures > 0) {
        failures--;
        return Promise.reject(new RedisReplyError('ERR injected'));
      }
      return send();
    });
    const { consumer, handed, warnings } = consumerOn(store);
    stop = () => consumer.stop();
    consumer.track('s');
    for (let i = 0; ; i++) {
      await until(() => handed.length > i, `batch ${i + 1}`);
      await handed[i]!.finish();
      if (handed[i]!.ids.includes(ids[5]!)) break;
    }
    expect(handed.map((h) => h.ids)).toEqual([ids.slice(0, 2), ids.slice(0, 2), ids.slice(2, 4), ids.slice(4, 6)]);
    expect(warnings).toEqual([
      "stream 's': acknowledging failed, the batch will run again: RedisReplyError: ERR injected",
    ]);
    await until(async () => (await pendingOf(real)) === 0, 'everything acknowledged');
  });

  it.each(['abort', 'retry'] as const)('reads nothing ahead with onFailedPolicy %s', async (onFailedPolicy) => {
    const { store: real, ids } = await memoryStreamOf(5);
    const reads: string[] = [];
    const store = interceptedStore(real, (command, args, send) => {
      if (command === 'XREADGROUP') reads.push(String(args[args.length - 1]));
      return send();
    });
    const { consumer, handed } = consumerOn(store, { onFailedPolicy });
    stop = () => consumer.stop();
    consumer.track('s');
    await until(() => handed.length === 1, 'the first batch');
    for (let i = 0; i < 5; i++) await flush();
    expect(await pendingOf(real)).toBe(2);
    // This consumer's history ('0'), then new entries once ('>'): nothing after the batch was handed out.
    expect(reads).toEqual(['0', '>']);
    await handed[0]!.finish();
    await until(() => handed.length === 2, 'the second batch');
    expect(handed.map((h) => h.ids)).toEqual([ids.slice(0, 2), ids.slice(2, 4)]);
  });

  it('trims a busy stream at most once per trimEveryMs, and the rest on a later tick', async () => {
    // Fake clock (Date included): every batch below is acknowledged within the same millisecond.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const { store: real } = await memoryStreamOf(10);
      let trims = 0;
      const store = interceptedStore(real, (command, _args, send) => {
        if (command === 'XTRIM') trims++;
        return send();
      });
      const { consumer, handed } = consumerOn(store, { trimStream: true });
      stop = () => consumer.stop();
      const settle = async (condition: () => boolean | Promise<boolean>): Promise<void> => {
        for (let i = 0; i < 1000 && !(await condition()); i++) await flush();
        expect(await condition()).toBe(true);
      };
      consumer.start();
      consumer.track('s');
      for (let i = 0; i < 5; i++) {
        await settle(() => handed.length > i);
        await handed[i]!.finish();
      }
      await settle(async () => (await pendingOf(real)) === 0);
      await settle(() => trims === 1);
      for (let i = 0; i < 10; i++) await flush();
      expect(trims).toBe(1); // the four trims asked for after it wait for the clock
      await vi.advanceTimersByTimeAsync(STREAM_CONSUMER_TIMINGS.trimEveryMs);
      await settle(async () => (await real.call('XLEN', 's')) === 0);
      expect(trims).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
