/**
 * Workload 10 (issue 11): the server's proxy path. `redis-benchmark -t set,get` against `rxgears serve --redis`
 * (its raw path: request frames forwarded as they came, replies passed back as Redis sent them) and against
 * the same Redis directly, alternating in the same run, pipelined (`-P 16`) and not (`-P 1`, 50 clients).
 * ratio = through rxgears ÷ direct (requests/s, SET and GET together); the pipelined target is ≥ 0.5.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type * as ServerModule from '../lib/server/index.ts';
import { fromSource } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { log, median, type BenchSettings, type ResultRow } from './harness.ts';

export const TARGET_RATIO = 0.5;

const compiledServer = '../dist/lib/server/index.js';

async function loadServer(): Promise<typeof ServerModule> {
  if (fromSource) return import('../lib/server/index.ts');
  return (await import(compiledServer)) as typeof ServerModule;
}

/** requests/s of SET and GET together: total requests ÷ total time, from redis-benchmark's CSV. */
async function benchmark(port: number, pipeline: number, requests: number): Promise<number> {
  const { stdout } = await promisify(execFile)(
    'redis-benchmark',
    ['-p', String(port), '-P', String(pipeline), '-t', 'set,get', '-n', String(requests), '--csv'],
    { maxBuffer: 1 << 20 },
  );
  const rates = [...stdout.matchAll(/^"(SET|GET)","([\d.]+)"/gm)].map((m) => Number(m[2]));
  if (rates.length !== 2) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
  return 2 / rates.reduce((sum, rate) => sum + 1 / rate, 0);
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const redis = await startRedis();
  const { serve } = await loadServer();
  const server = await serve({ redis: redis.url, port: 0, deploymentsKey: false });
  const rows: ResultRow[] = [];
  try {
    for (const pipeline of [16, 1]) {
      const requests = (settings.quick ? 50_000 : 300_000) / (pipeline === 1 ? 4 : 1);
      const direct: number[] = [];
      const proxied: number[] = [];
      await benchmark(server.port, pipeline, requests / 4); // warm-up: JIT, connections
      for (let i = 0; i < settings.runs; i++) {
        direct.push(await benchmark(redis.port, pipeline, requests));
        proxied.push(await benchmark(server.port, pipeline, requests));
        log(
          `  proxy -P ${pipeline}: run ${i + 1}: direct ${Math.round(direct.at(-1)!)}, rxgears ${Math.round(proxied.at(-1)!)} req/s`,
        );
      }
      const rx = median(proxied);
      const base = median(direct);
      const ratio = rx / base;
      const targeted = pipeline === 16;
      rows.push({
        id: 10,
        workload: `proxy SET/GET, redis-benchmark -P ${pipeline}`,
        rxgears: rx,
        baseline: base,
        baselineName: 'the same Redis directly',
        ratio,
        unit: 'requests/s',
        target: targeted ? `ratio ≥ ${TARGET_RATIO}` : '',
        met: targeted ? ratio >= TARGET_RATIO : null,
        notes: `${requests} requests per side and run, 50 clients, standalone Redis; rxgears serve in the bench process`,
        samples: { rxgears: proxied, baseline: direct },
      });
    }
  } finally {
    await server.close();
    await redis.stop();
  }
  return rows;
}
