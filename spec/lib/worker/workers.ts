import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from '../../support/until.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/** A worker child process (`rxgears worker --verbose`) and what it said it holds. */
export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  held: Set<string>;
  /** Everything it wrote to stderr. */
  log: string[];
  exited: Promise<void>;
}

const children = new Set<ChildProcess>();

/** SIGKILLs every worker still running (afterAll). */
export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Starts `rxgears worker` for `app` on `url`; resolves once it printed that it is ready. */
export async function startWorker(
  url: string,
  app: string,
  id: string,
  extra: string[] = [],
  leaseMs = 3000,
  /** Added to this process' environment (e.g. `NODE_EXTRA_CA_CERTS`). */
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const args = ['--redis', url, '--app', app, '--id', id, '--lease', String(leaseMs), '--verbose', ...extra];
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const worker: WorkerProcess = {
    id,
    child,
    held: new Set(),
    log: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  void worker.exited.then(() => children.delete(child));
  let buffered = '';
  child.stderr!.on('data', (data: Buffer) => {
    buffered += data.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      worker.log.push(line);
      const holds = /holds (\S+) at epoch/.exec(line);
      if (holds) worker.held.add(holds[1]!);
      const lost = /(?:lost|gives up) (\S+)$/.exec(line);
      if (lost) worker.held.delete(lost[1]!);
    }
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.includes('ready')) resolve();
    });
    void worker.exited.then(() => reject(new Error(`worker ${id} exited early: ${worker.log.join('\n')}`)));
  });
  return worker;
}

/** Waits until the workers hold `tasks` tasks between them, each at least one. */
export async function untilSpread(workers: readonly WorkerProcess[], tasks: number, timeoutMs = 30_000): Promise<void> {
  await until(
    () => workers.every((w) => w.held.size >= 1) && workers.reduce((n, w) => n + w.held.size, 0) === tasks,
    `${workers.length} worker(s) to share ${tasks} tasks`,
    timeoutMs,
  );
}

export async function stopWorker(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  worker.child.kill(signal);
  await worker.exited;
}

/** Stops workers together: each leaves in its own time, so N of them take one worker's time, not N. */
export async function stopWorkers(workers: Iterable<WorkerProcess>): Promise<void> {
  await Promise.all([...workers].map((worker) => stopWorker(worker)));
}
