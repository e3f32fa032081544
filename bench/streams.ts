/**
 * Workload 5, streams: drain a stream of `n` messages through a consumer group, batches of 500, each message
 * counted and its field `n` summed, every batch acknowledged. rxgears: a `GB('StreamReader')` registration
 * (`batch: 500`) against the loop a competent engineer writes with ioredis: XGROUP CREATE, then XREADGROUP
 * COUNT 500 `>` in a loop, the XACK of each batch sent in one pipeline with the next read, until a read comes
 * back empty.
 *
 * Every timed run consumes a stream of its own, loaded before `measure` starts (pipelined XADD, untimed), so
 * both sides find the same data, fresh, and neither side's leftovers (groups, pending entries) touch the other.
 */
import { Redis } from 'ioredis';
import { peakRssRow } from './peakRss.ts';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { log, measure, redisCpu, throughputRow, type BenchSettings, type ResultRow, type Side } from './harness.ts';

/** Issue 16's target (issue 1's was 0.8). */
export const TARGET_RATIO = 1.0;
export const BATCH = 500;
export const BASELINE_NAME = 'ioredis XREADGROUP COUNT 500 + XACK pipelined with the next read';

const PIPELINE = 1000;
const IN_FLIGHT = 8;

/** What a side computed over one stream: messages seen and the sum of their `n` fields. */
export interface Tally {
  count: number;
  sum: number;
}

/** Loads `n` messages `{ n: i, page: /p<i % 10> }` into `key` with pipelined XADDs, 8 pipelines in flight. */
export async function loadStream(redis: Redis, key: string, n: number): Promise<void> {
  const write = async (from: number): Promise<void> => {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(from + PIPELINE, n); i++) pipeline.xadd(key, '*', 'n', i, 'page', `/p${i % 10}`);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  };
  // Stream ids must grow, and they do whatever the order the pipelines land in; the ids only order entries.
  for (let from = 0; from < n; from += PIPELINE * IN_FLIGHT) {
    const batch: Promise<void>[] = [];
    for (let k = 0; k < IN_FLIGHT && from + k * PIPELINE < n; k++) batch.push(write(from + k * PIPELINE));
    await Promise.all(batch);
  }
}

/**
 * The baseline: one consumer reads `key` through group `g` until nothing new is left, 500 at a time. The ids of
 * a batch are acknowledged in the same pipeline as the next XREADGROUP (one round trip per batch instead of
 * two; an entry is acknowledged only after it was processed, as with rxgears).
 */
export async function baselineDrain(redis: Redis, key: string, group: string, batch = BATCH): Promise<Tally> {
  await redis.xgroup('CREATE', key, group, '0');
  const tally: Tally = { count: 0, sum: 0 };
  let toAck: string[] = [];
  for (;;) {
    const pipeline = redis.pipeline();
    if (toAck.length > 0) pipeline.xack(key, group, ...toAck);
    pipeline.xreadgroup('GROUP', group, 'c', 'COUNT', batch, 'STREAMS', key, '>');
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const read = replies[replies.length - 1]![1] as [string, [string, string[]][]][] | null;
    const entries = read?.[0]?.[1] ?? [];
    if (entries.length === 0) return tally;
    toAck = [];
    for (const [id, fields] of entries) {
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if (fields[i] === 'n') tally.sum += Number(fields[i + 1]);
      }
      tally.count++;
      toAck.push(id);
    }
  }
}

/**
 * The rxgears side: a StreamReader registration on exactly `key`, `batch: 500`, counting and summing in a
 * `forEach`; done once every message was handled and nothing is pending in its group (the last XACK landed),
 * then unregistered. `trimStream: false`, as the baseline does not trim either.
 */
