/**
 * Peak RSS of workloads 4, 5 and 7 (issue 16): each side runs once more in a child process of its own
 * (`bench/child.ts`), so neither side's memory counts against the other, as workload 6 does for batch reads.
 */
import { log, median, runChild, type ChildReport, type ResultRow } from './harness.ts';

export const MAX_RSS_RATIO = 1.5;

/** Two sides of a workload run in child processes of their own (`bench/child.ts`), alternating. */
export interface ChildSidesSpec {
  id: number;
  workload: string;
  baselineName: string;
  /** Child tasks of the two sides, e.g. `events-paced-rxgears` and `events-paced-baseline`. */
  tasks: { rxgears: string; baseline: string };
  /** The target of one child (a fresh one per child: a stream key or a key prefix must not repeat). */
  target: (child: number) => string | Promise<string>;
  /** Records every child must report. */
  records: number;
  notes: string;
}

/**
 * Runs `children` children per side, alternating rxgears, baseline, rxgears, …, each calling its task `repeat`
 * times, and returns their reports by side; a child that handled another number of records fails the row.
 */
export async function runSides(
  spec: ChildSidesSpec,
  children: number,
  repeat = 1,
): Promise<{ rxgears: ChildReport[]; baseline: ChildReport[] }> {
  const reports = { rxgears: [] as ChildReport[], baseline: [] as ChildReport[] };
  let child = 0;
  for (let i = 0; i < children; i++) {
    for (const side of ['rxgears', 'baseline'] as const) {
      const report = await runChild(spec.tasks[side], await spec.target(child++), { repeat });
      if (report.records !== spec.records)
        throw new Error(`${spec.workload}: ${side} child handled ${report.records} of ${spec.records}`);
      reports[side].push(report);
    }
  }
  return reports;
}

export interface PeakRssSpec extends ChildSidesSpec {
  runs: number;
}

/** Runs each side `runs` times in a fresh child, alternating, and makes the row (median of the peaks). */
export async function peakRssRow(spec: PeakRssSpec): Promise<ResultRow> {
  const reports = await runSides(spec, spec.runs);
  const rss = {
    rxgears: reports.rxgears.map((r) => r.maxRssMB),
    baseline: reports.baseline.map((r) => r.maxRssMB),
  };
  const idle = (await runChild('idle', '')).maxRssMB;
  const fmt = (values: number[]): string => values.map((m) => m.toFixed(0)).join('/');
  log(
    `  peak RSS: rxgears ${fmt(rss.rxgears)} MB | baseline ${fmt(rss.baseline)} MB | idle child ${idle.toFixed(0)} MB`,
  );
  const rx = median(rss.rxgears);
  const base = median(rss.baseline);
  return {
    id: spec.id,
    workload: spec.workload,
    rxgears: rx,
    baseline: base,
    baselineName: spec.baselineName,
    ratio: rx / base,
    unit: 'MB',
    target: `ratio ≤ ${MAX_RSS_RATIO}`,
    met: rx / base <= MAX_RSS_RATIO,
    notes:
      `maxRSS of a child process running one side once (median of ${spec.runs}); ${spec.notes}; ` +
      `a child that loads nothing peaks at ${idle.toFixed(0)} MB`,
    samples: { rxgears: rss.rxgears, baseline: rss.baseline },
  };
}
