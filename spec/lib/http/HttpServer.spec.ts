import { afterEach, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { NEVER } from 'rxjs';
import { connect, GearsError, type Gears } from '../../../lib/index.ts';
import { serveHttp, type HttpOptions, type HttpServer } from '../../../lib/http/index.ts';
import { createServer } from '../../../lib/server/index.ts';
import { deploymentsOf } from '../../../lib/server/rg/Deployments.ts';
import { redisCli } from '../server/helpers.ts';
import { parseMetrics, sample } from '../../support/prometheus.ts';
import { until } from '../../support/until.ts';

describe('the HTTP port', () => {
  let gears: Gears | undefined;
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    await gears?.close();
    http = gears = undefined;
  });

  async function start(options: HttpOptions = {}, shards = 3): Promise<{ gears: Gears; base: string }> {
    gears = await connect({ shards });
    http = await serveHttp(gears, { port: 0, ...options });
    return { gears, base: `http://127.0.0.1:${http.port}` };
  }

  const json = async (response: Response): Promise<Record<string, unknown>> =>
    (await response.json()) as Record<string, unknown>;
  const change = { 'X-Rxgears': '1' };

  it('answers /healthz, and /readyz with every shard reachable', async () => {
    const { base } = await start();
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await json(health)]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as { ready: boolean; shards: { up: boolean }[]; problems: string[] };
    expect([ready.status, body.ready, body.problems]).toEqual([200, true, []]);
    expect(body.shards.map((s) => s.up)).toEqual([true, true, true]);
  });

  it('is not ready (503) while a registration is ABORTED, saying which', async () => {
    const { gears, base } = await start({}, 1);
    const id = await gears
      .GB('StreamReader')
      .map(() => {
        throw new Error('poison');
      })
      .register({ prefix: 'orders', onFailedPolicy: 'abort' });
    await gears.execute('XADD', 'orders', '*', 'n', '1');
    await until(() => gears.dumpRegistrations()[0]?.status === 'ABORTED', 'the registration aborted');
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as { ready: boolean; problems: string[] };
    expect([ready.status, body.ready]).toEqual([503, false]);
    expect(body.problems).toEqual([`registration ${id} aborted: Error: poison`]);
  });

  it('serves the dashboard files as they are, with a CSP, and 404 for anything else', async () => {
    const { base } = await start();
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    const script = await fetch(`${base}/app.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(`${base}/app.css`)).status).toBe(200);
    const missing = await fetch(`${base}/../package.json`);
    expect([missing.status, await json(missing)]).toEqual([404, { error: 'not found' }]);
  });

  it('serves /metrics in Prometheus text format and the state the dashboard draws', async () => {
    const { gears, base } = await start();
    const id = await gears
      .GB()
      .map((r) => r.key)
      .register({ prefix: 'person:*' });
    for (const n of [1, 2, 3]) await gears.execute('HSET', `person:${n}`, 'name', `p${n}`);
    await until(() => gears.dumpRegistrations()[0]!.numSuccess === 3, 'three events handled');

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const families = parseMetrics(await metrics.text());
    expect(sample(families, 'rxgears_registration_events_total', { registration: id })).toBe(3);

    const state = (await (await fetch(`${base}/api/state`)).json()) as {
      kind: string;
      shards: { keys: number }[];
      registrations: { id: string; numTriggered: number; args: { prefix: string } }[];
      executions: { executionId: string; registrationId: string; status: string }[];
      activity: { events: number }[];
    };
    expect(state.kind).toBe('memory');
    expect(state.shards.reduce((n, s) => n + s.keys, 0)).toBe(3);
    expect(state.registrations.map((r) => [r.id, r.numTriggered, r.args.prefix])).toEqual([[id, 3, 'person:*']]);
    expect(state.executions.map((e) => [e.registrationId, e.status])).toEqual([
      [id, 'done'],
      [id, 'done'],
      [id, 'done'],
    ]);
    expect(state.activity.at(-1)?.events).toBe(3);

    const detail = (await (await fetch(`${base}/api/executions/${state.executions[0]!.executionId}`)).json()) as {
      resultsShown: string[];
      steps: { op: string; recordsIn: number; recordsOut: number }[];
    };
    expect(detail.resultsShown).toHaveLength(1);
    expect(detail.resultsShown[0]).toMatch(/^person:\d$/);
    expect(detail.steps).toEqual([{ type: 'map', op: 'map', recordsIn: 1, recordsOut: 1, durationMs: 0 }]);
    const malformed = await fetch(`${base}/api/executions/%zz`);
    expect([malformed.status, await json(malformed)]).toEqual([400, { error: "malformed path segment '%zz'" }]);
    const unknown = await fetch(`${base}/api/executions/nope`);
    expect([unknown.status, await json(unknown)]).toEqual([404, { error: 'execution plan does not exist' }]);
  });

  it('pauses, unpauses and unregisters registrations, aborts and drops executions, only with X-Rxgears: 1', async () => {
    const { gears, base } = await start();
    const id = await gears.GB().register({ prefix: 'x:*' });
    const forged = await fetch(`${base}/api/registrations/${id}/pause`, { method: 'POST' });
    expect([forged.status, await json(forged)]).toEqual([
      403,
      { error: 'a request that changes something needs the header X-Rxgears: 1' },
    ]);
    expect(gears.dumpRegistrations()[0]!.status).toBe('OK');

    expect((await fetch(`${base}/api/registrations/${id}/pause`, { method: 'POST', headers: change })).status).toBe(
      200,
    );
    expect(gears.dumpRegistrations()[0]!.status).toBe('PAUSED');
    await fetch(`${base}/api/registrations/${id}/unpause`, { method: 'POST', headers: change });
    expect(gears.dumpRegistrations()[0]!.status).toBe('OK');
    await fetch(`${base}/api/registrations/${id}`, { method: 'DELETE', headers: change });
    expect(gears.dumpRegistrations()).toEqual([]);
    const gone = await fetch(`${base}/api/registrations/${id}/pause`, { method: 'POST', headers: change });
    expect([gone.status, await json(gone)]).toEqual([404, { error: `registration '${id}' does not exist` }]);

    const execution = (await gears.GB('GeneratorReader').run(() => NEVER, { unblocking: true })) as string;
    const early = await fetch(`${base}/api/executions/${execution}`, { method: 'DELETE', headers: change });
    expect([early.status, await json(early)]).toEqual([
      400,
      { error: 'can not drop a not yet finished execution, abort it first.' },
    ]);
    await fetch(`${base}/api/executions/${execution}/abort`, { method: 'POST', headers: change });
    expect(gears.getExecution(execution).status).toBe('aborted');
    await fetch(`${base}/api/executions/${execution}`, { method: 'DELETE', headers: change });
    expect(gears.dumpExecutions()).toEqual([]);
  });

  it('unregisters through the deployments, like RG.UNREGISTER: the script is forgotten with its last registration', async () => {
    gears = await connect();
    const server = await createServer(gears, { port: 0 });
    try {
      http = await serveHttp(gears, { port: 0, deployments: deploymentsOf(gears) });
      expect(await redisCli(server.port, ['RG.JSEXECUTE', "GB().register('d:*')", 'ID', 'mine'])).toEqual(['OK']);
      const [registration] = gears.dumpRegistrations();
      const base = `http://127.0.0.1:${http.port}`;
      await fetch(`${base}/api/registrations/${registration!.id}`, { method: 'DELETE', headers: change });
      expect(gears.dumpRegistrations()).toEqual([]);
      expect(await redisCli(server.port, ['RG.JSDUMPSESSIONS'])).toEqual(['']);
    } finally {
      await server.close();
    }
  });

  it('refuses requests addressed to a name that is not loopback when it has no password (DNS rebinding)', async () => {
    await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: http!.port, path: '/api/state', headers: { host: 'evil.example:80' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('with a password: probes and page files stay open, data and metrics need Bearer or Basic auth', async () => {
    const { base } = await start({ requirePass: 's3cret' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(200);
    for (const path of ['/metrics', '/api/state']) {
      const denied = await fetch(`${base}${path}`);
      expect([denied.status, denied.headers.get('www-authenticate'), await json(denied)]).toEqual([
        401,
        'Bearer realm="rxgears"',
        { error: 'authentication required' },
      ]);
    }
    const wrong = await fetch(`${base}/api/state`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${base}/api/state`, { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(200);
    const basic = `Basic ${Buffer.from('default:s3cret').toString('base64')}`;
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: basic } })).status).toBe(200);
    const otherUser = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: otherUser } })).status).toBe(401);
  });

  it('refuses to bind a non-loopback address without a password, and binds it with one', async () => {
    gears = await connect();
    await expect(serveHttp(gears, { port: 0, host: '0.0.0.0' })).rejects.toThrow(
      new GearsError(
        'refusing to serve HTTP on 0.0.0.0 without a password: the dashboard can unregister gears (set --requirepass, or bind 127.0.0.1)',
      ),
    );
    http = await serveHttp(gears, { port: 0, host: '0.0.0.0', requirePass: 'pw' });
    expect(http.host).toBe('0.0.0.0');
  });

  it('rejects bad options with a GearsError', async () => {
    gears = await connect();
    await expect(serveHttp(gears, { port: 70000 })).rejects.toThrow('http port must be an integer from 0 to 65535');
    await expect(serveHttp(gears, { port: 0, requirePass: '' })).rejects.toThrow(
      'requirePass must be a non-empty string',
    );
  });

  it('fails with a GearsError when the port is taken', async () => {
    const { gears } = await start();
    await expect(serveHttp(gears, { port: http!.port })).rejects.toThrow(/^cannot listen on 127\.0\.0\.1:\d+: /);
  });
});
