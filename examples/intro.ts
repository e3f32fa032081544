/**
 * The RedisGears intro tutorial, step by step, in TypeScript, on the embedded store with 3 shards (a Redis
 * Cluster in one process). Run it with `npm start`. Every step prints the gear function and what it returned.
 */
import { readFile } from 'node:fs/promises';
import { connect, hashSlot, type Gears } from '../lib/index.ts';
import { parseCommandFile } from '../lib/server/protocol/commandLine.ts';

/** The tutorial data set (`persons.txt`), written through the engine so each key lands on its shard. */
export async function loadPersons(gears: Gears): Promise<void> {
  const text = await readFile(new URL('./persons.txt', import.meta.url), 'utf8');
  for (const [command, ...args] of parseCommandFile(text)) await gears.execute(command!, ...args);
}

type Person = Record<string, string>;
const age = (r: { value: unknown }): number => Number((r.value as Person).age);
const family = (r: { value: unknown }): string => (r.value as Person).name!.split(' ')[1]!;
const maximum = (a: number | undefined, x: number): number => Math.max(a ?? 0, x);

/** The tutorial's steps: a title, the gear function, and how to show its result. */
export function tutorial(gears: Gears): { title: string; run: () => Promise<unknown> }[] {
  const { GB, execute } = gears;
  return [
    { title: 'Every key, with its type and value', run: () => GB().run() },
    { title: "Only the persons: run('person:*')", run: () => GB().run('person:*') },
    {
      title: 'Filter: persons older than 35',
      run: () =>
        GB()
          .filter((r) => age(r) > 35)
          .map((r) => r.key)
          .run('person:*'),
    },
    { title: 'Map: each person to their age', run: () => GB().map(age).run('person:*') },
    {
      title: 'Accumulate is local: one maximum per shard',
      run: () => GB().map(age).accumulate(maximum).run('person:*'),
    },
    {
      title: 'Collect, then accumulate again: the maximum age',
      run: () => GB().map(age).accumulate(maximum).collect().accumulate(maximum).run('person:*'),
    },
    {
      title: 'collect: false returns only the initiator shard’s own records (person:1, person:5 live there)',
      run: () =>
        GB()
          .map((r) => r.key)
          .run('person:*', { collect: false }),
    },
    {
      title: 'Aggregate: local sum and count, collected and combined, then divided — the average age',
      run: () =>
        GB()
          .map(age)
          .aggregate(
            { sum: 0, count: 0 },
            (a, x) => ({ sum: a.sum + x, count: a.count + 1 }),
            (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
          )
          .map((a) => a.sum / a.count)
          .run('person:*'),
    },
    { title: 'avg() does the same', run: () => GB().map(age).avg().run('person:*') },
    { title: 'countBy: persons per family', run: () => GB().countBy(family).run('person:*') },
    { title: 'count()', run: () => GB().count().run('person:*') },
    {
      title: 'Repartition: each family name to the shard that owns it, which INCRs it there',
      run: async () => {
        const run = await GB()
          .map(family)
          .repartition((name) => name)
          .forEach((name) => execute('INCR', name))
          .run('person:*');
        const counters = await Promise.all(
          ['Smith', 'Sanchez', 'Pibbles'].map(
            async (name) => `${name}=${String(await execute('GET', name))} (slot ${hashSlot(name)})`,
          ),
        );
        return { ...run, counters };
      },
    },
    { title: 'ShardsIDReader: one record per shard', run: () => GB('ShardsIDReader').run() },
    {
      title: 'Unblocking: run() gives an execution id at once; dumpExecutions() lists it; getResults() fetches it',
      run: async () => {
        const id = await GB().map(age).avg().run('person:*', { unblocking: true });
        const listed = gears.dumpExecutions();
        const { results, errors } = await gears.getResultsBlocking(id);
        return { id, listed, results, errors };
      },
    },
  ];
}

async function main(): Promise<void> {
  const gears = await connect({ shards: 3 });
  try {
    await loadPersons(gears);
    console.log(
      `rxgears intro — ${gears.shards.length} embedded shards, the tutorial data loaded from examples/persons.txt\n`,
    );
    for (const [i, step] of tutorial(gears).entries()) {
      console.log(`${i + 1}. ${step.title}`);
      console.log(`   ${step.run.toString().replace(/\s+/g, ' ')}`);
      console.log(`   → ${JSON.stringify(await step.run())}\n`);
    }
  } finally {
    await gears.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
