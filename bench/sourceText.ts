/**
 * Workload 8 (issue 18): gears sent as source text — `RG.JSEXECUTE` from a RESP client to `rxgears serve`,
 * compiled and run by the server's sandbox — against the same gear as a library closure on the same engine,
 * in the same process and run. Two cases: a CPU-bound gear over 3 000 keys on one embedded shard (the
 * sandbox's per-call cost shows, Redis does not), and the tutorial's batch gears over workload 1's 200 000
 * hashes on standalone Redis. ratio = source text ÷ library (records/s); the target is within 1.25×.
 */
import { Redis } from 'ioredis';
import type { Gears } from '../lib/index.ts';
import type * as ServerModule from '../lib/server/index.ts';
import { fromSource } from './engine.ts';
import { startRedis } from '../lib/testing/index.ts';
import { loadPeople } from './data.ts';
import { log, measure, throughputRow, type BenchSettings, type ResultRow } from './harness.ts';

/** Source text within 1.25× of the library closure: records/s ratio ≥ 1 / 1.25. */
export const TARGET_RATIO = 0.8;

const compiledServer = '../dist/lib/server/index.js';

async function loadServer(): Promise<typeof ServerModule> {
  if (fromSource) return import('../lib/server/index.ts');
  return (await import(compiledServer)) as typeof ServerModule;
}

/** One gear, as text for the server and as a closure for the library, with the answer both must give. */
interface GearPair {
  name: string;
  source: string;
  library: (gears: Gears) => Promise<unknown[]>;
}

const KEYS = 3000;

const cpuBound: GearPair = {
  name: 'CPU-bound map, 20 000 Math.imul a record',
  source:
    'GB().map(r => { let h = Number(r.value); for (let i = 0; i < 20000; i++) h = Math.imul(h ^ i, 16777619); ' +
    "return h }).count().run('k:*')",
  library: async (gears) =>
    (
      await gears
        .GB()
        .map((r) => {
          let h = Number(r.value);
          for (let i = 0; i < 20000; i++) h = Math.imul(h ^ i, 16777619);
          return h;
        })
        .count()
        .run('k:*')
    ).results,
};

const AGE = 'Number(r.value.age)';
const max = (a: number | undefined, x: number): number => Math.max(a ?? 0, x);
const tutorial: GearPair[] = [
  {
    name: 'tutorial countBy (family)',
    source: "GB().countBy(r => r.value.name.split(' ')[1]).run('person:*')",
    library: async (gears) =>
      (
        await gears
          .GB()
          .countBy((r) => (r.value as Record<string, string>).name!.split(' ')[1]!)
          .run('person:*')
      ).results.map((c) => `${c.key}=${c.value}`),
  },
  {
    name: 'tutorial avg (age)',
    source: `GB().map(r => ${AGE}).avg().run('person:*')`,
    library: async (gears) =>
      (
        await gears
          .GB()
          .map((r) => Number((r.value as Record<string, string>).age))
          .avg()
          .run('person:*')
      ).results,
  },
  {
    name: 'tutorial maximum (age)',
    source: `GB().map(r => ${AGE}).accumulate((a, x) => Math.max(a ?? 0, x)).collect().accumulate((a, x) => Math.max(a ?? 0, x)).run('person:*')`,
    library: async (gears) =>
      (
        await gears
          .GB()
          .map((r) => Number((r.value as Record<string, string>).age))
          .accumulate(max)
          .collect()
          .accumulate(max)
          .run('person:*')
      ).results,
  },
];

/** A countBy record comes back as RESP text; the rest as numbers: one comparable form for both sides. */
function normalise(records: unknown[]): string {
  return JSON.stringify(
    records
      .map((r) => {
        if (typeof r !== 'string') return String(r);
        try {
          const parsed = JSON.parse(r) as { key?: unknown; value?: unknown } | number;
          return typeof parsed === 'object' && parsed !== null ? `${String(parsed.key)}=${String(parsed.value)}` : r;
        } catch {
          return r;
        }
      })
      .sort(),
  );
}

/** Times the pair on a running server: the source through `client`, the closure on `server.gears`. */
async function comparePair(
  pair: GearPair,
  gears: Gears,
  client: Redis,
  records: number,
  settings: BenchSettings,
  where: string,
): Promise<ResultRow> {
  const expected = normalise(await pair.library(gears));
  const checked = (side: string, answer: unknown[]): number => {
    if (normalise(answer) !== expected) {
      throw new Error(`${pair.name}: ${side} answered ${normalise(answer)}, expected ${expected}`);
    }
    return records;
  };
  const times = await measure(
    [
      {
        name: 'source text',
        run: async () => {
          const [results, errors] = (await client.call('RG.JSEXECUTE', pair.source)) as [unknown[], unknown[]];
          if (errors.length > 0) throw new Error(`${pair.name}: ${String(errors[0])}`);
          return checked('RG.JSEXECUTE', results);
        },
      },
      { name: 'library', run: async () => checked('library', await pair.library(gears)) },
    ],
    settings.runs,
    pair.name,
  );
  return throughputRow(
    {
      id: 8,
      workload: `source text vs library, ${where}: ${pair.name}`,
      baselineName: 'library closure',
      notes: `rxgears = RG.JSEXECUTE through rxgears serve (ioredis client, reply included); baseline = the closure on the server's engine; gear: ${pair.source}`,
    },
    times[0]!,
    times[1]!,
    { minRatio: TARGET_RATIO },
  );
}

async function embeddedCpuBound(settings: BenchSettings): Promise<ResultRow> {
  const { serve } = await loadServer();
  const server = await serve({ shards: 1, port: 0 });
  const client = new Redis({ port: server.port, host: '127.0.0.1' });
  try {
    for (let i = 0; i < KEYS; i++) await server.gears.execute('SET', `k:${i}`, String(i));
    return await comparePair(cpuBound, server.gears, client, KEYS, settings, `embedded 1 shard, ${KEYS} keys`);
  } finally {
    client.disconnect();
    await server.close();
  }
}

async function tutorialOnRedis(settings: BenchSettings): Promise<ResultRow[]> {
  const people = settings.quick ? 20_000 : 200_000;
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  const { serve } = await loadServer();
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let client: Redis | undefined;
  try {
    log(`  loading ${people} hashes into standalone Redis :${redisServer.port}`);
    await loadPeople(redis, 0, people);
    server = await serve({ redis: redisServer.url, port: 0, deploymentsKey: false });
    client = new Redis({ port: server.port, host: '127.0.0.1' });
    const rows: ResultRow[] = [];
    const where = `standalone Redis, ${people.toLocaleString('en-US')} hashes`;
    for (const pair of tutorial) rows.push(await comparePair(pair, server.gears, client, people, settings, where));
    return rows;
  } finally {
    client?.disconnect();
    await server?.close();
    redis.disconnect();
    await redisServer.stop();
  }
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  return [await embeddedCpuBound(settings), ...(await tutorialOnRedis(settings))];
}
