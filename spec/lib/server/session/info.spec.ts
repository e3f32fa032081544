import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { startRedis, type RedisServerHandle } from '../../../../lib/testing/servers.ts';

/** The `# Title` lines of an INFO reply, in order. */
function titles(text: string): string[] {
  return text.split('\r\n').filter((line) => line.startsWith('# '));
}

/** The field names of an INFO reply. */
function fields(text: string): Set<string> {
  return new Set(text.split('\r\n').flatMap((line) => (/^[a-z_]+:/.exec(line) ?? []).map((m) => m.slice(0, -1))));
}

const SELECTIONS = [
  [],
  ['default'],
  ['all'],
  ['everything'],
  ['server'],
  ['cpu'],
  ['commandSTATS'],
  ['server', 'clients'],
  ['cpu', 'all'],
  ['cpu', 'default'],
  ['clients', 'server', 'CLIENTS'],
  ['sentinel'],
  ['nosuchsection'],
];

/** Redis' titles minus the section the server does not have (Keyspace), plus its own (rxgears) where it shows. */
function expectedTitles(redisTitles: string[], args: string[]): string[] {
  const own = args.length === 0 || args.some((a) => /^(default|all|everything|rxgears)$/i.test(a));
  return [...redisTitles.filter((t) => t !== '# Keyspace'), ...(own ? ['# rxgears'] : [])];
}

describe('INFO', () => {
  let redis: RedisServerHandle;
  let gears: Gears;
  let server: RxgearsServer;
  let real: Redis;
  let ours: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    gears = await connect({ shards: 1 });
    server = await createServer(gears, { port: 0 });
    real = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    ours = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    await real.set('info:k', 'v'); // Redis shows a Keyspace section only with keys in it
  });

  afterAll(async () => {
    real.disconnect();
    ours.disconnect();
    await server.close();
    await gears.close();
    await redis.stop();
  });

  it.each(SELECTIONS)('selects the sections redis-server 7.0 selects for INFO %j', async (...args: string[]) => {
    const expected = expectedTitles(titles(String(await real.call('INFO', ...args))), args);
    expect(titles(String(await ours.call('INFO', ...args)))).toEqual(expected);
  });

  it('reports the emulated redis_version and the Server fields clients read, with rxgears_version', async () => {
    const text = String(await ours.call('INFO', 'server'));
    expect(text).toMatch(/\r\nredis_version:7\.0\.15\r\n/);
    expect(text).toMatch(/\r\nrxgears_version:\d+\.\d+\.\d+/);
    expect(text).toContain(`\r\ntcp_port:${server.port}\r\n`);
    const theirs = fields(String(await real.call('INFO', 'server')));
    for (const name of [
      'redis_version',
      'redis_mode',
      'os',
      'arch_bits',
      'process_id',
      'run_id',
      'uptime_in_seconds',
    ]) {
      expect(theirs.has(name)).toBe(true);
      expect(fields(text).has(name)).toBe(true);
    }
  });

  it('has the fields Redis’ own info-command tests read in the sections they read them from', async () => {
    for (const [section, name] of [
      ['cpu', 'used_cpu_user'],
      ['memory', 'used_memory'],
      ['replication', 'master_repl_offset'],
    ] as const) {
      expect(fields(String(await ours.call('INFO', section))).has(name)).toBe(true);
    }
  });

  it('reports the backend’s redis_version on --redis', async () => {
    const proxied = await connect(`redis://127.0.0.1:${redis.port}`);
    const proxy = await createServer(proxied, { port: 0 });
    const client = new Redis({ port: proxy.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const version = /redis_version:(.*)\r\n/.exec(String(await real.call('INFO', 'server')))![1];
      expect(String(await client.call('INFO'))).toContain(`\r\nredis_version:${version}\r\n`);
    } finally {
      client.disconnect();
      await proxy.close();
      await proxied.close();
    }
  });
});
