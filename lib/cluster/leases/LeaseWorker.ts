import { GearsError } from '../../errors.ts';
import type { ShardStore } from '../../store/ShardStore.ts';
import { leaseTick, type TickOutcome } from './tick.ts';

export interface LeaseWorkerOptions {
  app: string;
  /** This worker's id (stable across restarts to get its own tasks back first). */
  id: string;
  tasks: readonly string[];
  /** Lease time to live, ms (default 10 000). */
  leaseMs?: number;
  /** Tick period, ms (default leaseMs / 3). */
  tickMs?: number;
  /** A monotonic clock, ms (default `performance.now`). */
  now?: () => number;
  /** Stops a task this worker runs (it lost the lease, or gives the task up); awaited before the lease goes. */
  stop?: (task: string, reason: 'lost' | 'released') => void | Promise<void>;
  /** Starts a task this worker just acquired, at `epoch`. */
  start?: (task: string, epoch: number) => void;
  /** What this worker says of itself in the app's `workers` hash, written with every heartbeat. */
  info?: string;
}

export const LEASE_WORKER_DEFAULTS = { leaseMs: 10_000 } as const;

/** A task this worker runs, and until when (its own clock) it may believe so. */
export interface HeldTask {
  epoch: number;
  validUntil: number;
}

/**
 * One worker's side of the control plane: its beliefs about the tasks it holds, kept by ticks. Self-fencing:
 * a lease counts as valid only until `tickStart + lease − tick` by the worker's own clock (the
 * key itself lives until at least `tickStart + lease`), and a tick first
 * stops every task past that — a worker whose event loop was blocked, or that was stopped (SIGSTOP) past its
 * lease, stops its tasks before anything else, because another worker may own them by now.
 */
export class LeaseWorker {
  readonly held = new Map<string, HeldTask>();
  private readonly stopped = new Set<string>();
  private readonly leaseMs: number;
  readonly tickMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ShardStore,
    private readonly options: LeaseWorkerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? LEASE_WORKER_DEFAULTS.leaseMs;
    this.tickMs = options.tickMs ?? Math.floor(this.leaseMs / 3);
    if (!(this.tickMs > 0 && 2 * this.tickMs < this.leaseMs))
      throw new GearsError('lease workers need 0 < 2 × tick < lease');
    this.now = options.now ?? (() => performance.now());
  }

  get id(): string {
    return this.options.id;
  }

  /** Tasks held with a lease valid by this worker's clock now. */
  validTasks(): Map<string, number> {
    const now = this.now();
    return new Map([...this.held].filter(([, h]) => h.validUntil > now).map(([t, h]) => [t, h.epoch]));
  }

  /** One tick: self-fence, then the control transaction; the outcome, or undefined when it kept conflicting. */
  async tick(): Promise<TickOutcome | undefined> {
    const started = this.now();
    for (const [task, held] of this.held)
      if (held.validUntil <= started) {
        // Stopped now; kept in `stopped` so that a lease of ours still marked releasing is dropped next.
        this.held.delete(task);
        this.stopped.add(task);
        await this.options.stop?.(task, 'lost');
      }
    const outcome = await leaseTick(this.store, {
      app: this.options.app,
      self: this.options.id,
      tasks: this.options.tasks,
      stopped: this.stopped,
      leaseMs: this.leaseMs,
      ...(this.options.info !== undefined ? { info: this.options.info } : {}),
    });
    if (!outcome) return undefined;
    const validUntil = started + this.leaseMs - this.tickMs;
    for (const task of outcome.decision.drop) {
      this.held.delete(task);
      this.stopped.delete(task);
    }
    for (const [task, epoch] of outcome.held) {
      const running = this.held.has(task) && !this.stopped.has(task);
      this.held.set(task, { epoch, validUntil });
      if (outcome.releasing.has(task)) {
        // Given up (now or by an earlier incarnation of this worker id): stopped before its lease goes.
        if (running) await this.options.stop?.(task, 'released');
        this.stopped.add(task);
      } else if (!running) {
        this.stopped.delete(task);
        this.options.start?.(task, epoch);
      }
    }
    return outcome;
  }
}
