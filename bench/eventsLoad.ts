/**
 * Workload 7 (issue 5), sustained keyspace events: a writer paces HSETs on `ev:<i>` at 5 000/s for 30 s
 * (BENCH_QUICK: 8 s) on standalone Redis, and a listener counts the events. rxgears is a KeysReader
 * registration as a user writes it (`GB().forEach(count).register({ prefix: 'ev:*' })`, async mode, the hash
 * read into the record); the baseline is a raw ioredis PSUBSCRIBE handler that HGETALLs the key (the same
 * work). Every second it samples written / handled events, the work the engine holds, and memory (heap after
 * a forced GC, RSS), so growth shows; at the end every write must have been handled exactly once.
 */
import { Redis } from 'ioredis';
import { childCpuRow } from './childCpu.ts';
import { peakRssRow } from './peakRss.ts';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { collectGarbage, log, type BenchSettings, type ResultRow } from './harness.ts';
import {
  PREFIX,
  pacedHsets,
  rawListener,
  rxgearsListener,
  SeenKeys,
  waitFor,
  type EventListener,
} from './keyspaceEvents.ts';

export const RATE = 5_000;
/** Heap after GC may grow by this fraction, or this many MB, whichever is larger, between the two samples. */
export const HEAP_TOLERANCE = { fraction: 0.1, mb: 5 };
/** Pending events (written, not yet handled) may grow by a tenth of a second of load between start and end. */
export const PENDING_TOLERANCE = RATE / 10;

interface Sample {
  /** Seconds since the writes started. */
  t: number;
  written: number;
  handled: number;
  /** rxgears: executions triggered and not finished (numTriggered − numSuccess − numFailures − numAborted). */
  inFlight?: number;
  /** rxgears: executions kept by the engine (dumpExecutions(), bounded by MaxExecutions*). */
  kept?: number;
  heapMB: number;
  rssMB: number;
  /** Process CPU over the last second, ms. */
  cpuMs: number;
}

interface LoadRun {
  name: string;
  samples: Sample[];
  written: number;
  /** Handled events per second over the writing time. */
  rate: number;
  /** ms from the last write's reply until every event was handled. */
  drainMs: number;
  cpuPerEventUs: number;
}

const MB = 2 ** 20;
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function loadRun(
  listener: EventListener,
  writer: Redis,
  seconds: number,
  engine?: { gears: Gears },
): Promise<LoadRun> {
  const n = RATE * seconds;
  const seen = new SeenKeys(PREFIX, n);
  const stop = await listener.start(seen.see);
  collectGarbage();
  const samples: Sample[] = [];
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let cpuLast = cpuStart;
  const writes = pacedHsets(writer, PREFIX, n, RATE);
  const sample = (): void => {
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user - cpuLast.user + cpu.system - cpuLast.system) / 1000;
    cpuLast = cpu;
    collectGarbage();
    const memory = process.memoryUsage();
    const s: Sample = {
      t: Math.round((performance.now() - started) / 100) / 10,
      written: writes.replied(),
      handled: seen.total,
      heapMB: memory.heapUsed / MB,
      rssMB: memory.rss / MB,
      cpuMs,
    };
    if (engine) {
      const registration = engine.gears.dumpRegistrations()[0];
      if (registration) {
        const finished = registration.numSuccess + registration.numFailures + registration.numAborted;
        s.inFlight = registration.numTriggered - finished;
      }
      s.kept = engine.gears.dumpExecutions().length;
    }
    samples.push(s);
  };
  const timer = setInterval(sample, 1000);
  let written: number;
  let drainMs: number;
  try {
    await writes.done;
    const writeEnd = performance.now();
    written = writes.replied();
    await waitFor(
      () => seen.total >= n,
      30_000,
      () => `${listener.name}: handled ${seen.total} of ${n} events 30 s after the last write`,
    );
    drainMs = performance.now() - writeEnd;
    await new Promise((resolve) => setTimeout(resolve, 200)); // late duplicates would show up here
  } finally {
    clearInterval(timer);
    await stop();
  }
  const cpu = process.cpuUsage(cpuStart);
  seen.assertExactlyOnce(listener.name);
  await writer.flushall();
  const writeSeconds = (performance.now() - started - drainMs - 200) / 1000;
  return {
    name: listener.name,
    samples,
    written,
    rate: n / (writeSeconds + drainMs / 1000),
    drainMs,
    cpuPerEventUs: (cpu.user + cpu.system) / n,
  };
}

