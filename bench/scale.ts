/**
 * Workload 6, scale: workload 1 (standalone) at growing sizes. Two questions: does the time per record stay
 * flat as the data grows (a linear cost, nothing quadratic, no slowdown from materializing), and does the
 * rxgears process stay small at the largest size (streaming: peak RSS under 1.5× the baseline's)? Peak RSS is
 * measured in child processes, one per run and side, so neither side's memory counts against the other.
 */
import { Redis } from 'ioredis';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { baselineFamilies } from './baselines.ts';
import { BASELINE_NAME, rxgearsFamilies, sides } from './batchMapReduce.ts';
import { loadPeople } from './data.ts';
import {
  log,
  measure,
  median,
  redisCpu,
  runChild,
  throughputRow,
  type BenchSettings,
  type ResultRow,
  type SideTimes,
} from './harness.ts';

/** Per-record time at the largest size may be at most this many times that at the smallest. */
export const MAX_GROWTH = 1.25;
/** rxgears' peak RSS may be at most this many times the baseline's. */
export const MAX_RSS_RATIO = 1.5;

const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const sizes = settings.quick ? [10_000, 30_000, 100_000] : [10_000, 100_000, 1_000_000];
  const server = await startRedis();
  const redis = new Redis(server.url);
  let gears: Gears | undefined;
  const rows: ResultRow[] = [];
  try {
    gears = await connect(server.url);
    const g = gears;
    const measured: { size: number; rx: SideTimes; base: SideTimes }[] = [];
    let loaded = 0;
    for (const size of sizes) {
      log(`  loading hashes ${loaded} … ${size - 1}`);
      await loadPeople(redis, loaded, size);
      loaded = size;
      const [rx, base] = await measure(
        sides(
          size,
          () => rxgearsFamilies(g),
          () => baselineFamilies(redis),
        ),
        settings.runs,
        `scale ${label(size)}`,
        // The first size warms the code up; at the larger ones a warm-up would only double the longest runs.
        { warmup: size === sizes[0], serverCpu: redisCpu([redis]) },
      );
      measured.push({ size, rx: rx!, base: base! });
      rows.push(
        throughputRow(
          {
            id: 6,
            workload: `scale, standalone, ${size.toLocaleString('en-US')} hashes`,
            baselineName: BASELINE_NAME,
            notes: 'median records/s of workload 1 at this size',
          },
          rx!,
          base!,
        ),
      );
    }

    const perRecord = (t: SideTimes): number => (t.median * 1000) / t.records; // µs
    const first = measured[0]!;
    const last = measured[measured.length - 1]!;
    const rxGrowth = perRecord(last.rx) / perRecord(first.rx);
    const baseGrowth = perRecord(last.base) / perRecord(first.base);
    const detail = measured
      .map((m) => `${label(m.size)}: ${perRecord(m.rx).toFixed(2)} vs ${perRecord(m.base).toFixed(2)} µs/record`)
      .join('; ');
    rows.push({
      id: 6,
      workload: `scale, time per record ${label(last.size)} ÷ ${label(first.size)}`,
      rxgears: rxGrowth,
      baseline: baseGrowth,
      baselineName: BASELINE_NAME,
      ratio: null,
      unit: '× (growth)',
      target: `rxgears ≤ ${MAX_GROWTH}`,
      met: rxGrowth <= MAX_GROWTH,
      notes: `flat = 1.0; rxgears vs baseline: ${detail}`,
    });

    // Peak RSS at the largest size, each side in its own process; alternating, median of the runs.
    const rssRuns = settings.quick ? 1 : 2;
    const rss = { rxgears: [] as number[], baseline: [] as number[], idle: [] as number[] };
    for (let i = 0; i < rssRuns; i++) {
      for (const side of ['rxgears', 'baseline'] as const) {
        const report = await runChild(`families-${side}`, server.url);
        if (report.records !== last.size) throw new Error(`scale: ${side} child processed ${report.records} records`);
        rss[side].push(report.maxRssMB);
      }
    }
    rss.idle.push((await runChild('idle', '')).maxRssMB);
    log(
      `  peak RSS: rxgears ${rss.rxgears.map((m) => m.toFixed(0)).join('/')} MB | baseline ${rss.baseline.map((m) => m.toFixed(0)).join('/')} MB | idle child ${rss.idle[0]!.toFixed(0)} MB`,
    );
    const rxRss = median(rss.rxgears);
    const baseRss = median(rss.baseline);
    rows.push({
      id: 6,
      workload: `scale, peak RSS at ${last.size.toLocaleString('en-US')} hashes`,
      rxgears: rxRss,
      baseline: baseRss,
      baselineName: BASELINE_NAME,
      ratio: rxRss / baseRss,
      unit: 'MB',
      target: `ratio < ${MAX_RSS_RATIO}`,
      met: rxRss / baseRss < MAX_RSS_RATIO,
      notes: `maxRSS of a child process running one side once (median of ${rssRuns}); a child that loads nothing peaks at ${rss.idle[0]!.toFixed(0)} MB`,
      samples: { rxgears: rss.rxgears, baseline: rss.baseline },
    });
    return rows;
  } finally {
    await gears?.close();
    redis.disconnect();
    await server.stop();
  }
}
