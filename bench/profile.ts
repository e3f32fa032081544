/**
 * CPU profile of one side of a workload: starts its Redis (when it needs one), loads the data, runs
 * `bench/child.ts` under `node --cpu-prof`, and prints where the time went — self time per function and per
 * file, and inclusive time per function. This is how the findings in bench/README.md were made.
 *
 *   npx tsx bench/profile.ts <task> [size] [repeat]
 *   npx tsx bench/profile.ts embedded-rxgears 1000000 3
 *   npx tsx bench/profile.ts families-rxgears 200000 2
 *   npx tsx bench/profile.ts families-cluster-rxgears 200000 2   # workload 1 on a 3-master Cluster
 *   npx tsx bench/profile.ts keys-rxgears 1000000 2
 *   npx tsx bench/profile.ts streams-rxgears 200000 3
 *   npx tsx bench/profile.ts events-paced-rxgears 50000 1
 *
 * Tasks are those of bench/child.ts, and `families-cluster-rxgears|baseline`: the families tasks on a 3-master
 * Cluster this script starts and loads (the child gets one node's URL). The .cpuprofile stays in a temporary directory (printed) for Chrome
 * DevTools or speedscope.
 */
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import {
  startRedis,
  startRedisCluster,
  type RedisClusterHandle,
  type RedisServerHandle,
} from '../lib/testing/index.ts';
import { loadPeople, loadPeopleOnCluster, populateKeys } from './data.ts';
import { loadStream } from './streams.ts';
import { runChild } from './harness.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const shortUrl = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '~/')
    .replace(/^.*?\/(lib|operators|readers|bench)\//, '$1/');

/** Names a frame `function file:line`, with the line in the TypeScript source when a source map knows it. */
function framer(maps: ReadonlyMap<string, SourceMap>): (frame: CallFrame) => string {
  return (frame) => {
    let line = frame.lineNumber + 1;
    const entry = maps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry && 'originalLine' in entry) line = entry.originalLine + 1;
    return `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url) || '(native)'}:${line}`;
  };
}

/** Self and inclusive milliseconds per function, self per file, from a V8 .cpuprofile. */
export function summarize(profile: CpuProfile, maps: ReadonlyMap<string, SourceMap> = new Map(), top = 25): string {
  const frameName = framer(maps);
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += ms;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    const file = shortUrl(node.callFrame.url) || `(${node.callFrame.functionName})`;
    files.set(file, (files.get(file) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  });
  const table = (title: string, entries: Map<string, number>): string =>
    [
      `${title}`,
      ...[...entries]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(
          ([name, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`,
        ),
    ].join('\n');
  return [
    `total sampled: ${total.toFixed(0)} ms`,
    table('self time by function', self),
    table('self time by file', files),
    table('inclusive time by function', inclusive),
  ].join('\n\n');
}

async function main(argv: string[]): Promise<void> {
  const [task = '', sizeArg, repeatArg = '1'] = argv;
  let server: RedisServerHandle | undefined;
  let cluster: RedisClusterHandle | undefined;
  let target = sizeArg ?? '1000000';
  let childTask = task;
  try {
    if (task.startsWith('families-cluster-')) {
      const size = Number(sizeArg ?? 200_000);
      cluster = await startRedisCluster();
      const client = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
      });
      await loadPeopleOnCluster(client, 0, size);
      client.disconnect();
      target = cluster.urls[0]!;
      if (task === 'families-cluster-rxgears') childTask = 'families-rxgears';
    } else if (task.startsWith('families-') || task.startsWith('keys-')) {
      const size = Number(sizeArg ?? (task.startsWith('keys-') ? 1_000_000 : 200_000));
      server = await startRedis({ args: ['--enable-debug-command', 'local'] });
      const redis = new Redis(server.url);
      if (task.startsWith('keys-')) await populateKeys(redis, size);
      else await loadPeople(redis, 0, size);
      redis.disconnect();
      target = server.url;
    } else if (task.startsWith('events-paced-')) {
      // Workload 7's load: HSETs paced at 5 000/s (`size` per run), written by the child itself.
      server = await startRedis();
      target = `${server.url}|${Number(sizeArg ?? 50_000)}|5000|ev:p:`;
    } else if (task.startsWith('events-')) {
      server = await startRedis();
      target = `${server.url}|${Number(sizeArg ?? 20_000)}`;
    } else if (task.startsWith('streams-')) {
      const size = Number(sizeArg ?? 200_000);
      server = await startRedis();
      const redis = new Redis(server.url);
      for (let k = 0; k < Number(repeatArg); k++) await loadStream(redis, `stream:${k}`, size);
      redis.disconnect();
      target = `${server.url}|${size}`;
    }
    const dir = await mkdtemp(join(tmpdir(), 'rxgears-prof-'));
    const mapsFile = join(dir, 'source-maps.json');
    const report = await runChild(childTask, target, {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--enable-source-maps'],
      repeat: Number(repeatArg),
      env: { BENCH_SOURCE_MAPS: mapsFile },
    });
    console.log(
      `${task}: ${report.records} records × ${repeatArg} in ${report.ms.toFixed(0)} ms, peak RSS ${report.maxRssMB.toFixed(0)} MB`,
    );
    // tsx's loader runs in a worker thread with a profile of its own: the main thread's is the largest.
    const profiles = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
    const sizes = await Promise.all(profiles.map(async (f) => (await stat(f)).size));
    const file = profiles[sizes.indexOf(Math.max(...sizes))];
    if (!file) throw new Error(`no .cpuprofile in ${dir}`);
    const payloads = JSON.parse(await readFile(mapsFile, 'utf8')) as Record<string, SourceMapPayload>;
    const maps = new Map(Object.entries(payloads).map(([url, payload]) => [url, new SourceMap(payload)]));
    console.log(`profile: ${file}\n`);
    console.log(summarize(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, maps));
  } finally {
    await server?.stop();
    await cluster?.stop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
