import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { exists } from '@ioredis/commands';
import type { Gears } from '../Gears.ts';
import { GearsError } from '../errors.ts';
import type { GearsEvent } from '../engine/observer.ts';
import { proxyCounters } from './proxyCount.ts';

/** Options of an engine's metrics. */
export interface MetricsOptions {
  /** The prom-client registry to register into (your app's, or prom-client's global `register`); default a new one. */
  registry?: Registry;
  /** Bucket bounds of `rxgears_execution_duration_seconds`, in seconds. */
  durationBuckets?: readonly number[];
}

export const DEFAULT_METRICS_OPTIONS = {
  // Event executions take well under a millisecond each; batch runs take seconds: both ends get buckets.
  durationBuckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
} as const;

/** Registrations gone from the engine are pruned from the per-registration series at most this often. */
const PRUNE_INTERVAL_MS = 250;

/**
 * An engine's Prometheus metrics (prom-client). Counters follow the engine's events (`gears.addObserver`);
 * gauges read the engine when scraped. Series of a registration disappear once it is unregistered, so
 * registering and unregistering does not grow the registry without bound.
 */
export class GearsMetrics {
  readonly registry: Registry;
  /** Running totals the dashboard's chart samples: registration events and finished executions. */
  readonly totals = { events: 0, executions: 0 };
  private readonly executions: Counter<'status'>;
  private readonly duration: Histogram;
  private readonly records: Counter<'registration' | 'step' | 'op' | 'direction'>;
  private readonly events: Counter<'registration'>;
  private readonly failures: Counter<'registration'>;
  private readonly proxyCommands: Counter<'command'>;
  private readonly proxyErrors: Counter<'command'>;
  /** Per registration, the label sets of its series (to remove them when it is gone). */
  private readonly series = new Map<string, Record<string, string>[]>();
  private readonly seriesKeys = new Set<string>();
  /** Per registration, its executions started and not finished. */
  private readonly inFlight = new Map<string, number>();
  private lastPrune = 0;
  private readonly stop: () => void;

