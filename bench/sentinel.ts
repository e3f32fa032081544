/**
 * Workload 1 through an ioredis client in Sentinel mode (bench/README "Round 6"): a master, its replica and one
 * Sentinel (spec/support/sentinel.ts) on free ports, 200 000 `person:*` hashes (BENCH_QUICK: 20 000), and three
 * sides in child processes of their own, alternating: rxgears (raw connections following the master), rxgears
 * with those switched off (every read through ioredis: what a Sentinel client got before) and the hand-written
 * loop (ioredis SCAN + pipelined HGETALL) on the same kind of client. Each child runs once untimed, then
 * BENCH_RUNS times (default 3); the reading is the client CPU per run (`process.cpuUsage`), with the load average.
 *
 *   npm run build && npx tsx bench/sentinel.ts            # BENCH_ROUNDS=3 rounds of the three sides
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { startSentinelGroup, MASTER_NAME } from '../spec/support/sentinel.ts';
import { loadPeople } from './data.ts';
import { log, runChild } from './harness.ts';

const quick = process.env.BENCH_QUICK === '1';
const people = quick ? 20_000 : 200_000;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const SIDES = ['families-sentinel-rxgears', 'families-sentinel-fallback', 'families-sentinel-baseline'] as const;

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const group = await startSentinelGroup();
  try {
    const master = new Redis({ host: '127.0.0.1', port: await group.masterPort() });
    log(`loading ${people} hashes into the master :${master.options.port}`);
    await loadPeople(master, 0, people);
    master.disconnect();
    const target = `${group.sentinel.host}:${group.sentinel.port}|${MASTER_NAME}`;
    const cpu = new Map<string, number[]>(SIDES.map((side) => [side, []]));
    const wall = new Map<string, number[]>(SIDES.map((side) => [side, []]));
    const loads: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // A/B/C, then B/C/A, …: no side always runs first.
      const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]!);
      for (const side of order) {
        loads.push(loadavg()[0]!);
        const report = await runChild(side, target, { repeat: runs, env: { BENCH_WARMUP: '1' } });
        if (report.records !== people) throw new Error(`${side}: counted ${report.records} of ${people}`);
        cpu.get(side)!.push(sum(report.cpuMs) / runs);
        wall.get(side)!.push(report.ms / runs);
        log(
          `  round ${round + 1} ${side}: ${(sum(report.cpuMs) / runs).toFixed(0)} ms CPU, ${(report.ms / runs).toFixed(0)} ms wall per run`,
        );
      }
    }
    const per = (ms: number): string => `${Math.round((ms * 200_000) / people).toLocaleString('en-US')} ms`;
    const baseline = median(cpu.get('families-sentinel-baseline')!);
    console.log(
      `| workload 1 via Sentinel, per 200 000 hashes | client CPU (median of ${rounds} children × ${runs} runs) | vs the loop | wall per run |`,
    );
    console.log('|---|--:|--:|--:|');
    for (const side of SIDES) {
      const m = median(cpu.get(side)!);
      console.log(
        `| ${side} | ${per(m)} (${cpu
          .get(side)!
          .map((v) => per(v))
          .join(' / ')}) | ${(baseline / m).toFixed(2)}× | ${per(median(wall.get(side)!))} |`,
      );
    }
    console.log(
      `load average (1 min) during the runs: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
    );
  } finally {
    await group.stop();
  }
}

await main();
