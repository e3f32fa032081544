import type { ShardStore } from '../store/ShardStore.ts';
import { LeaseWorker, type LeaseWorkerOptions } from '../cluster/leases/LeaseWorker.ts';
import { leaseLeave } from '../cluster/leases/tick.ts';

export interface LeaseLoopOptions extends LeaseWorkerOptions {
  /** Called when a tick fails (Redis unreachable): the loop goes on, and leases lapse by time if it keeps failing. */
  onError?: (error: unknown) => void;
}

/**
 * A worker's lease loop: a tick every `tickMs` (README "Scaling out"). Ticks never overlap: the next is
 * scheduled when one ends. `stop()` ends the loop and leaves cleanly, so other workers take the tasks at
 * once instead of after the lease.
 */
export class LeaseLoop {
  readonly worker: LeaseWorker;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: ShardStore,
    private readonly options: LeaseLoopOptions,
  ) {
    this.worker = new LeaseWorker(store, options);
  }

  start(): void {
    if (this.stopped || this.timer) return;
    const period = this.worker.tickMs;
    const run = (): void => {
      this.running = this.worker
        .tick()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(run, period);
        });
    };
    run();
  }

  /**
   * Ends the loop: its tasks stopped ('released'), then its leases deleted — and its heartbeat too, unless the
   * worker `stays` (it goes on with another loop over other tasks: a re-plan after a topology change).
   */
  async stop(options: { stays?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const task of this.worker.held.keys()) await this.options.stop?.(task, 'released');
    await leaseLeave(this.store, this.options.app, this.options.id, this.options.tasks, options.stays === true);
    this.worker.held.clear();
  }
}
