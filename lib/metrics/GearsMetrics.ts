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
  /**
   * Every counter series, with what it counted since the last scrape. prom-client hashes and validates the
   * labels on each `inc()` (measured: 20-40 µs an event with per-step series, more than the event itself),
   * so the event path adds to plain numbers here and a scrape hands them over (`flush`).
   */
  private readonly pending = new Map<string, PendingCount>();
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
    const prune = (): void => this.flush();
    this.executions = new Counter({
      name: 'rxgears_executions_total',
      help: 'Executions finished, by status: done, failed (done with errors) or aborted.',
      labelNames: ['status'],
      registers,
      collect: prune,
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
      collect: prune,
    });
    this.proxyErrors = new Counter({
      name: 'rxgears_proxy_errors_total',
      help: 'Proxied commands answered with an error, by command.',
      labelNames: ['command'],
      registers,
      collect: prune,
    });
    this.gauges(registers);
    this.stop = gears.addObserver((event) => this.count(event));
  }

  /** Counts one command the server proxied (`failed`: answered with an error). */
  countProxied(command: string, failed: boolean): void {
    const lower = command.toLowerCase();
    // A client can send any name: unknown ones share one series instead of making one each.
    const name = exists(lower) ? lower : 'other';
    this.add(this.proxyCommands, `p\0${name}`, '', () => ({ command: name }), 1);
    if (failed) this.add(this.proxyErrors, `q\0${name}`, '', () => ({ command: name }), 1);
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
      this.add(this.events, `e\0${registration}`, registration, () => ({ registration }), 1);
      return;
    }
    this.totals.executions++;
    const left = (this.inFlight.get(registration) ?? 0) - 1;
    if (left > 0) this.inFlight.set(registration, left);
    else this.inFlight.delete(registration);
    const { status } = event;
    this.add(this.executions, `x\0${status}`, '', () => ({ status }), 1);
    this.duration.observe(event.durationMs / 1000);
    if (status === 'failed' && registration !== '') {
      this.add(this.failures, `f\0${registration}`, registration, () => ({ registration }), 1);
    }
    const steps = execution.steps;
    for (let index = 0; index < steps.length; index++) {
      const { op, recordsIn, recordsOut } = steps[index]!;
      const step = String(index);
      const key = `${registration}\0${index}\0${op}`;
      if (recordsIn > 0) {
        this.add(
          this.records,
          `i\0${key}`,
          registration,
          () => ({ registration, step, op, direction: 'in' }),
          recordsIn,
        );
      }
      if (recordsOut > 0) {
        this.add(
          this.records,
          `o\0${key}`,
          registration,
          () => ({ registration, step, op, direction: 'out' }),
          recordsOut,
        );
      }
    }
  }

  /** Adds to a series; its labels are made once, when the series first counts. */
  private add(
    counter: Counter<string>,
    key: string,
    registration: string,
    labels: () => Record<string, string>,
    value: number,
  ): void {
    const entry = this.pending.get(key);
    if (entry) entry.value += value;
    else this.pending.set(key, { counter, labels: labels(), registration, value });
  }

  /** Hands the counts over to prom-client (at scrape), and removes the series of registrations gone. */
  private flush(): void {
    const now = Date.now();
    const live =
      now - this.lastPrune >= PRUNE_INTERVAL_MS
        ? ((this.lastPrune = now), new Set(this.gears.dumpRegistrations().map((r) => r.id)))
        : undefined;
    for (const [key, entry] of this.pending) {
      if (live && entry.registration !== '' && !live.has(entry.registration)) {
        entry.counter.remove(entry.labels);
        this.pending.delete(key);
      } else if (entry.value > 0) {
        entry.counter.inc(entry.labels, entry.value);
        entry.value = 0;
      }
    }
  }
}

/** A counter series and what it counted since the last scrape. */
interface PendingCount {
  counter: Counter<string>;
  labels: Record<string, string>;
  /** The registration it belongs to ('' for none): its series go when it does. */
  registration: string;
  value: number;
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
