import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { httpFlag } from '../../../lib/cli/httpFlag.ts';
import { parseMetrics, sample } from '../../support/prometheus.ts';
import { until } from '../../support/until.ts';
import { redisCli, runProcess } from '../server/helpers.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}bin/rxgears.js`;

describe('rxgears serve --http', () => {
  it('parses --http [ADDR:]PORT and refuses anything else with a usage error', () => {
    expect(httpFlag(undefined)).toBeUndefined();
    expect(httpFlag('8080')).toEqual({ port: 8080 });
    expect(httpFlag('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(httpFlag('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    for (const bad of ['', 'http', '70000', ':80', 'host:']) {
      expect(() => httpFlag(bad)).toThrow(`serve: --http takes [ADDR:]PORT (e.g. 8080 or 0.0.0.0:8080), got '${bad}'`);
    }
  });

  // The "done when": serve 3 shards with --http, register the tutorial's gear with redis-cli, HSET, and
  // see the events counted on /metrics, read by a Prometheus parser; the dashboard's files come from the package.
  it('serves /metrics, /readyz and the dashboard beside the RESP port, counting the tutorial registration', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--shards', '3', '--port', '0', '--http', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (code, signal) => resolve([code, signal])),
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(
        () => /rxgears dashboard on http:\/\/127\.0\.0\.1:\d+\/\n/.test(out),
        'serve to print both ports',
        30_000,
      );
      const resp = Number(/rxgears listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const base = `http://127.0.0.1:${/dashboard on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`;
      const gear = "GB().foreach(r => log(r.key)).register('person:*')";
      expect(await redisCli(resp, ['RG.JSEXECUTE', gear])).toEqual(['OK']);
      for (const n of [1, 2, 3]) await redisCli(resp, ['HSET', `person:${n}`, 'name', `p${n}`]);
      let families = parseMetrics('');
      await until(async () => {
        families = parseMetrics(await (await fetch(`${base}/metrics`)).text());
        return sample(families, 'rxgears_registration_events_total') === 3;
      }, 'three events counted');
      expect(sample(families, 'rxgears_proxy_commands_total', { command: 'hset' })).toBe(3);
      expect(sample(families, 'rxgears_shards')).toBe(3);
      expect(families.has('process_cpu_seconds_total')).toBe(true);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${base}/`)).text()).toContain('<title>rxgears</title>');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual([0, null]);
  });

  it('refuses a non-loopback HTTP address without a password, and exits 1', async () => {
    const result = await runProcess(process.execPath, [bin, 'serve', '--port', '0', '--http', '0.0.0.0:0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('refusing to serve HTTP on 0.0.0.0 without a password');
  });
});
