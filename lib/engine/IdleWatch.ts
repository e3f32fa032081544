import type { Execution } from './Execution.ts';

/**
 * `ExecutionMaxIdleTime` for every running execution of an engine on one timer: while shards wait on each
 * other, or every reader is done and records wait in callbacks (on one shard too: a callback that never
 * settles), an execution in which no record moved for that long is aborted with `Execution max idle reached`,
 * keeping its partial results. One timer for all instead of an interval per execution: an event registration
 * starts an execution per event, and a timer each was a measurable part of an event's cost when they overlap
 * (bench/README).
 *
 * It watches the launcher's set of running executions and keeps state only for those a tick has seen, so an
 * execution that starts and finishes between two ticks (most of an event registration's) costs it nothing:
 * one not seen before counts as having had no activity since it started (`activity` starts at 0), as if it had
 * been watched from then. The timer stops when the last running execution finishes: an idle engine holds none.
 */
export class IdleWatch {
  /** What the last tick saw of each running execution: its activity counter, and since when it is unchanged. */
  private readonly seen = new Map<Execution, { activity: number; since: number }>();
  private timer: NodeJS.Timeout | undefined;

  /** `idleTime()` is read at every tick, so a CONFIGSET applies to executions already running. */
  constructor(
    private readonly running: ReadonlySet<Execution>,
    private readonly idleTime: () => number,
  ) {}

  /** An execution was added to the running set: the timer runs until that set is empty. */
  started(): void {
    this.schedule();
  }

  /** An execution left the running set: with none left, no timer (nor state) either. */
  finished(): void {
    if (this.running.size > 0) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.seen.clear();
  }

  /** Ticks every fifth of the idle time (10 ms to 1 s), as long as something runs. */
  private schedule(): void {
    if (this.timer !== undefined || this.running.size === 0) return;
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
    for (const execution of this.seen.keys()) if (!this.running.has(execution)) this.seen.delete(execution);
    for (const execution of this.running) {
      let seen = this.seen.get(execution);
      if (!seen) this.seen.set(execution, (seen = { activity: 0, since: execution.startedAt ?? now }));
      if (execution.activity !== seen.activity || !execution.stalled) {
        seen.activity = execution.activity;
        seen.since = now;
      } else if (now - seen.since >= idleTime) {
        execution.abort('Execution max idle reached');
      }
    }
  }
}
