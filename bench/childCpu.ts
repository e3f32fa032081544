/**
 * Client CPU per event of workloads 4 and 7 (issue 16), each side in child processes of its own
 * (`bench/child.ts`): the in-process rows put both sides in one process, where the side that runs second
 * inherits the first one's heap and loaded code, and a forced GC every second (workload 7's sampling) costs
 * each side by its heap. Here a child runs one side only — the listener and the writer of its paced HSETs, as a
 * user's process would — for a warm-up call and then timed calls; children of the two sides alternate, and the
 * row is the median of the timed calls.
 */
import { log, median, type ChildReport, type ResultRow } from './harness.ts';
import { runSides, type ChildSidesSpec } from './peakRss.ts';

/** Issue 16: client CPU per event at most this multiple of the raw handler with HGETALL. */
export const MAX_CPU_RATIO = 1.3;

export interface ChildCpuSpec extends ChildSidesSpec {
  /** Calls per child, the first one a warm-up (JIT, connections) left out of the row. */
  calls: number;
  /** Children per side, alternating rxgears, baseline, rxgears, … */
  children: number;
}

/** Runs the children and makes the row: µs of process CPU per event, median over every timed call. */
export async function childCpuRow(spec: ChildCpuSpec): Promise<ResultRow> {
  const reports = await runSides(spec, spec.children, spec.calls);
  // Every timed call's µs per event: the first call of each child is its warm-up.
  const timed = (side: ChildReport[]): number[] =>
    side.flatMap((report) => report.cpuMs.slice(1).map((ms) => (ms * 1000) / spec.records));
  const perEvent = { rxgears: timed(reports.rxgears), baseline: timed(reports.baseline) };
  const fmt = (values: number[]): string => values.map((us) => us.toFixed(1)).join('/');
  log(`  CPU per event in children: rxgears ${fmt(perEvent.rxgears)} µs | baseline ${fmt(perEvent.baseline)} µs`);
  const rx = median(perEvent.rxgears);
  const base = median(perEvent.baseline);
  return {
    id: spec.id,
    workload: spec.workload,
    rxgears: rx,
    baseline: base,
    baselineName: spec.baselineName,
    ratio: rx / base,
    unit: 'µs/event',
    target: `ratio ≤ ${MAX_CPU_RATIO}`,
    met: rx / base <= MAX_CPU_RATIO,
    notes:
      `process CPU (user + system) of a child running one side ÷ events, median of ${spec.children} children per ` +
      `side (alternating) × ${spec.calls - 1} timed calls of ${spec.records.toLocaleString('en-US')} events after a ` +
      `warm-up call; ${spec.notes}`,
    samples: { rxgears: perEvent.rxgears, baseline: perEvent.baseline },
  };
}
