import { showProgress } from './progress.ts';
import { basename } from 'node:path';
import type { RunResult } from '../engine/Execution.ts';
import { integerFlag, parseCommandArgs, readSource, untilSignal, UsageError } from './args.ts';

export const HELP = `Usage: rxgears exec <file|-> [--redis URL | --shards N] [--unblocking] [--allow-require]

Runs a gear script (JavaScript or TypeScript, "-" reads standard input) once, with the globals RG.JSEXECUTE
gives it (GB, execute, console, timers). Prints each result as one JSON line on stdout and each error on
stderr; the exit code is 1 when there were errors.

  --redis URL       run on this Redis or Redis Cluster
  --shards N        run on the embedded store with N shards (default 1; an empty store unless the script fills it)
  --unblocking      run() returns the execution id at once: print it, then the results when they are ready
  --allow-require   give the script require, process and import()

A script that registers keeps running until SIGINT / SIGTERM.
`;

function jsonLine(record: unknown): string {
  try {
    return JSON.stringify(record) ?? 'null';
  } catch {
    return JSON.stringify(String(record)); // a bigint or a cycle
  }
}

function printResult(result: RunResult<unknown>): void {
  for (const record of result.results) process.stdout.write(`${jsonLine(record)}\n`);
  for (const error of result.errors) process.stderr.write(`${error}\n`);
  if (result.errors.length > 0) process.exitCode = 1;
}

export async function run(args: string[]): Promise<void> {
  const {
    values,
    positionals,
    source: from,
  } = parseCommandArgs('exec', args, {
    redis: { type: 'string', group: 'data' },
    shards: { type: 'string', group: 'data' },
    unblocking: { type: 'boolean' },
    'allow-require': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const [file, extra] = positionals;
  if (file === undefined) throw new UsageError('exec: which script? (rxgears exec <file|->, see --help)');
  if (extra !== undefined) throw new UsageError(`exec: unexpected argument '${extra}'`);
  if (values.redis !== undefined && values.shards !== undefined) {
    throw new UsageError(`exec: ${from('redis')} and ${from('shards')} exclude each other`);
  }
  const shards = integerFlag(from('shards'), values.shards, 1, 16384);
  const source = await readSource(file);

  const { connect } = await import('../connect.ts');
  const { runScript } = await import('../server/rg/sandbox.ts');
  const gears = await connect(values.redis !== undefined ? { redis: values.redis } : { shards: shards ?? 1 });
  // Long batch runs on a terminal: a live line of records read / out / errors on stderr.
  const stopProgress = showProgress(gears.runningExecutions);
  try {
    const outcome = await runScript(gears, source, {
      filename: file === '-' ? 'stdin' : basename(file),
      unblocking: values.unblocking ?? false,
      allowRequire: values['allow-require'] ?? false,
    });
    if (outcome.kind !== 'unblocking') stopProgress();
    switch (outcome.kind) {
      case 'run':
        printResult(outcome.result);
        break;
      case 'unblocking': {
        // The id first (a caller can RG.GETEXECUTION it elsewhere), then the results: the process owns the run.
        process.stdout.write(`${outcome.executionId}\n`);
        const result = await gears.getResultsBlocking(outcome.executionId);
        stopProgress();
        printResult(result);
        break;
      }
      case 'register': {
        const stopped = untilSignal(); // listening before the id is out: stdout to a pipe is synchronous
        process.stdout.write(`${outcome.registrationId}\n`);
        await stopped;
        break;
      }
      case 'none':
        break;
    }
  } finally {
    stopProgress();
    await gears.close();
  }
}
