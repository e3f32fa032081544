/**
 * Workload 4, keyspace events latency: a writer issues HSETs on `ev:<run>:<i>` paced at 2 000/s, and a
 * listener on `ev:*` notes when it sees each key. Latency of a key = the time the listener saw it minus the
 * time the writer's HSET reply arrived, both on this process's clock. rxgears `GB().forEach(…).register(…)`
 * (default `async` mode; with the value read, the default, and with `readValue: false`) against a raw ioredis
 * PSUBSCRIBE handler (alone, and reading the hash with HGETALL like rxgears does). Every write must be seen
 * exactly once, or the run fails. Also exports the pieces workload 7 (bench/eventsLoad.ts) reuses.
 */
import { Redis } from 'ioredis';
import { childCpuRow } from './childCpu.ts';
import { peakRssRow } from './peakRss.ts';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { collectGarbage, log, median, type BenchSettings, type ResultRow } from './harness.ts';

/** Something that calls `onKey(key)` once per keyspace event on `ev:*`. */
export interface EventListener {
  name: string;
  /** Starts listening; resolves once events written after it are seen, with the function that stops it. */
  start(onKey: (key: string) => void): Promise<() => Promise<void>>;
}

export const PREFIX = 'ev:';

/** rxgears as a user writes it: a KeysReader registration on `ev:*` with a `forEach`, default (`async`) mode. */
export function rxgearsListener(gears: Gears, name: string, options: { readValue?: boolean } = {}): EventListener {
  return {
    name,
    async start(onKey) {
      const id = await gears
        .GB()
        // With the value read, a key counts as seen only if the record carries the written hash.
        .forEach((r) => {
          if (options.readValue === false || (r.value as Record<string, string> | null)?.['f'] === 'v') onKey(r.key);
        })
        .register({ prefix: `${PREFIX}*`, ...options });
      return async () => gears.unregister(id);
    },
  };
}

/**
 * What a competent engineer writes without rxgears: `notify-keyspace-events Kh` and PSUBSCRIBE on the keyspace
 * channel of `ev:*`; with `read`, the handler HGETALLs the key (on another connection) before calling `onKey`.
 * (A subscriber connection cannot send other commands, hence the second one.)
 */
export function rawListener(url: string, name: string, read?: Redis): EventListener {
  return {
    name,
    async start(onKey) {
      const sub = new Redis(url);
      await sub.config('SET', 'notify-keyspace-events', 'Kh');
      const channelPrefix = '__keyspace@0__:'.length;
      sub.on('pmessage', (_pattern: string, channel: string) => {
        const key = channel.slice(channelPrefix);
        if (!read) onKey(key);
        else
          // A wrong or failed read leaves the key unseen, which fails the run.
          read.hgetall(key).then(
            (value) => value['f'] === 'v' && onKey(key),
            () => undefined,
          );
      });
      await sub.psubscribe(`__keyspace@0__:${PREFIX}*`);
      return async () => {
        await sub.quit();
      };
    },
  };
}

export interface PacedWrites {
  /** Settles when every HSET was answered. */
  done: Promise<void>;
  sent(): number;
  replied(): number;
}

/**
 * HSET `<prefix><i>` f v for i = 0 … n-1 at `rate` per second. Each tick sends what is due by the elapsed time
 * (not a fixed batch per timer), so late timers catch up instead of drifting. `onReply(i, t)` gets the time
 * each reply arrived.
 */