/** Mean of a field over the samples of seconds [from, to). */
function window(samples: readonly Sample[], from: number, to: number, field: (s: Sample) => number): number {
  return mean(samples.filter((s) => s.t >= from && s.t < to).map(field));
}

/** The per-second trace as compact text for the row's notes. */
function trace(run: LoadRun): string {
  return run.samples
    .map(
      (s) =>
        `${s.t.toFixed(0)}s ${s.written}/${s.handled}` +
        (s.inFlight === undefined ? '' : ` inflight ${s.inFlight} kept ${s.kept}`) +
        ` heap ${s.heapMB.toFixed(1)} rss ${s.rssMB.toFixed(0)} cpu ${s.cpuMs.toFixed(0)}`,
    )
    .join('; ');
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const seconds = settings.quick ? 8 : 30;
  // Memory is compared between an early second (after warm-up) and the end.
  const early = settings.quick ? 3 : 10;
  const server = await startRedis();
  const writer = new Redis(server.url);
  const reader = new Redis(server.url);
  let gears: Gears | undefined;
  try {
    gears = await connect(server.url);
    const rx = await loadRun(rxgearsListener(gears, 'rxgears'), writer, seconds, { gears });
    const base = await loadRun(rawListener(server.url, 'raw + HGETALL', reader), writer, seconds);
    const sides = [rx, base];
    const last = seconds; // samples at t ≈ 1 … seconds (+ drain)
    const stats = sides.map((r) => ({
      pendingStart: window(r.samples, 1.5, 6.5, (s) => s.written - s.handled),
      pendingEnd: window(r.samples, last - 5, last + 0.5, (s) => s.written - s.handled),
      heapEarly: window(r.samples, early - 0.5, early + 0.5, (s) => s.heapMB),
      heapEnd: window(r.samples, last - 0.5, last + 0.5, (s) => s.heapMB),
      rssEnd: window(r.samples, last - 0.5, last + 0.5, (s) => s.rssMB),
    }));
    const [rs, bs] = stats as [(typeof stats)[0], (typeof stats)[0]];
    for (const [i, r] of sides.entries()) {
      const s = stats[i]!;
      log(
        `  ${r.name}: ${r.rate.toFixed(0)} events/s handled, drain ${r.drainMs.toFixed(0)} ms, ` +
          `pending ${s.pendingStart.toFixed(0)} → ${s.pendingEnd.toFixed(0)}, heap ${s.heapEarly.toFixed(1)} → ` +
          `${s.heapEnd.toFixed(1)} MB, rss ${s.rssEnd.toFixed(0)} MB, cpu ${r.cpuPerEventUs.toFixed(1)} µs/event`,
      );
      log(`    ${trace(r)}`);
    }
    const heapAllowed = (s: (typeof stats)[0]): number =>
      Math.max(s.heapEarly * HEAP_TOLERANCE.fraction, HEAP_TOLERANCE.mb);
    const base7 = {
      id: 7,
      baselineName: 'raw ioredis PSUBSCRIBE handler + HGETALL',
    };
    const offered = `${RATE.toLocaleString('en-US')} HSET/s for ${seconds} s (${(RATE * seconds).toLocaleString('en-US')} events)`;
    const kept = Math.max(...rx.samples.map((s) => s.kept ?? 0));
    const inFlightMax = Math.max(...rx.samples.map((s) => s.inFlight ?? 0));
    const rows: ResultRow[] = [
      {
        ...base7,
        workload: `sustained keyspace events, handled events/s (${offered})`,
        rxgears: rx.rate,
        baseline: base.rate,
        ratio: rx.rate / base.rate,
        unit: 'events/s',
        target: `≥ ${(RATE * 0.98).toLocaleString('en-US')}/s, all handled once`,
        met: rx.rate >= RATE * 0.98,
        notes:
          `events handled ÷ (writing time + drain); every write handled exactly once (checked); drain after the ` +
          `last write: rxgears ${rx.drainMs.toFixed(0)} ms, baseline ${base.drainMs.toFixed(0)} ms; register({ ` +
          `prefix: 'ev:*' }) async mode, value read (default), forEach counting; rxgears trace (t written/handled, ` +
          `executions in flight and kept, heap after GC MB, RSS MB, CPU ms in that second): ${trace(rx)}`,
        samples: { rxgears: rx.samples.map((s) => s.handled), baseline: base.samples.map((s) => s.handled) },
        cpu: {
          rxgears: 1e6 / rx.cpuPerEventUs,
          baseline: 1e6 / base.cpuPerEventUs,
          ratio: base.cpuPerEventUs / rx.cpuPerEventUs,
        },
      },
      {
        ...base7,
        workload: `sustained keyspace events, pending events at the end (start ${rs.pendingStart.toFixed(0)})`,
        rxgears: rs.pendingEnd,
        baseline: bs.pendingEnd,
        ratio: null,
        unit: 'events',
        target: `end ≤ start + ${PENDING_TOLERANCE}`,
        met: rs.pendingEnd <= rs.pendingStart + PENDING_TOLERANCE,
        notes:
          `pending = HSETs answered − events handled, mean of seconds 2–6 (start) and the last 5 s (end); baseline ` +
          `${bs.pendingStart.toFixed(0)} → ${bs.pendingEnd.toFixed(0)}; rxgears executions in flight at most ` +
          `${inFlightMax}, executions kept at most ${kept} (MaxExecutions / MaxExecutionsPerRegistration bound them)`,
        samples: {
          rxgears: rx.samples.map((s) => s.written - s.handled),
          baseline: base.samples.map((s) => s.written - s.handled),
        },
      },
      {
        ...base7,
        workload: `sustained keyspace events, heap after GC at ${seconds} s (${early} s: ${rs.heapEarly.toFixed(1)} MB)`,
        rxgears: rs.heapEnd,
        baseline: bs.heapEnd,
        ratio: rs.heapEnd / bs.heapEnd,
        unit: 'MB',
        target: `growth ≤ ${HEAP_TOLERANCE.fraction * 100}% or ${HEAP_TOLERANCE.mb} MB`,
        met: rs.heapEnd - rs.heapEarly <= heapAllowed(rs),
        notes:
          `process.memoryUsage().heapUsed after a forced full GC, sampled every second; baseline ${bs.heapEarly.toFixed(1)} → ` +
          `${bs.heapEnd.toFixed(1)} MB (same process, after the rxgears run, so its heap includes rxgears' loaded ` +
          `code); RSS at the end: rxgears ${rs.rssEnd.toFixed(0)} MB, baseline ${bs.rssEnd.toFixed(0)} MB`,
        samples: { rxgears: rx.samples.map((s) => s.heapMB), baseline: base.samples.map((s) => s.heapMB) },
      },
      {
        ...base7,
        workload: 'sustained keyspace events, client CPU per event (writer + listener), both sides in this one process',
        rxgears: rx.cpuPerEventUs,
        baseline: base.cpuPerEventUs,
        ratio: rx.cpuPerEventUs / base.cpuPerEventUs,
        unit: 'µs/event',
        target: '',
        met: null,
        notes: `process CPU (user + system) over the run ÷ events; includes the writer's HSETs and the per-second GC`,
        samples: { rxgears: rx.samples.map((s) => s.cpuMs), baseline: base.samples.map((s) => s.cpuMs) },
      },
    ];
    // Peak RSS (issue 16): each side in a child of its own, the same paced writes.
    rows.push(
      await peakRssRow({
        id: 7,
        workload: `sustained keyspace events, peak RSS (${offered})`,
        baselineName: base7.baselineName,
        tasks: { rxgears: 'events-paced-rxgears', baseline: 'events-paced-baseline' },
        target: (k) => `${server.url}|${RATE * seconds}|${RATE}|${PREFIX}rss${k}:`,
        records: RATE * seconds,
        runs: 1,
        notes: 'the child writes the HSETs itself (writer included on both sides)',
      }),
    );
    // Issue 16's CPU target: each side alone in its process (bench/childCpu.ts), calls of 5 s at the same rate.
    const perCall = RATE * 5;
    rows.push(
      await childCpuRow({
        id: 7,
        workload: `sustained keyspace events, client CPU per event in a process of its own (${RATE.toLocaleString('en-US')} HSET/s)`,
        baselineName: base7.baselineName,
        tasks: { rxgears: 'events-paced-rxgears', baseline: 'events-paced-baseline' },
        target: (k) => `${server.url}|${perCall}|${RATE}|${PREFIX}cpu${k}:`,
        records: perCall,
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
