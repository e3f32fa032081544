/**
 * Runs one side of a workload in a process of its own and prints one JSON line
 * `{ task, records, ms, maxRssMB, cpuMs }` — for peak-RSS comparisons (each side's memory in its own process, so
 * the numbers do not mix), CPU per record of each call of the task (`cpuMs`, setup and imports left out) and CPU
 * profiles (`node --cpu-prof --import tsx bench/child.ts …`).
 *
 *   node --import tsx bench/child.ts <task> <redis-url | record count> [repeat]
 *
 * Tasks: `families-rxgears`, `families-baseline` (workload 1 on `person:*` of a Redis URL; for the rxgears side
 * the URL may be one node of a Cluster), `families-cluster-baseline` (workload 1's Cluster loop, the URL one node),
 * `keys-rxgears`, `keys-baseline` (workload 2 on a URL), `streams-rxgears`, `streams-baseline` (workload 5 on
 * `<url>|<n>`, the k-th run draining the preloaded `stream:<k>`), `embedded-rxgears`, `embedded-loop` (workload 3 with
 * a record count), `idle` (loads nothing: the floor every child's RSS includes). Each side imports only what
 * it uses, so a baseline's RSS does not include rxgears' modules.
 */

import { readdir, writeFile } from 'node:fs/promises';
import { findSourceMap } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RedisStore as RedisStoreClass } from '../lib/store/redis/RedisStore.ts';

type Task = (target: string) => Promise<{ close: () => Promise<void>; once: () => Promise<number> }>;

