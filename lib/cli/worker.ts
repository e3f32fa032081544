import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MAX_TASKS_PER_MASTER } from '../cluster/pieces.ts';
import type { GearModule } from '../worker/gearModule.ts';
import { integerFlag, parseCommandArgs, untilSignal, UsageError } from './args.ts';

export const HELP = `Usage: rxgears worker --redis URL --app NAME [--gears FILE] [--id ID] [--lease MS]
       [--tasks-per-master K] [--allow-require]

A worker process of an app: it shares the masters of a Redis Cluster (or a standalone Redis) with the app's
other workers through leases kept in Redis, and runs its part of every run a driver starts
(connect(url, { app }) or rxgears serve --app). Start any number, on any machines.

  --redis URL      the app's Redis or Redis Cluster (redis://[user:pass@]host:port)
  --app NAME       the app (letters, digits, '_', '.', '-'): workers and drivers of one app meet by it
  --gears FILE     a gear module (export default defineGears({ name: (GB) => … })) drivers run by name
  --id ID          this worker's id, stable across restarts (default <host>-<pid>)
  --lease MS       lease time to live (default 10000; ticks every MS/3); a dead worker's shards move after it
  --tasks-per-master K
                   split each master's slots into K tasks (default 1), so a run's work balances over more
                   workers than masters; every worker and driver of the app must use the same K
  --allow-require  give scripts require, process and import() (trusted scripts only)
  --verbose        say what it holds and runs, on stderr

Prints "rxgears worker <id> ready"; stops on SIGINT / SIGTERM, handing its shards to the others at once.
`;

export async function run(args: string[]): Promise<void> {
  const { values, positionals, source } = parseCommandArgs('worker', args, {
    redis: { type: 'string' },
    app: { type: 'string' },
    gears: { type: 'string' },
    id: { type: 'string', env: 'RXGEARS_WORKER_ID' },
    lease: { type: 'string' },
    'tasks-per-master': { type: 'string' },
    'allow-require': { type: 'boolean' },
    verbose: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`worker: unexpected argument '${positionals[0]}'`);
  if (values.redis === undefined) throw new UsageError('worker: --redis URL is required (workers meet in Redis)');
  if (values.app === undefined) throw new UsageError('worker: --app NAME is required');
  if (!/^[\w.-]+$/.test(values.app))
    throw new UsageError(`worker: --app '${values.app}' must be letters, digits, '_', '.' or '-'`);
  if (values.id !== undefined && !/^[\w.-]+$/.test(values.id))
    throw new UsageError(`worker: --id '${values.id}' must be letters, digits, '_', '.' or '-'`);
  const leaseMs = integerFlag(source('lease'), values.lease, 300, 3_600_000);
  const tasksPerMaster = integerFlag(source('tasks-per-master'), values['tasks-per-master'], 1, MAX_TASKS_PER_MASTER);

  let module: GearModule | undefined;
  if (values.gears !== undefined) {
    const { gearModuleOf } = await import('../worker/gearModule.ts');
    let loaded: unknown;
    try {
      loaded = await import(pathToFileURL(resolve(values.gears)).href);
    } catch (error) {
      throw new UsageError(`worker: cannot load ${values.gears}: ${(error as Error).message}`);
    }
    module = gearModuleOf(loaded, values.gears);
  }

  const { connect } = await import('../connect.ts');
  const { GearsWorker } = await import('../worker/Worker.ts');
  const gears = await connect({ redis: values.redis });
  const verbose = values.verbose ?? false;
  const worker = new GearsWorker({
    gears,
    app: values.app,
    ...(values.id !== undefined ? { id: values.id } : {}),
    ...(module !== undefined ? { module } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(tasksPerMaster !== undefined ? { tasksPerMaster } : {}),
    allowRequire: values['allow-require'] ?? false,
    ...(verbose ? { log: (line: string) => void process.stderr.write(`rxgears worker: ${line}\n`) } : {}),
  });
  // A script's stray rejected Promise must not take the worker down.
  const onRejection = (error: unknown): void => {
    process.stderr.write(`rxgears worker: unhandled rejection in a script: ${String(error)}\n`);
  };
  process.on('unhandledRejection', onRejection);
  const stopped = untilSignal();
  try {
    await worker.start();
    process.stdout.write(`rxgears worker ${worker.id} ready\n`);
    await stopped;
  } finally {
    await worker.stop();
    await gears.close();
    process.off('unhandledRejection', onRejection);
  }
}
