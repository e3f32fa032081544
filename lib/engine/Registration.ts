import type { Subscription } from 'rxjs';
import type { Plan } from '../builder/plan.ts';
import type { Execution } from './Execution.ts';

/**
 * Whether an execution's error is a gear pausing its own registration: RedisGears' gears raise an error whose
 * message is `PAUSE`; here any error whose message is `PAUSE` (`throw new Error('PAUSE')`).
 */
export function isPauseError(error: string): boolean {
  return /^(?:[A-Za-z_$][\w$]*: )?PAUSE$/.test(error);
}

/** How a registration runs its executions. */
export type RegistrationMode = 'async' | 'async_local' | 'sync';

/** Stream registrations' states (RedisGears' names); other registrations stay `OK` or `PAUSED`. */
export type RegistrationStatus = 'OK' | 'PAUSED' | 'ABORTED' | 'WAITING_FOR_RETRY_ON_FAILURE';

/** A line of `dumpRegistrations()` (RG.DUMPREGISTRATIONS), flat. */
export interface RegistrationInfo {
  id: string;
  reader: string;
  desc: string | undefined;
  mode: RegistrationMode;
  status: RegistrationStatus;
  numTriggered: number;
  numSuccess: number;
  numFailures: number;
  numAborted: number;
  lastRunDurationMS: number;
  totalRunDurationMS: number;
  avgRunDurationMS: number;
  lastError: string | null;
  /** The options it was registered with (callbacks shown as `[function]`). */
  args: Record<string, unknown>;
  /** Stream registrations: how long the last batch's first entry waited, ms. */
  lastEstimatedLagMS?: number;
  avgEstimatedLagMS?: number;
}

/**
 * One registration: its plan, options, event subscriptions (one per shard) and counters. The engine owns the
 * lifecycle; this object keeps the state `dumpRegistrations()` reports.
 */
export class Registration {
  status: RegistrationStatus = 'OK';
  numTriggered = 0;
  numSuccess = 0;
  numFailures = 0;
  numAborted = 0;
  lastRunDurationMS = 0;
  totalRunDurationMS = 0;
  lastError: string | null = null;
  private lagSamples = 0;
  private totalLagMS = 0;
  private lastLagMS = 0;
  /** Per shard id: the subscription to that shard's event source. */
  readonly subscriptions = new Map<string, Subscription>();
  active = true;

  constructor(
    readonly id: string,
    readonly plan: Plan,
    readonly mode: RegistrationMode,
    readonly collect: boolean,
    readonly args: Record<string, unknown>,
    /** Stream registrations report their lag (`lastEstimatedLagMS`, `avgEstimatedLagMS`). */
    private readonly reportsLag = false,
  ) {}

  /** The last execution started in order (`inOrder`): the next one starts when it is done. */
  private orderTail: Promise<unknown> = Promise.resolve();

  /** Starts `start()`'s execution once every execution started in order before it is done. */
  inOrder(start: () => Execution): Promise<Execution> {
    const started = this.orderTail.then(start);
    this.orderTail = started.then(
      (execution) => execution.done,
      () => undefined,
    );
    return started;
  }

  get paused(): boolean {
    return this.status === 'PAUSED';
  }

  /** An execution ended: count it. */
  recordRun(outcome: { status: 'done' | 'aborted'; errors: readonly string[]; durationMS: number }): void {
    this.lastRunDurationMS = outcome.durationMS;
    this.totalRunDurationMS += outcome.durationMS;
    if (outcome.status === 'aborted') this.numAborted++;
    else if (outcome.errors.length > 0) {
      this.numFailures++;
      this.lastError = outcome.errors[0] ?? null;
    } else this.numSuccess++;
  }

  recordLag(lagMS: number): void {
    this.lastLagMS = lagMS;
    this.totalLagMS += lagMS;
    this.lagSamples++;
  }

  clearStats(): void {
    this.numTriggered = this.numSuccess = this.numFailures = this.numAborted = 0;
    this.lastRunDurationMS = this.totalRunDurationMS = 0;
    this.lastError = null;
    this.lagSamples = this.totalLagMS = this.lastLagMS = 0;
  }

  /** Stops listening on every shard. */
  stop(): void {
    this.active = false;
    for (const subscription of this.subscriptions.values()) subscription.unsubscribe();
    this.subscriptions.clear();
  }

  info(): RegistrationInfo {
    const finished = this.numSuccess + this.numFailures + this.numAborted;
    const info: RegistrationInfo = {
      id: this.id,
      reader: this.plan.reader,
      desc: this.plan.desc,
      mode: this.mode,
      status: this.status,
      numTriggered: this.numTriggered,
      numSuccess: this.numSuccess,
      numFailures: this.numFailures,
      numAborted: this.numAborted,
      lastRunDurationMS: this.lastRunDurationMS,
      totalRunDurationMS: this.totalRunDurationMS,
      avgRunDurationMS: finished === 0 ? 0 : this.totalRunDurationMS / finished,
      lastError: this.lastError,
      args: Object.fromEntries(
        Object.entries(this.args).map(([k, v]) => [k, typeof v === 'function' ? '[function]' : v]),
      ),
    };
    if (this.reportsLag) {
      info.lastEstimatedLagMS = this.lastLagMS;
      info.avgEstimatedLagMS = this.lagSamples === 0 ? 0 : this.totalLagMS / this.lagSamples;
    }
    return info;
  }
}
