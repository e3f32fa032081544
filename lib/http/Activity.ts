import type { Gears } from '../Gears.ts';
import type { GearsMetrics } from '../metrics/GearsMetrics.ts';

/** One sample of the running totals: time (ms since epoch), registration events and finished executions. */
export interface ActivitySample {
  t: number;
  events: number;
  executions: number;
}

/** The dashboard's memory: totals sampled each second for its chart, and which registration ran which execution. */
export interface ActivityOptions {
  /** Sampling period, ms. */
  intervalMs: number;
  /** Samples kept (the chart's width in time is intervalMs × samples). */
  samples: number;
  /** Execution ids remembered with their registration, newest kept. */
  executions: number;
}

export const DEFAULT_ACTIVITY_OPTIONS: ActivityOptions = { intervalMs: 1000, samples: 300, executions: 5000 };

/**
 * Samples `metrics.totals` on a timer (unref'd: it never keeps the process alive) and remembers the
 * registration of each execution the engine started, which `getExecution()` does not report.
 */
export class Activity {
  private readonly history: ActivitySample[] = [];
  private readonly registrationOf = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly stopObserving: () => void;

  constructor(
    gears: Gears,
    private readonly metrics: GearsMetrics,
    private readonly options: ActivityOptions = DEFAULT_ACTIVITY_OPTIONS,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), options.intervalMs);
    this.timer.unref();
    this.stopObserving = gears.addObserver((event) => {
      const { execution } = event;
      if (event.type !== 'executionStarted' || execution.registrationId === undefined) return;
      this.registrationOf.set(execution.id, execution.registrationId);
      // A Map iterates oldest first: drop the oldest once over the bound.
      if (this.registrationOf.size > this.options.executions) {
        this.registrationOf.delete(this.registrationOf.keys().next().value!);
      }
    });
  }

  /** The samples, oldest first, ending with one taken now. */
  samples(): ActivitySample[] {
    return [...this.history, this.now()];
  }

  registrationOfExecution(id: string): string | undefined {
    return this.registrationOf.get(id);
  }

  close(): void {
    clearInterval(this.timer);
    this.stopObserving();
  }

  private now(): ActivitySample {
    return { t: Date.now(), ...this.metrics.totals };
  }

  private sample(): void {
    this.history.push(this.now());
    if (this.history.length > this.options.samples) this.history.shift();
  }
}
