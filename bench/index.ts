/**
 * `npm run bench`: every workload of issue 7, rxgears against what a user would write instead, each on data
 * and servers of its own (throwaway redis-server processes, cleaned up at the end). Prints a table on stdout
 * and writes the results as JSON (bench/README.md says how to read them).
 *
 *   npm run bench                      # everything, full sizes → bench/results.json
 *   BENCH_QUICK=1 npm run bench        # small sizes, 3 runs   → bench/results.partial.json
 *   BENCH_ONLY=1,3 npm run bench       # some workloads        → bench/results.partial.json
 *   BENCH_RUNS=9 / BENCH_OUT=path      # more timed runs / another output file
 */
import { execFile } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  currentLoad,
  formatTable,
  log,
  machineInfo,
  readSettings,
  unavailableRow,
  writeResults,
  type BenchSettings,
  type ResultRow,
} from './harness.ts';

interface Workload {
  id: number;
  name: string;
  /** Loaded lazily, so `BENCH_ONLY=3` does not even import the Redis workloads. */
  run?: (settings: BenchSettings) => Promise<ResultRow[]>;
  /** Why it cannot run yet: printed as a placeholder row, never with numbers. */
  unavailable?: string;
}

const WORKLOADS: readonly Workload[] = [
  { id: 1, name: 'batch map/reduce', run: async (s) => (await import('./batchMapReduce.ts')).run(s) },
  { id: 2, name: 'keys only', run: async (s) => (await import('./keysOnly.ts')).run(s) },
  { id: 3, name: 'embedded engine overhead', run: async (s) => (await import('./embedded.ts')).run(s) },
  {
    id: 4,
    name: 'keyspace events (KeysReader registration, p50/p99 latency vs raw PSUBSCRIBE)',
    unavailable: 'benchmark not written yet (KeysReader register() exists since fe0657a; this workload is next)',
  },
  {
    id: 5,
    name: 'streams (StreamReader registration, batch 500, vs XREADGROUP + XACK loop)',
    unavailable: 'benchmark not written yet (StreamReader register() exists since fed6f95; this workload is next)',
  },
  { id: 6, name: 'scale', run: async (s) => (await import('./scale.ts')).run(s) },
];

const here = dirname(fileURLToPath(import.meta.url));

async function redisVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('redis-server', ['--version']);
    return /v=(\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined; // the Redis workloads will say redis-server is missing
  }
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = performance.now();
  const machine = machineInfo(await redisVersion());
  const chosen = WORKLOADS.filter((w) => settings.only.length === 0 || settings.only.includes(w.id));
  if (chosen.length === 0) throw new Error(`BENCH_ONLY=${settings.only.join(',')} names no workload (1-6)`);
  log(
    `rxgears bench: ${settings.quick ? 'quick' : 'full'}, ${settings.runs} timed runs per side after a warm-up; ` +
      `${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage.start}`,
  );

  const rows: ResultRow[] = [];
  let failed = false;
  for (const workload of chosen) {
    if (!workload.run) {
      log(`${workload.id}. ${workload.name}: not yet available`);
      rows.push(unavailableRow(workload.id, workload.name, workload.unavailable ?? ''));
      continue;
    }
    log(`${workload.id}. ${workload.name}`);
    const t = performance.now();
    try {
      rows.push(...(await workload.run(settings)));
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      log(`  FAILED: ${error instanceof Error ? (error.stack ?? message) : message}`);
      rows.push({ ...unavailableRow(workload.id, workload.name, ''), notes: `failed: ${message}` });
    }
    log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }

  machine.loadAverage.end = currentLoad();
  const partial = settings.quick || settings.only.length > 0;
  const out = process.env.BENCH_OUT ?? join(here, partial ? 'results.partial.json' : 'results.json');
  const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
  await writeResults(out, { generatedAt: new Date().toISOString(), settings, machine, durationSeconds, results: rows });

  console.log(formatTable(rows));
  console.log(
    `\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.os}; Node ${machine.node}, ` +
      `Redis ${machine.redis ?? '(not found)'}; load average ${machine.loadAverage.start} → ${machine.loadAverage.end}; ` +
      `${durationSeconds} s`,
  );
  log(`results written to ${relative(process.cwd(), out)}`);
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
