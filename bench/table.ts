/**
 * Prints the table of a results file without running anything, e.g. to paste into README:
 *
 *   npx tsx bench/table.ts [bench/results.json]
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMachine, formatTable, type ResultsFile } from './harness.ts';

async function main(path: string): Promise<void> {
  const file = JSON.parse(await readFile(path, 'utf8')) as ResultsFile;
  console.log(formatTable(file.results));
  console.log(`\n${formatMachine(file)}`);
}

main(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results.json')).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