const TASKS: Record<string, Task> = {
  idle: async () => ({ close: async () => undefined, once: async () => 0 }),
  'families-rxgears': async (url) => {
    const { connect } = await import('./engine.ts');
    const { rxgearsFamilies } = await import('./batchMapReduce.ts');
    const { total } = await import('./data.ts');
    const gears = await connect(url);
    return { close: () => gears.close(), once: async () => total(await rxgearsFamilies(gears)) };
  },
  'families-baseline': async (url) => {
    const { Redis } = await import('ioredis');
    const { baselineFamilies, total } = await import('./baselines.ts');
    const redis = new Redis(url);
    return { close: async () => void redis.disconnect(), once: async () => total(await baselineFamilies(redis)) };
  },
  'families-cluster-baseline': async (url) => {
    const { Cluster } = await import('ioredis');
    const { baselineClusterFamilies, total } = await import('./baselines.ts');
    const { hostname, port } = new URL(url);
    const cluster = new Cluster([{ host: hostname, port: Number(port) }], { enableAutoPipelining: true });
    await new Promise<void>((resolve, reject) => {
      cluster.once('ready', resolve);
      cluster.once('error', reject);
    });
    return {
      close: async () => void cluster.disconnect(),
      once: async () => total(await baselineClusterFamilies(cluster)),
    };
  },
  // target: `<sentinel host:port>|<master name>`: workload 1 through an ioredis Sentinel client (bench/sentinel.ts).
  'families-sentinel-rxgears': async (target) => sentinelFamilies(target, 'rxgears'),
  'families-sentinel-fallback': async (target) => sentinelFamilies(target, 'fallback'),
  'families-sentinel-baseline': async (target) => sentinelFamilies(target, 'baseline'),
  'keys-rxgears': async (url) => {
    const { connect } = await import('./engine.ts');
    const { rxgearsCount } = await import('./keysOnly.ts');
    const gears = await connect(url);
    return { close: () => gears.close(), once: () => rxgearsCount(gears) };
  },
  'keys-baseline': async (url) => {
    const { Redis } = await import('ioredis');
    const { baselineCount } = await import('./baselines.ts');
    const redis = new Redis(url);
    return { close: async () => void redis.disconnect(), once: () => baselineCount(redis) };
  },
  'embedded-rxgears': async (count) => {
    const { connect } = await import('./engine.ts');
    const { rxgearsCounts } = await import('./embedded.ts');
    const gears = await connect();
    const n = Number(count);
    return { close: () => gears.close(), once: async () => (await rxgearsCounts(gears, n), n) };
  },
  'embedded-loop': async (count) => {
    const { loopCounts } = await import('./embedded.ts');
    const n = Number(count);
    return { close: async () => undefined, once: async () => (loopCounts(n), n) };
  },
  // target: `<redis url>|<messages per stream>`; the n-th call drains the preloaded stream `stream:<n>`.
  'streams-rxgears': async (target) => {
    const [url = '', size = '0'] = target.split('|');
    const { Redis } = await import('ioredis');
    const { connect } = await import('./engine.ts');
    const { rxgearsDrain } = await import('./streams.ts');
    const gears = await connect(url);
    const redis = new Redis(url);
    let call = 0;
    return {
      close: async () => (await gears.close(), redis.disconnect()),
      once: async () => (await rxgearsDrain(gears, redis, `stream:${call}`, Number(size), `p${call++}`)).count,
    };
  },
  'streams-baseline': async (target) => {
    const [url = ''] = target.split('|');
    const { Redis } = await import('ioredis');
    const { baselineDrain } = await import('./streams.ts');
    const redis = new Redis(url);
    let call = 0;
    return {
      close: async () => void redis.disconnect(),
      once: async () => (await baselineDrain(redis, `stream:${call++}`, 'g')).count,
    };
  },
  // target: `<redis url>|<events>|<rate>|<key prefix>`: workload 4/7's listener (value read) while this process
  // writes `events` HSETs at `rate` per second; done when every key was seen (peak RSS, bench/peakRss.ts).
  'events-paced-rxgears': async (target) => pacedEvents(target, 'rxgears'),
  'events-paced-baseline': async (target) => pacedEvents(target, 'baseline'),
  // target: `<redis url>|<events>`: a KeysReader registration handling `events` HSETs written 100 at a time.
  'events-rxgears': async (target) => {
    const [url = '', size = '0'] = target.split('|');
    const { Redis } = await import('ioredis');
    const { connect } = await import('./engine.ts');
    const gears = await connect(url);
    const writer = new Redis(url);
    let seen = 0;
    let wake: () => void = () => undefined;
    await gears
      .GB()
      .forEach(() => {
        if (++seen % Number(size) === 0) wake();
      })
      .register({ prefix: 'ev:*' });
    let call = 0;
    return {
      close: async () => (await gears.close(), writer.disconnect()),
      once: async () => {
        const done = new Promise<void>((resolve) => (wake = resolve));
        const run = call++;
        for (let i = 0; i < Number(size); i += 100) {
          const pipeline = writer.pipeline();
          for (let k = i; k < Math.min(i + 100, Number(size)); k++) pipeline.hset(`ev:${run}:${k}`, 'f', 'v');
          await pipeline.exec();
        }
        await done;
        return Number(size);
      },
    };
  },
};

/**
 * Workload 1 through an ioredis client in Sentinel mode: rxgears (its raw connections follow the master), rxgears
 * with the raw connections switched off (`fallback`: every read through ioredis, as before they followed Sentinel),
 * or the hand-written loop on the same kind of client.
 */
async function sentinelFamilies(target: string, side: 'rxgears' | 'fallback' | 'baseline'): ReturnType<Task> {
  const [address = '', name = 'mymaster'] = target.split('|');
  const [host = '127.0.0.1', port = '26379'] = address.split(':');
  const { Redis } = await import('ioredis');
  const redis = new Redis({ sentinels: [{ host, port: Number(port) }], name, enableAutoPipelining: true });
  await redis.ping();
  if (side === 'baseline') {
    const { baselineFamilies, total } = await import('./baselines.ts');
    return { close: async () => void redis.disconnect(), once: async () => total(await baselineFamilies(redis)) };
  }
  if (side === 'fallback') {
    // The compiled store class (what engine.ts loads); a store without a raw endpoint reads through ioredis.
    const fromSource = process.env.BENCH_SOURCE === '1';
    const where = fromSource ? '../lib/store/redis/RedisStore.ts' : '../dist/lib/store/redis/RedisStore.js';
    const { RedisStore } = (await import(where)) as { RedisStore: typeof RedisStoreClass };
    Object.defineProperty(RedisStore.prototype, 'rawEndpoint', { value: () => undefined });
  }
  const { connect } = await import('./engine.ts');
  const { rxgearsFamilies } = await import('./batchMapReduce.ts');
  const { total } = await import('./data.ts');
  const gears = await connect({ redis });
  return {
    close: async () => (await gears.close(), redis.disconnect()),
    once: async () => total(await rxgearsFamilies(gears)),
  };
}

