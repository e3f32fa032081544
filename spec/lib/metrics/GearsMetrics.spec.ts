import { afterEach, describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { Registry } from 'prom-client';
import { connect, GearsError, type Gears } from '../../../lib/index.ts';
import { metricsOf } from '../../../lib/metrics/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/index.ts';
import { parseMetrics, sample } from '../../support/prometheus.ts';
import { until } from '../../support/until.ts';
import { redisCli } from '../server/helpers.ts';

describe('metrics', () => {
  const opened: Gears[] = [];
  const open = async (options: Parameters<typeof connect>[0]): Promise<Gears> => {
    const gears = await connect(options);
    opened.push(gears);
    return gears;
  };
  afterEach(async () => {
    for (const gears of opened.splice(0)) await gears.close();
  });

  const scrape = async (gears: Gears) => parseMetrics(await metricsOf(gears).registry.metrics());

  it('counts executions by status (done, failed, aborted) and times them, in text a Prometheus parser reads', async () => {
    const gears = await open({ shards: 3, metrics: true });
    await gears.execute('SET', 'a', '1');
    await gears
      .GB()
      .map((r) => r.key)
      .run();
    await gears
      .GB()
      .map(() => {
        throw new Error('boom');
      })
      .run();
    const id = (await gears.GB('GeneratorReader').run(() => NEVER, { unblocking: true })) as string;
    gears.abortExecution(id);

    const families = await scrape(gears);
    expect(sample(families, 'rxgears_executions_total', { status: 'done' })).toBe(1);
    expect(sample(families, 'rxgears_executions_total', { status: 'failed' })).toBe(1);
    expect(sample(families, 'rxgears_executions_total', { status: 'aborted' })).toBe(1);
    expect(families.get('rxgears_execution_duration_seconds')?.type).toBe('HISTOGRAM');
    const [duration] = families.get('rxgears_execution_duration_seconds')!.metrics;
    expect([duration?.count, duration?.buckets?.['+Inf']]).toEqual(['3', '3']);
    expect(Number(duration?.sum)).toBeGreaterThanOrEqual(0);
    expect(sample(families, 'rxgears_executions_kept')).toBe(1);
    expect(sample(families, 'rxgears_executions_running')).toBe(0);
    expect(sample(families, 'rxgears_shards')).toBe(3);
  });

  it('counts per-step records, registration events and failures, and drops the series of an unregistered gear', async () => {
    const gears = await open({ shards: 1, metrics: true });
    const id = await gears
      .GB()
      .filter((r) => r.key !== 'person:skip')
      .map((r) => {
        if (r.key === 'person:bad') throw new Error('bad person');
        return r.key;
      })
      .register({ prefix: 'person:*' });
    for (const key of ['person:1', 'person:2', 'person:skip', 'person:bad']) await gears.execute('SET', key, 'x');
    await until(
      () => gears.dumpRegistrations()[0]!.numSuccess + gears.dumpRegistrations()[0]!.numFailures === 4,
      'four runs',
    );
    await until(() => gears.dumpExecutions().every((e) => e.status === 'done'), 'all executions done');

    let families = await scrape(gears);
    expect(sample(families, 'rxgears_registration_events_total', { registration: id })).toBe(4);
    expect(sample(families, 'rxgears_registration_failures_total', { registration: id })).toBe(1);
    const records = (step: string, direction: string) =>
      sample(families, 'rxgears_step_records_total', { registration: id, step, direction });
    expect([records('0', 'in'), records('0', 'out'), records('1', 'in'), records('1', 'out')]).toEqual([4, 3, 3, 2]);
    expect(sample(families, 'rxgears_registrations', { reader: 'KeysReader', status: 'OK' })).toBe(1);
    expect(sample(families, 'rxgears_registration_executions_in_flight', { registration: id })).toBe(0);

    gears.unregister(id);
    await until(async () => {
      families = await scrape(gears);
      return sample(families, 'rxgears_registration_events_total', { registration: id }) === undefined;
    }, 'the series of the unregistered gear pruned');
    expect(sample(families, 'rxgears_step_records_total', { registration: id })).toBeUndefined();
    expect(sample(families, 'rxgears_executions_total', { status: 'done' })).toBe(3);
    expect(sample(families, 'rxgears_executions_total', { status: 'failed' })).toBe(1);
  });

  it('shows a registration’s executions in flight while its gear waits', async () => {
    const gears = await open({ metrics: true });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const id = await gears
      .GB()
      .map(async (r) => {
        await gate;
        return r.key;
      })
      .register({ prefix: 'slow:*' });
    await gears.execute('SET', 'slow:1', 'x');
    await until(
      async () => sample(await scrape(gears), 'rxgears_registration_executions_in_flight', { registration: id }) === 1,
      'one execution in flight',
    );
    expect(sample(await scrape(gears), 'rxgears_executions_running')).toBe(1);
    release();
    await until(
      async () => sample(await scrape(gears), 'rxgears_registration_executions_in_flight', { registration: id }) === 0,
      'nothing in flight',
    );
  });

  it('registers into the registry given to connect(), and refuses a second engine in the same registry', async () => {
    const registry = new Registry();
    const gears = await open({ metrics: registry });
    expect(metricsOf(gears).registry).toBe(registry);
    expect(await registry.getSingleMetricAsString('rxgears_shards')).toContain('rxgears_shards 1');
    await expect(connect({ metrics: registry })).rejects.toThrow(
      new GearsError('the registry already has a metric rxgears_executions_total'),
    );
    expect(() => metricsOf(gears, { registry: new Registry() })).toThrow(
      "this engine's metrics are already registered in another registry",
    );
  });

  it('rejects a metrics option that is neither true nor a registry', async () => {
    await expect(connect({ metrics: 'yes' as unknown as boolean })).rejects.toThrow(
      new GearsError("connect(): 'metrics' must be true or a prom-client Registry"),
    );
  });

  it('takes its metrics out of the registry on close(), so the registry can serve another engine', async () => {
    const registry = new Registry();
    const gears = await open({ metrics: registry });
    metricsOf(gears).close();
    expect(registry.getMetricsAsArray()).toEqual([]);
    const next = await open({ metrics: registry });
    expect(metricsOf(next).registry).toBe(registry);
  });

  describe('through the RESP server', () => {
    let server: RxgearsServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('counts proxied commands and their errors by command, unknown names as other', async () => {
      const gears = await open({ shards: 3, metrics: true });
      server = await createServer(gears, { port: 0 });
      await redisCli(server.port, ['SET', 'k', 'v']);
      await redisCli(server.port, ['GET', 'k']);
      await redisCli(server.port, ['INCR', 'k']); // ERR value is not an integer
      await redisCli(server.port, ['NOSUCHCOMMAND', 'x']);
      await redisCli(server.port, ['RG.DUMPREGISTRATIONS']); // not proxied: an RG command
      const families = await scrape(gears);
      expect(sample(families, 'rxgears_proxy_commands_total', { command: 'set' })).toBe(1);
      expect(sample(families, 'rxgears_proxy_commands_total', { command: 'incr' })).toBe(1);
      expect(sample(families, 'rxgears_proxy_errors_total', { command: 'incr' })).toBe(1);
      expect(sample(families, 'rxgears_proxy_errors_total', { command: 'get' })).toBeUndefined();
      expect(sample(families, 'rxgears_proxy_commands_total', { command: 'other' })).toBe(1);
      expect(families.get('rxgears_proxy_commands_total')?.metrics.length).toBe(4);
    });
  });
});
