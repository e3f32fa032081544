import type { Execution } from './Execution.ts';

/**
 * `ExecutionMaxIdleTime` for every running execution of an engine on one timer: while shards wait on each
 * other, or every reader is done and records wait in callbacks (on one shard too: a callback that never
 * settles), an execution in which no record moved for that long is aborted with `Execution max idle reached`,
 * keeping its partial results. One timer for all instead of an interval per execution: an event registration
 * starts an execution per event, and a timer each was a measurable part of an event's cost when they overlap
 * (bench/README). The timer is not cleared when the last watched execution finishes: executions that follow
 * each other without overlapping (events a few ms apart) would otherwise make and clear a timer each. A tick
 * that finds nothing watched does not schedule the next, so an idle engine holds no timer one period later
 * (an unref'd one until then).
 */
export class IdleWatch {
  private readonly watched = new Map<Execution, { activity: number; since: number }>();
  private timer: NodeJS.Timeout | undefined;

  /** `idleTime()` is read at every tick, so a CONFIGSET applies to executions already running. */
  constructor(private readonly idleTime: () => number) {}

  /** Watches `execution` until `remove` (its owner calls it when the execution finishes). */
  add(execution: Execution): void {
    this.watched.set(execution, { activity: execution.activity, since: Date.now() });
    this.schedule();
  }

  /** Stops watching `execution` (it finished). */
  remove(execution: Execution): void {
    this.watched.delete(execution);
  }

  /** Ticks every fifth of the idle time (10 ms to 1 s), as long as something is watched. */
  private schedule(): void {
    if (this.timer !== undefined || this.watched.size === 0) return;
    const period = Math.max(10, Math.min(1000, this.idleTime() / 5));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      this.schedule();
    }, period);
    this.timer.unref();
  }

  private tick(): void {
    const idleTime = this.idleTime();
    const now = Date.now();
    for (const [execution, seen] of this.watched) {
      if (execution.activity !== seen.activity || !execution.stalled) {
        seen.activity = execution.activity;
        seen.since = now;
      } else if (now - seen.since >= idleTime) {
        execution.abort('Execution max idle reached');
      }
    }
  }
}
