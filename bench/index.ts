/**
 * `npm run bench`: every workload of issue 7, rxgears against what a user would write instead, each on data
 * and servers of its own (throwaway redis-server processes, cleaned up at the end). Prints a table on stdout
 * and writes the results as JSON (bench/README.md says how to read them).
 *
 *   npm run bench                      # everything, full sizes → bench/results.json
 *   BENCH_QUICK=1 npm run bench        # small sizes, 3 runs   → bench/results.partial.json
 *   BENCH_ONLY=1,3 npm run bench       # some workloads        → bench/results.partial.json
 *   BENCH_RUNS=9 / BENCH_OUT=path      # more timed runs / another output file
 *   BENCH_SOURCE=1 npm run bench       # measure the TypeScript source through tsx instead of dist/ (bench/engine.ts)
 */
import { execFile, spawn } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  currentLoad,
  formatMachine,
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
    name: 'keyspace events',
    run: async (s) => (await import('./keyspaceEvents.ts')).run(s),
  },
  { id: 5, name: 'streams', run: async (s) => (await import('./streams.ts')).run(s) },
  { id: 6, name: 'scale', run: async (s) => (await import('./scale.ts')).run(s) },
  {
    id: 7,
    name: 'sustained keyspace events (issue 5: 5 000 events/s for 30 s)',
    run: async (s) => (await import('./eventsLoad.ts')).run(s),
  },
  {
    id: 8,
    name: 'gears as source text (issue 18: RG.JSEXECUTE through the server vs the library closure)',
    run: async (s) => (await import('./sourceText.ts')).run(s),
  },
  {
    id: 9,
    name: 'sustained stream events on worker processes (issue 15: 2 workers vs 1)',
    run: async (s) => (await import('./workersEvents.ts')).run(s),
  },
  {
    id: 10,
    name: 'the proxy (issue 11: redis-benchmark through rxgears serve vs the same Redis directly)',
    run: async (s) => (await import('./proxy.ts')).run(s),
  },
  {
    id: 11,
    name: 'batch runs on worker processes (issue 14: CPU-heavy map 2 vs 1 worker, repartition 1/2/3, tiny run)',
    run: async (s) => (await import('./workers.ts')).run(s),
  },
];

const here = dirname(fileURLToPath(import.meta.url));
const WORKLOAD_ENV = 'BENCH_WORKLOAD';

async function redisVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('redis-server', ['--version']);
    return /v=(\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined; // the Redis workloads will say redis-server is missing
  }
}

/**
 * Each workload runs in a fresh Node process (its rxgears and baseline sides together, alternating): what one
 * workload leaves behind — a JIT tuned to other records' shapes, a grown heap — must not tilt the next one,
 * so a workload measures the same in a full run as with `BENCH_ONLY`.
 */
function inOwnProcess(id: number): Promise<ResultRow[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      cwd: join(here, '..'),
      env: { ...process.env, [WORKLOAD_ENV]: String(id) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('[')) resolve(JSON.parse(last) as ResultRow[]);
      else reject(new Error(`workload ${id} exited with code ${code}${last ? `: ${last}` : ''}`));
    });
  });
}

/** The child side of `inOwnProcess`: runs one workload, prints its rows as one JSON line. */
async function runOne(id: number): Promise<void> {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (!workload?.run) throw new Error(`workload ${id} cannot run`);
  const rows = await workload.run(readSettings());
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

async function main(): Promise<void> {
  const settings = readSettings();
  const started = performance.now();
  const machine = machineInfo(await redisVersion());
  const chosen = WORKLOADS.filter((w) => settings.only.length === 0 || settings.only.includes(w.id));
  if (chosen.length === 0) throw new Error(`BENCH_ONLY=${settings.only.join(',')} names no workload (1-11)`);
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
      rows.push(...(await inOwnProcess(workload.id)));
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      log(`  FAILED: ${message}`);
      rows.push({ ...unavailableRow(workload.id, workload.name, ''), notes: `failed: ${message}` });
    }
    log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }

  machine.loadAverage.end = currentLoad();
  const partial = settings.quick || settings.only.length > 0;
  const out = process.env.BENCH_OUT ?? join(here, partial ? 'results.partial.json' : 'results.json');
  const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
  const engine =
    process.env.BENCH_SOURCE === '1' ? 'TypeScript source through tsx (BENCH_SOURCE=1)' : 'compiled package (dist/)';
  const file = { generatedAt: new Date().toISOString(), engine, settings, machine, durationSeconds, results: rows };
  await writeResults(out, file);

  console.log(formatTable(rows));
  console.log(`\n${formatMachine(file)}`);
  log(`results written to ${relative(process.cwd(), out)}`);
  if (failed) process.exitCode = 1;
}

const child = process.env[WORKLOAD_ENV];
(child ? runOne(Number(child)) : main()).catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