async function pacedEvents(target: string, side: 'rxgears' | 'baseline'): ReturnType<Task> {
  const [url = '', size = '0', rate = '1000', prefix = 'ev:rss:'] = target.split('|');
  const n = Number(size);
  const { Redis } = await import('ioredis');
  const { pacedHsets, rawListener, rxgearsListener, waitFor } = await import('./keyspaceEvents.ts');
  const writer = new Redis(url);
  const reader = new Redis(url);
  const gears = side === 'rxgears' ? await (await import('./engine.ts')).connect(url) : undefined;
  const listener = gears ? rxgearsListener(gears, 'rxgears') : rawListener(url, 'raw + HGETALL', reader);
  const seen = new Set<string>();
  const stop = await listener.start((key) => {
    if (key.startsWith(prefix)) seen.add(key);
  });
  // Each run writes keys of its own (`<prefix><run>:<i>` after the first), so a repeat waits for its own events.
  let call = 0;
  return {
    close: async () => {
      await stop();
      await gears?.close();
      writer.disconnect();
      reader.disconnect();
    },
    once: async () => {
      const run = call++;
      seen.clear();
      await pacedHsets(writer, run === 0 ? prefix : `${prefix}${run}:`, n, Number(rate)).done;
      await waitFor(
        () => seen.size >= n,
        60_000,
        () => `${seen.size} of ${n} events seen`,
      );
      return seen.size;
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const [name = '', target = '', repeatArg = '1'] = argv;
  const task = TASKS[name];
  if (!task) throw new Error(`child: unknown task '${name}' (${Object.keys(TASKS).join(', ')})`);
  const side = await task(target);
  let records = 0;
  // BENCH_WARMUP=n: untimed runs first (JIT, connections), so `cpuMs` is the steady state's.
  for (let i = 0; i < Number(process.env.BENCH_WARMUP ?? 0); i++) await side.once();
  const started = performance.now();
  const cpuMs: number[] = [];
  for (let i = 0; i < Number(repeatArg); i++) {
    const cpu = process.cpuUsage();
    records = await side.once();
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
  }
  const ms = performance.now() - started;
  await side.close();
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ task: name, records, ms, maxRssMB, cpuMs })}\n`);
  if (process.env.BENCH_SOURCE_MAPS) await writeSourceMaps(process.env.BENCH_SOURCE_MAPS);
}

/**
 * For bench/profile.ts: tsx compiles every file to one long line, so a CPU profile's positions mean nothing
 * without the source maps. With `--enable-source-maps` Node keeps them; this writes those of the project's
 * loaded files as `{ [fileUrl]: payload }`.
 */
async function writeSourceMaps(path: string): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const maps: Record<string, unknown> = {};
  // The source (tsx) and the compiled package (dist/, what the benchmarks load by default).
  const dirs = ['lib', 'operators', 'readers', 'bench', 'dist/lib', 'dist/operators', 'dist/readers'];
  for (const dir of dirs) {
    const files = await readdir(join(root, dir), { recursive: true }).catch(() => [] as string[]);
    for (const file of files) {
      if (!file.endsWith('.ts') && !file.endsWith('.js')) continue;
      const url = pathToFileURL(join(root, dir, file)).href;
      const map = findSourceMap(url);
      if (map) maps[url] = map.payload;
    }
  }
  await writeFile(path, JSON.stringify(maps));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
