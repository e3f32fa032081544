/**
 * The measuring half of the benchmarks: settings from the environment, alternating timed runs with a warm-up
 * and medians, rows of the results table, machine info, and the table / JSON output. Workload files describe
 * *what* to run; this file decides *how* it is timed, so every workload is measured the same way.
 */
import { cpus, loadavg, totalmem, release, platform } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Settings of one `npm run bench`, from the environment. */
export interface BenchSettings {
  /** `BENCH_QUICK=1`: smaller data sets and fewer runs, for a smoke run in a minute or two. */
  quick: boolean;
  /** Timed runs per side (after one warm-up per side): `BENCH_RUNS`, default 5 (3 when quick). */
  runs: number;
  /** `BENCH_ONLY=1,3`: the workload numbers to run; empty = all. */
  only: readonly number[];
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const runs = env.BENCH_RUNS ? Number(env.BENCH_RUNS) : quick ? 3 : 5;
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`BENCH_RUNS must be a positive integer, got '${env.BENCH_RUNS}'`);
  const only = (env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (only.some((n) => !Number.isInteger(n)))
    throw new Error(`BENCH_ONLY takes workload numbers like 1,3; got '${env.BENCH_ONLY}'`);
  return { quick, runs, only };
}

/**
 * A full collection between timed runs, so garbage one side left behind is not collected on the other side's
 * clock. `--expose-gc` cannot be passed through `npm run bench` (tsx), so it is switched on here.
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => undefined;
})();

/** One contender: runs the workload once and returns how many records it processed (checked by the caller). */
export interface Side {
  name: string;
  run: () => Promise<number>;
}

export interface SideTimes {
  name: string;
  /** Milliseconds of each timed run, in the order they ran. */
  times: number[];
  median: number;
  /**
   * CPU milliseconds this process spent in each run (user + system, all its threads). For the embedded
   * workload it is the cost without the other processes' noise; with Redis it is the client side's cost
   * (Redis' own CPU is not in it).
   */
  cpu: number[];
  cpuMedian: number;
  /** Redis' CPU milliseconds in each run (all nodes), when `measure` was given a `serverCpu` probe. */
  serverCpu: number[];
  serverCpuMedian: number;
  /** Records the side reported (the same every run, or `measure` throws). */
  records: number;
}

export interface MeasureOptions {
  /** Run each side once untimed first (default true). */
  warmup?: boolean;
  /** Total CPU seconds Redis has used so far (INFO cpu, summed over nodes); read outside the timed span. */
  serverCpu?: () => Promise<number>;
}

/**
 * Times the sides alternately — A, B, A, B, … — after one warm-up run of each (JIT, connection pools, Redis'
 * own caches; `warmup: false` skips it when the same code just ran on smaller data), with a full GC before
 * every run. Alternating spreads slow drifts (CPU frequency, other processes' load, Redis' memory) over every
 * side instead of loading them on whichever ran last. Returns the median per side. A side that reports a
 * different record count from its first run fails the benchmark: a fast wrong answer is not a result.
 */