export function pacedHsets(
  writer: Redis,
  prefix: string,
  n: number,
  rate: number,
  onReply?: (i: number, at: number) => void,
): PacedWrites {
  let sent = 0;
  let replied = 0;
  const done = new Promise<void>((resolve, reject) => {
    let failed = false;
    const start = performance.now();
    const tick = (): void => {
      const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        const i = sent++;
        writer.hset(`${prefix}${i}`, 'f', 'v').then(
          () => {
            onReply?.(i, performance.now());
            if (++replied === n) resolve();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
      if (sent < n && !failed) setTimeout(tick, 1);
    };
    tick();
  });
  return { done, sent: () => sent, replied: () => replied };
}

/** Resolves once `condition()` holds, polling every 10 ms; rejects after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(what());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Counts how often each `<prefix><i>` was seen and when it was seen first; throws on a foreign key. */
export class SeenKeys {
  readonly firstSeen: Float64Array;
  readonly times: Uint16Array;
  total = 0;
  constructor(
    readonly prefix: string,
    readonly n: number,
  ) {
    this.firstSeen = new Float64Array(n);
    this.times = new Uint16Array(n);
  }

  /** The handler: call it with each key the listener reports. */
  readonly see = (key: string): void => {
    const at = performance.now();
    const i = key.startsWith(this.prefix) ? Number(key.slice(this.prefix.length)) : -1;
    if (!(i >= 0 && i < this.n)) throw new Error(`unexpected key ${key}`);
    const before = this.times[i]!;
    this.times[i] = before + 1;
    if (before === 0) this.firstSeen[i] = at;
    this.total++;
  };

  /** Throws unless every key was seen exactly once (a missed or doubled event fails the run). */
  assertExactlyOnce(label: string): void {
    const missing = this.times.filter((t) => t === 0).length;
    const doubled = this.times.filter((t) => t > 1).length;
    if (missing > 0 || doubled > 0)
      throw new Error(`${label}: of ${this.n} writes ${missing} were never seen, ${doubled} seen more than once`);
  }
}

export const RATE = 2_000;
/** p99 may exceed the raw handler's by this much (ms). */
export const TARGET_P99_SLACK_MS = 1;
/** Latency rows print no ratio when the baseline is below this (ms): near zero or negative it means nothing. */
const RATIO_FLOOR_MS = 0.1;

interface RunStats {
  p50: number;
  p99: number;
  /** Keys seen before their HSET reply was processed (negative latency). */
  negative: number;
  /** Client CPU µs per event (writer + listener, this process). */
  cpuPerEvent: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

async function latencyRun(listener: EventListener, writer: Redis, run: number, n: number): Promise<RunStats> {
  const prefix = `${PREFIX}${run}:`;
  const seen = new SeenKeys(prefix, n);
  const replyAt = new Float64Array(n);
  const stop = await listener.start(seen.see);
  collectGarbage();
  const cpuBefore = process.cpuUsage();
  try {
    const writes = pacedHsets(writer, prefix, n, RATE, (i, at) => (replyAt[i] = at));
    await writes.done;
    await waitFor(
      () => seen.total >= n,
      10_000,
      () => `${listener.name}: saw ${seen.total} of ${n} events 10 s after the last write`,
    );
    // Late duplicates would show up here.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await stop();
  }
  const cpu = process.cpuUsage(cpuBefore);
  seen.assertExactlyOnce(listener.name);
  const latencies = new Float64Array(n);
  let negative = 0;
  for (let i = 0; i < n; i++) {
    latencies[i] = seen.firstSeen[i]! - replyAt[i]!;
    if (latencies[i]! < 0) negative++;
  }
  latencies.sort();
  await writer.flushall();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    negative,
    cpuPerEvent: (cpu.user + cpu.system) / n,
  };
}

interface SideResult {
  name: string;
  runs: RunStats[];
  p50: number;
  p99: number;
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const seconds = settings.quick ? 2 : 5;
  const n = RATE * seconds;
  const server = await startRedis();
  const writer = new Redis(server.url);
  const reader = new Redis(server.url);
  let gears: Gears | undefined;
  try {
    gears = await connect(server.url);
    const listeners = [
      rxgearsListener(gears, 'rxgears'),
      rawListener(server.url, 'raw'),
      rxgearsListener(gears, 'rxgears readValue:false', { readValue: false }),
      rawListener(server.url, 'raw + HGETALL', reader),
    ];
    const results: SideResult[] = listeners.map((l) => ({ name: l.name, runs: [], p50: 0, p99: 0 }));
    let run = 0;
    // Alternating rounds after a warm-up round, as `measure` does for throughput.
    for (let round = -1; round < settings.runs; round++) {
      for (const [i, listener] of listeners.entries()) {
        const stats = await latencyRun(listener, writer, run++, n);
        if (round >= 0) results[i]!.runs.push(stats);
      }
    }
    for (const r of results) {
      r.p50 = median(r.runs.map((s) => s.p50));
      r.p99 = median(r.runs.map((s) => s.p99));
      const fmt = (key: keyof RunStats): string => r.runs.map((s) => s[key].toFixed(2)).join('/');
      log(`  ${r.name}: p50 ${fmt('p50')} ms, p99 ${fmt('p99')} ms, cpu/event ${fmt('cpuPerEvent')} µs`);
    }
    const [rx, raw, rxKeyOnly, rawRead] = results as [SideResult, SideResult, SideResult, SideResult];
    const definition =
      `latency = time the handler saw the key − time this process got the HSET reply (same clock, not clamped: ` +
      `a notification can arrive before the reply, so values can be negative); ${n.toLocaleString('en-US')} ` +
      `HSETs at ${RATE}/s per run, each on its own key, every one seen exactly once; per-run percentile, ` +
      `median of ${settings.runs} runs; register({ prefix: 'ev:*' }) default async mode`;
    const negatives = (s: SideResult): string =>
      `${Math.round(median(s.runs.map((x) => x.negative)))} of ${n} negative`;
    const latencyRow = (
      label: string,
      rxSide: SideResult,
      base: SideResult,
      baselineName: string,
      p: 'p50' | 'p99',
    ): ResultRow => {
      const withTarget = p === 'p99';
      return {
        id: 4,
        workload: `keyspace events ${p} latency, ${label}`,
        rxgears: rxSide[p],
        baseline: base[p],
        baselineName,
        // A ratio to a baseline within the measure's noise (or negative) would only mislead.
        ratio: base[p] >= RATIO_FLOOR_MS ? rxSide[p] / base[p] : null,
        unit: 'ms',
        target: withTarget ? `≤ baseline + ${TARGET_P99_SLACK_MS} ms` : '',
        met: withTarget ? rxSide[p] <= base[p] + TARGET_P99_SLACK_MS : null,
        notes:
          `${definition}; rxgears p50 ${rxSide.p50.toFixed(2)} / p99 ${rxSide.p99.toFixed(2)} ms (${negatives(rxSide)}), ` +
          `baseline p50 ${base.p50.toFixed(2)} / p99 ${base.p99.toFixed(2)} ms (${negatives(base)})`,
        samples: { rxgears: rxSide.runs.map((s) => s[p]), baseline: base.runs.map((s) => s[p]) },
      };
    };
    const cpu = (s: SideResult): number => median(s.runs.map((x) => x.cpuPerEvent));
    const rows: ResultRow[] = [
      latencyRow('forEach reading the hash (default)', rx, raw, 'raw ioredis PSUBSCRIBE handler', 'p50'),
      latencyRow('forEach reading the hash (default)', rx, raw, 'raw ioredis PSUBSCRIBE handler', 'p99'),
      latencyRow('forEach reading the hash (default)', rx, rawRead, 'PSUBSCRIBE handler + HGETALL', 'p99'),
      latencyRow('readValue: false', rxKeyOnly, raw, 'raw ioredis PSUBSCRIBE handler', 'p99'),
      {
        id: 4,
        workload: 'keyspace events, client CPU per event (writer + listener), every side in this one process',
        rxgears: cpu(rx),
        baseline: cpu(raw),
        baselineName: 'raw ioredis PSUBSCRIBE handler',
        ratio: cpu(rx) / cpu(raw),
        unit: 'µs/event',
        target: '',
        met: null,
        notes:
          `process CPU (user + system) over the run ÷ events, median; includes the writer's HSETs (same on ` +
          `both sides); rxgears readValue:false ${cpu(rxKeyOnly).toFixed(1)}, raw + HGETALL ${cpu(rawRead).toFixed(1)}`,
        samples: { rxgears: rx.runs.map((s) => s.cpuPerEvent), baseline: raw.runs.map((s) => s.cpuPerEvent) },
      },
    ];
    // Peak RSS (issue 16): each side in a child of its own, the same paced writes, value read.
    rows.push(
      await peakRssRow({
        id: 4,
        workload: `keyspace events, peak RSS, forEach reading the hash (default), ${n.toLocaleString('en-US')} HSETs at ${RATE}/s`,
        baselineName: 'PSUBSCRIBE handler + HGETALL',
        tasks: { rxgears: 'events-paced-rxgears', baseline: 'events-paced-baseline' },
        target: (k) => `${server.url}|${n}|${RATE}|${PREFIX}rss${k}:`,
        records: n,
        runs: settings.quick ? 1 : 2,
        notes: 'the child writes the HSETs itself (writer included on both sides)',
      }),
    );
    // Issue 16's CPU target: each side alone in its process (bench/childCpu.ts), the same paced writes.
    rows.push(
      await childCpuRow({
        id: 4,
        workload: `keyspace events, client CPU per event in a process of its own, forEach reading the hash (default), ${RATE}/s`,
        baselineName: 'PSUBSCRIBE handler + HGETALL',
        tasks: { rxgears: 'events-paced-rxgears', baseline: 'events-paced-baseline' },
        target: (k) => `${server.url}|${n}|${RATE}|${PREFIX}cpu${k}:`,
        records: n,
        calls: settings.quick ? 2 : 3,
        children: settings.quick ? 1 : 3,
        notes: 'the child writes the HSETs itself (writer included on both sides)',
      }),
    );
    return rows;
  } finally {
    await gears?.close();
    writer.disconnect();
    reader.disconnect();
    await server.stop();
  }
}