export async function rxgearsDrain(
  gears: Gears,
  redis: Redis,
  key: string,
  n: number,
  name: string,
  batch = BATCH,
): Promise<Tally> {
  const tally: Tally = { count: 0, sum: 0 };
  let handledAll!: () => void;
  const handled = new Promise<void>((resolve) => (handledAll = resolve));
  const id = await gears
    .GB('StreamReader')
    .forEach((r) => {
      tally.sum += Number(r.value['n']);
      if (++tally.count === n) handledAll();
    })
    .register({ prefix: key, batch, name, trimStream: false });
  try {
    await handled;
    // The last batch is acknowledged right after its execution: wait for that, polling XPENDING.
    while (((await redis.xpending(key, `rxgears:${name}`)) as [number])[0] > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    gears.unregister(id);
  }
  return tally;
}

/** Throws unless `tally` is exactly `n` messages, their `n` fields summed, and no entry of `group` is pending. */
async function check(redis: Redis, side: string, key: string, group: string, n: number, tally: Tally): Promise<void> {
  const sum = (n * (n - 1)) / 2;
  if (tally.count !== n || tally.sum !== sum) {
    throw new Error(`streams: ${side} handled ${tally.count} messages (sum ${tally.sum}), expected ${n} (sum ${sum})`);
  }
  const [pending] = (await redis.xpending(key, group)) as [number];
  if (pending !== 0) throw new Error(`streams: ${side} left ${pending} entries of ${key} pending`);
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const n = settings.quick ? 20_000 : 200_000;
  const server = await startRedis();
  const redis = new Redis(server.url);
  let gears: Gears | undefined;
  try {
    // One fresh stream per run and side (the warm-up included), loaded before any timing.
    const perSide = settings.runs + 1;
    const started = performance.now();
    const streams = { rxgears: [] as string[], baseline: [] as string[] };
    for (let i = 0; i < perSide; i++) {
      for (const side of ['rxgears', 'baseline'] as const) {
        const key = `bench:stream:${side}:${i}`;
        await loadStream(redis, key, n);
        const length = await redis.xlen(key);
        if (length !== n) throw new Error(`streams: loaded ${length} messages into ${key}, wanted ${n}`);
        streams[side].push(key);
      }
    }
    log(`  loaded ${2 * perSide} streams of ${n} messages (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    gears = await connect(server.url);
    const g = gears;
    let rxRun = 0;
    let baseRun = 0;
    const sides: Side[] = [
      {
        name: 'rxgears',
        run: async () => {
          const key = streams.rxgears[rxRun]!;
          const name = `bench${rxRun++}`;
          const tally = await rxgearsDrain(g, redis, key, n, name);
          await check(redis, 'rxgears', key, `rxgears:${name}`, n, tally);
          return tally.count;
        },
      },
      {
        name: 'baseline',
        run: async () => {
          const key = streams.baseline[baseRun++]!;
          const tally = await baselineDrain(redis, key, 'g');
          await check(redis, 'baseline', key, 'g', n, tally);
          return tally.count;
        },
      },
    ];
    const times = await measure(sides, settings.runs, 'streams', { serverCpu: redisCpu([redis]) });
    const rows: ResultRow[] = [
      throughputRow(
        {
          id: 5,
          workload: `streams, standalone, ${n.toLocaleString('en-US')} messages, batch ${BATCH}`,
          baselineName: BASELINE_NAME,
          notes:
            `median messages/s from registration (or XGROUP CREATE) until every message is handled and ` +
            `acknowledged; GB('StreamReader').forEach(count + sum).register({ prefix: <stream>, batch: ${BATCH}, ` +
            `trimStream: false }); a fresh preloaded stream per run`,
        },
        times[0]!,
        times[1]!,
        { minRatio: TARGET_RATIO },
      ),
    ];
    // Peak RSS (issue 16): each side drains a fresh copy of the stream in a child of its own.
    rows.push(
      await peakRssRow({
        id: 5,
        workload: `streams, peak RSS, ${n.toLocaleString('en-US')} messages, batch ${BATCH}`,
        baselineName: BASELINE_NAME,
        tasks: { rxgears: 'streams-rxgears', baseline: 'streams-baseline' },
        target: async () => {
          await redis.del('stream:0');
          await loadStream(redis, 'stream:0', n);
          return `${server.url}|${n}`;
        },
        records: n,
        runs: settings.quick ? 1 : 2,
        notes: 'the stream is loaded before the child starts',
      }),
    );
    return rows;
  } finally {
    await gears?.close();
    redis.disconnect();
    await server.stop();
  }
}
