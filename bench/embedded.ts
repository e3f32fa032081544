/**
 * Workload 3, embedded engine overhead: numbers from a synchronous generator through map → filter → countBy,
 * with no Redis at all, so what is measured is the engine: rxgears on the memory store (1 shard, and 3 shards
 * with the data split between them) against a plain JS loop and against the same pipeline in raw RxJS.
 */
import { filter as rxFilter, from, lastValueFrom, map as rxMap, reduce } from 'rxjs';
import type { Gears } from '../lib/index.ts';
import { connect } from './engine.ts';
import { measure, throughputRow, type BenchSettings, type ResultRow, type Side } from './harness.ts';

export const TARGET_RATE = 1_000_000;

// The same three callbacks on every side, so every side does the same work per record.
const triple = (n: number): number => n * 3;
const even = (n: number): boolean => n % 2 === 0;
const lastDigit = (n: number): number => n % 10;

export function* numbers(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

export type Counts = Map<string, number>;

/** What a competent engineer writes without a framework. */
export function loopCounts(n: number): Counts {
  const counts = new Map<number, number>();
  for (const x of numbers(0, n)) {
    const m = triple(x);
    if (!even(m)) continue;
    const key = lastDigit(m);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [String(k), v]));
}

/** The same pipeline in plain RxJS: what rxgears' operators add on top of RxJS shows against this. */
export function rxjsCounts(n: number): Promise<Counts> {
  return lastValueFrom(
    from(numbers(0, n)).pipe(
      rxMap(triple),
      rxFilter(even),
      reduce((counts, m) => {
        const key = lastDigit(m);
        return counts.set(key, (counts.get(key) ?? 0) + 1);
      }, new Map<number, number>()),
      rxMap((counts) => new Map([...counts].map(([k, v]) => [String(k), v]))),
    ),
  );
}

/**
 * The gear. GeneratorReader calls its function on every shard, so with several shards each call takes the
 * next slice of the numbers: the shards together read each number once, as shards of real data would.
 */
export async function rxgearsCounts(gears: Gears, n: number): Promise<Counts> {
  const shards = gears.shards.length;
  let call = 0;
  const slice = (): Generator<number> => {
    const part = call++;
    return numbers(Math.floor((n * part) / shards), Math.floor((n * (part + 1)) / shards));
  };
  const { results, errors } = await gears
    .GB('GeneratorReader')
    .map((x) => triple(x as number))
    .filter(even)
    .countBy(lastDigit)
    .run(slice);
  if (errors.length > 0) throw new Error(`rxgears run failed: ${errors[0]}`);
  return new Map(results.map(({ key, value }) => [key, value]));
}

function sameCounts(a: Counts, b: Counts): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

export async function run(settings: BenchSettings): Promise<ResultRow[]> {
  const n = settings.quick ? 200_000 : 1_000_000;
  const expected = loopCounts(n);
  const one = await connect();
  const three = await connect({ shards: 3 });
  const side = (name: string, counts: () => Counts | Promise<Counts>): Side => ({
    name,
    run: async () => {
      if (!sameCounts(await counts(), expected)) throw new Error(`embedded: ${name} counted differently from the loop`);
      return n;
    },
  });
  try {
    const [rx1, loop, rxjs, rx3] = await measure(
      [
        side('rxgears 1 shard', () => rxgearsCounts(one, n)),
        side('JS loop', () => loopCounts(n)),
        side('RxJS', () => rxjsCounts(n)),
        side('rxgears 3 shards', () => rxgearsCounts(three, n)),
      ],
      settings.runs,
      'embedded',
    );
    const size = `${n.toLocaleString('en-US')} records`;
    const notes = 'median records/s (input records); map(n*3) → filter(even) → countBy(n%10) from a sync generator';
    return [
      throughputRow(
        { id: 3, workload: `embedded engine, memory store 1 shard, ${size}`, baselineName: 'plain JS loop', notes },
        rx1!,
        loop!,
        { minRate: TARGET_RATE },
      ),
      throughputRow(
        { id: 3, workload: `embedded engine, memory store 1 shard, ${size}`, baselineName: 'raw RxJS pipe', notes },
        rx1!,
        rxjs!,
      ),
      throughputRow(
        {
          id: 3,
          workload: `embedded engine, memory store 3 shards, ${size}`,
          baselineName: 'plain JS loop',
          notes: `${notes}; each shard reads a third, one process drives all three`,
        },
        rx3!,
        loop!,
        { minRate: TARGET_RATE },
      ),
    ];
  } finally {
    await one.close();
    await three.close();
  }
}