export async function measure(
  sides: readonly Side[],
  runs: number,
  label: string,
  options: MeasureOptions = {},
): Promise<SideTimes[]> {
  const out: SideTimes[] = sides.map((side) => ({
    name: side.name,
    times: [],
    median: 0,
    cpu: [],
    cpuMedian: 0,
    serverCpu: [],
    serverCpuMedian: 0,
    records: -1,
  }));
  for (let round = options.warmup === false ? 0 : -1; round < runs; round++) {
    for (const [i, side] of sides.entries()) {
      const serverBefore = options.serverCpu ? await options.serverCpu() : 0;
      collectGarbage();
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const records = await side.run();
      const elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const serverAfter = options.serverCpu ? await options.serverCpu() : 0;
      const entry = out[i]!;
      if (entry.records >= 0 && records !== entry.records) {
        throw new Error(`${label}: ${side.name} processed ${records} records, ${entry.records} before`);
      }
      entry.records = records;
      if (round >= 0) {
        entry.times.push(elapsed);
        entry.cpu.push((cpu.user + cpu.system) / 1000);
        if (options.serverCpu) entry.serverCpu.push((serverAfter - serverBefore) * 1000);
      }
    }
  }
  for (const entry of out) {
    entry.median = median(entry.times);
    entry.cpuMedian = median(entry.cpu);
    entry.serverCpuMedian = options.serverCpu ? median(entry.serverCpu) : 0;
  }
  const summary = out
    .map((e) => {
      const redis = options.serverCpu ? `, redis cpu ${e.serverCpuMedian.toFixed(0)}` : '';
      return `${e.name} ${e.times.map((t) => t.toFixed(0)).join('/')} ms (cpu ${e.cpuMedian.toFixed(0)}${redis})`;
    })
    .join(' | ');
  log(`  ${label}: ${summary}`);
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Records per second from a record count and a duration in ms. */
export function perSecond(records: number, ms: number): number {
  return (records * 1000) / ms;
}

/** One line of the results table. `ratio` is always rxgears ÷ baseline, in the row's unit. */
export interface ResultRow {
  /** Workload number from issue 7. */
  id: number;
  workload: string;
  rxgears: number | null;
  baseline: number | null;
  /** What the baseline is (`ioredis SCAN + pipelined HGETALL`, `plain JS loop`, …). */
  baselineName: string;
  ratio: number | null;
  unit: string;
  /** The target in words, e.g. `ratio ≥ 1.2`; empty when the row only informs. */
  target: string;
  /** Whether the target is met; null when the row has no target (or did not run). */
  met: boolean | null;
  /** Anything a reader needs to interpret the row: data size, shards, what each number includes. */
  notes?: string;
  /** Every timed run (ms, or MB for memory rows), for whoever wants more than the median. */
  samples?: { rxgears?: number[]; baseline?: number[] };
  /**
   * The same comparison on this process's CPU time instead of wall time (records per CPU-second, median):
   * steadier than wall time on a loaded machine, and for Redis workloads the client side's cost alone.
   */
  cpu?: { rxgears: number; baseline: number; ratio: number };
  /**
   * Redis' own CPU per run (median ms, all nodes) on each side: what the work costs the server. rxgears reads
   * a page with one Lua script, the baseline with plain pipelined commands; this shows what that trade costs.
   */
  redisCpuMs?: { rxgears: number; baseline: number };
}

/** What a throughput row must reach: a ratio to the baseline, an absolute rate, or nothing (informative). */
export interface ThroughputTarget {
  minRatio?: number;
  /** Records per second rxgears must reach on its own. */
  minRate?: number;
}

/** A row comparing two throughputs (records/s), with its target checked. */
export function throughputRow(
  fields: Omit<ResultRow, 'ratio' | 'met' | 'unit' | 'target' | 'rxgears' | 'baseline' | 'samples'>,
  rx: SideTimes,
  base: SideTimes,
  target: ThroughputTarget = {},
): ResultRow {
  const rxgears = perSecond(rx.records, rx.median);
  const baseline = perSecond(base.records, base.median);
  const ratio = rxgears / baseline;
  const words: string[] = [];
  const checks: boolean[] = [];
  if (target.minRatio !== undefined) {
    words.push(`ratio ≥ ${target.minRatio}`);
    checks.push(ratio >= target.minRatio);
  }
  if (target.minRate !== undefined) {
    words.push(`≥ ${target.minRate.toLocaleString('en-US')}/s`);
    checks.push(rxgears >= target.minRate);
  }
  return {
    ...fields,
    rxgears,
    baseline,
    ratio,
    unit: 'records/s',
    target: words.join(', '),
    met: checks.length === 0 ? null : checks.every(Boolean),
    samples: { rxgears: rx.times, baseline: base.times },
    cpu: {
      rxgears: perSecond(rx.records, rx.cpuMedian),
      baseline: perSecond(base.records, base.cpuMedian),
      ratio: perSecond(rx.records, rx.cpuMedian) / perSecond(base.records, base.cpuMedian),
    },
    ...(rx.serverCpu.length > 0 ? { redisCpuMs: { rxgears: rx.serverCpuMedian, baseline: base.serverCpuMedian } } : {}),
  };
}

/** A placeholder row for a workload that cannot run yet: printed, never given numbers. */
export function unavailableRow(id: number, workload: string, why: string): ResultRow {
  return {
    id,
    workload,
    rxgears: null,
    baseline: null,
    baselineName: '',
    ratio: null,
    unit: '',
    target: '',
    met: null,
    notes: `not yet available: ${why}`,
  };
}

/** A `serverCpu` probe for `measure`: Redis' used_cpu_user + used_cpu_sys (seconds), summed over clients. */
export function redisCpu(clients: readonly { info(section: 'cpu'): Promise<string> }[]): () => Promise<number> {
  return async () => {
    let total = 0;
    for (const client of clients) {
      const info = await client.info('cpu');
      for (const field of ['used_cpu_user', 'used_cpu_sys']) {
        total += Number(new RegExp(`^${field}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
      }
    }
    return total;
  };
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGB: number;
  os: string;
  node: string;
  redis: string | undefined;
  /**
   * 1-minute load average when the run started and ended. Other processes on a 2-core machine move every
   * number; alternating runs spread that over both sides, but a loaded machine still lowers absolute rates.
   */
  loadAverage: { start: number; end?: number };
}

export function machineInfo(redisVersion: string | undefined): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    redis: redisVersion,
    loadAverage: { start: currentLoad() },
  };
}

const here = dirname(fileURLToPath(import.meta.url));
const execFileAsync = promisify(execFile);

/** What `bench/child.ts` prints. */
export interface ChildReport {
  task: string;
  records: number;
  ms: number;
  maxRssMB: number;
  /** Process CPU (user + system) of each timed call of the task (after the `BENCH_WARMUP` ones), ms. */
  cpuMs: number[];
}

export interface ChildOptions {
  /** Arguments for Node, e.g. `['--cpu-prof']`. */
  nodeArgs?: string[];
  /** Times the child runs the task (default 1). */
  repeat?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/**
 * Runs `bench/child.ts <task> <target> [repeat]` in a fresh Node process (through tsx's loader, like
 * `npm run bench` itself) and returns its report.
 */
export async function runChild(task: string, target: string, options: ChildOptions = {}): Promise<ChildReport> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', join(here, 'child.ts'), task, target, String(options.repeat ?? 1)],
    { cwd: join(here, '..'), maxBuffer: 1 << 20, env: { ...process.env, ...options.env } },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildReport;
}

/** Progress goes to stderr so stdout carries only the table. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function formatNumber(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (unit === 'records/s') return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function metText(row: ResultRow): string {
  if (row.met !== null) return row.met ? 'yes' : 'NO';
  return row.notes?.startsWith('not yet available') ? 'not yet available' : '—';
}

/**
 * The results as a Markdown table (it reads in a terminal and pastes into README). `cpu ratio` is the same
 * ratio in records per CPU-second of the benchmark process (the client side alone for Redis workloads).
 */
export function formatTable(rows: readonly ResultRow[]): string {
  const header = ['workload', 'rxgears', 'baseline', 'ratio', 'unit', 'target', 'met?', 'cpu ratio'];
  const lines = rows.map((row) => [
    `${row.id}. ${row.workload}${row.baselineName ? ` (vs ${row.baselineName})` : ''}`,
    formatNumber(row.rxgears, row.unit),
    formatNumber(row.baseline, row.unit),
    row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`,
    row.unit || '—',
    row.target || '—',
    metText(row),
    row.cpu ? `${row.cpu.ratio.toFixed(2)}×` : '—',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const numeric = new Set([1, 2, 3, 7]);
  const fmt = (cells: string[]): string =>
    `| ${cells.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (numeric.has(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [fmt(header), rule, ...lines.map(fmt)].join('\n');
}

export interface ResultsFile {
  generatedAt: string;
  /** What was measured: the compiled package (dist/, the default) or the TypeScript source (`BENCH_SOURCE=1`). */
  engine?: string;
  settings: BenchSettings;
  machine: MachineInfo;
  /** Wall time of the whole run, seconds. */
  durationSeconds: number;
  results: ResultRow[];
}

/** The current 1-minute load average, rounded. */
export function currentLoad(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** The line under the table: where and when the numbers were made. */
export function formatMachine(file: ResultsFile): string {
  const m = file.machine;
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.os}; Node ${m.node}, Redis ${m.redis ?? '(not found)'}; ` +
    `load average ${m.loadAverage.start} → ${m.loadAverage.end ?? '?'}; ${file.durationSeconds} s; ${file.generatedAt}` +
    (file.engine ? `; rxgears: ${file.engine}` : '')
  );
}

export async function writeResults(path: string, file: ResultsFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
}