  constructor(
    private readonly gears: Gears,
    options: MetricsOptions = {},
  ) {
    const registry = (this.registry = options.registry ?? new Registry());
    for (const name of METRIC_NAMES) {
      // prom-client would throw half-way through; one engine's metrics per registry, said before any is added.
      if (registry.getSingleMetric(name)) throw new GearsError(`the registry already has a metric ${name}`);
    }
    const registers = [registry];
    const prune = (): void => this.prune();
    this.executions = new Counter({
      name: 'rxgears_executions_total',
      help: 'Executions finished, by status: done, failed (done with errors) or aborted.',
      labelNames: ['status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'rxgears_execution_duration_seconds',
      help: 'How long executions ran, from start to finish (runs and registration-triggered ones).',
      buckets: [...(options.durationBuckets ?? DEFAULT_METRICS_OPTIONS.durationBuckets)],
      registers,
    });
    this.records = new Counter({
      name: 'rxgears_step_records_total',
      help: 'Records into (direction=in) and out of (direction=out) each step of finished executions; registration is empty for run().',
      labelNames: ['registration', 'step', 'op', 'direction'],
      registers,
      collect: prune,
    });
    this.events = new Counter({
      name: 'rxgears_registration_events_total',
      help: 'Events (triggers) that started an execution of the registration.',
      labelNames: ['registration'],
      registers,
      collect: prune,
    });
    this.failures = new Counter({
      name: 'rxgears_registration_failures_total',
      help: "Executions of the registration that finished with errors (RG.DUMPREGISTRATIONS' numFailures).",
      labelNames: ['registration'],
      registers,
      collect: prune,
    });
    this.proxyCommands = new Counter({
      name: 'rxgears_proxy_commands_total',
      help: 'Commands the RESP server proxied to the data, by command (other for names Redis does not know).',
      labelNames: ['command'],
      registers,
    });
    this.proxyErrors = new Counter({
      name: 'rxgears_proxy_errors_total',
      help: 'Proxied commands answered with an error, by command.',
      labelNames: ['command'],
      registers,
    });
    this.gauges(registers);
    this.stop = gears.addObserver((event) => this.count(event));
  }

  /** Counts one command the server proxied (`failed`: answered with an error). */
  countProxied(command: string, failed: boolean): void {
    const lower = command.toLowerCase();
    // A client can send any name: unknown ones share one series instead of making one each.
    const labels = { command: exists(lower) ? lower : 'other' };
    this.proxyCommands.inc(labels);
    if (failed) this.proxyErrors.inc(labels);
  }

  /** Stops counting and takes rxgears' metrics out of the registry. */
  close(): void {
    this.stop();
    for (const name of METRIC_NAMES) this.registry.removeSingleMetric(name);
    attached.delete(this.gears);
    proxyCounters.delete(this.gears);
  }

  private gauges(registers: Registry[]): void {
    const { gears, inFlight } = this;
    new Gauge({
      name: 'rxgears_executions_running',
      help: 'Executions running now (blocking runs included).',
      registers,
      collect() {
        this.set(gears.runningExecutions().length);
      },
    });
    new Gauge({
      name: 'rxgears_executions_kept',
      help: 'Executions kept for RG.GETRESULTS / RG.DUMPEXECUTIONS (bounded by MaxExecutions).',
      registers,
      collect() {
        this.set(gears.dumpExecutions().length);
      },
    });
    new Gauge({
      name: 'rxgears_registrations',
      help: 'Registrations, by reader and status (OK, PAUSED, ABORTED, WAITING_FOR_RETRY_ON_FAILURE).',
      labelNames: ['reader', 'status'],
      registers,
      collect() {
        this.reset();
        for (const r of gears.dumpRegistrations()) this.inc({ reader: r.reader, status: r.status });
      },
    });
    new Gauge({
      name: 'rxgears_registration_executions_in_flight',
      help: "The registration's executions running now: events taken and not yet processed.",
      labelNames: ['registration'],
      registers,
      collect() {
        this.reset();
        for (const r of gears.dumpRegistrations()) this.set({ registration: r.id }, inFlight.get(r.id) ?? 0);
      },
    });
    new Gauge({
      name: 'rxgears_stream_lag_seconds',
      help: "StreamReader registrations: how long the last batch's first entry waited before its execution started.",
      labelNames: ['registration'],
      registers,
      collect() {
        this.reset();
        for (const r of gears.dumpRegistrations()) {
          if (r.lastEstimatedLagMS !== undefined) this.set({ registration: r.id }, r.lastEstimatedLagMS / 1000);
        }
      },
    });
    new Gauge({
      name: 'rxgears_shards',
      help: 'Shards of the engine (Redis Cluster masters, or embedded store shards).',
      registers,
      collect() {
        this.set(gears.shards.length);
      },
    });
  }

  private count(event: GearsEvent): void {
    const { execution } = event;
    const registration = execution.registrationId ?? '';
    if (event.type === 'executionStarted') {
      if (registration === '') return;
      this.totals.events++;
      this.inFlight.set(registration, (this.inFlight.get(registration) ?? 0) + 1);
      this.events.inc(this.track({ registration }));
      return;
    }
    this.totals.executions++;
    const left = (this.inFlight.get(registration) ?? 0) - 1;
    if (left > 0) this.inFlight.set(registration, left);
    else this.inFlight.delete(registration);
    this.executions.inc({ status: event.status });
    this.duration.observe(event.durationMs / 1000);
    if (event.status === 'failed' && registration !== '') this.failures.inc(this.track({ registration }));
    execution.steps.forEach((step, index) => {
      const labels = { registration, step: String(index), op: step.op };
      if (step.recordsIn > 0) this.records.inc(this.track({ ...labels, direction: 'in' }), step.recordsIn);
      if (step.recordsOut > 0) this.records.inc(this.track({ ...labels, direction: 'out' }), step.recordsOut);
    });
  }

  /** Remembers a registration's label set, so its series can be removed with it. */
  private track<L extends Record<string, string>>(labels: L & { registration: string }): L {
    if (labels.registration === '') return labels;
    const key = JSON.stringify(labels);
    if (!this.seriesKeys.has(key)) {
      this.seriesKeys.add(key);
      const list = this.series.get(labels.registration) ?? [];
      list.push(labels);
      this.series.set(labels.registration, list);
    }
    return labels;
  }

  /** Removes the series of registrations that no longer exist. */
  private prune(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_INTERVAL_MS || this.series.size === 0) return;
    this.lastPrune = now;
    const live = new Set(this.gears.dumpRegistrations().map((r) => r.id));
    for (const [registration, list] of this.series) {
      if (live.has(registration)) continue;
      for (const labels of list) {
        this.seriesKeys.delete(JSON.stringify(labels));
        const metric = 'step' in labels ? this.records : undefined;
        if (metric) metric.remove(labels);
        else {
          this.events.remove(labels);
          this.failures.remove(labels);
        }
      }
      this.series.delete(registration);
    }
  }
}

const METRIC_NAMES = [
  'rxgears_executions_total',
  'rxgears_execution_duration_seconds',
  'rxgears_step_records_total',
  'rxgears_registration_events_total',
  'rxgears_registration_failures_total',
  'rxgears_proxy_commands_total',
  'rxgears_proxy_errors_total',
  'rxgears_executions_running',
  'rxgears_executions_kept',
  'rxgears_registrations',
  'rxgears_registration_executions_in_flight',
  'rxgears_stream_lag_seconds',
  'rxgears_shards',
];

const attached = new WeakMap<Gears, GearsMetrics>();

/**
 * The metrics of an engine, made on first use (counting starts then: pass `metrics` to `connect()` to count
 * from the start). Every caller gets the same instance; asking for it with another registry is an error.
 *
 * @example
 * const gears = await connect({ metrics: true });
 * const text = await metricsOf(gears).registry.metrics(); // Prometheus text format
 */
export function metricsOf(gears: Gears, options: MetricsOptions = {}): GearsMetrics {
  const existing = attached.get(gears);
  if (existing) {
    if (options.registry !== undefined && options.registry !== existing.registry) {
      throw new GearsError("this engine's metrics are already registered in another registry");
    }
    return existing;
  }
  const metrics = new GearsMetrics(gears, options);
  attached.set(gears, metrics);
  proxyCounters.set(gears, metrics);
  return metrics;
}
