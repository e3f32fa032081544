import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Gears } from '../../../lib/index.ts';
import { connect } from '../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../lib/server/Server.ts';
import { deleteKeys, uniquePrefix } from '../../support/backends.ts';
import { redisCli, runProcess, startServe, type ProcessResult } from '../server/helpers.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const rxgears = (args: string[], input?: string): Promise<ProcessResult> =>
  runProcess(process.execPath, [join(root, 'bin/rxgears.js'), ...args], {
    cwd: root,
    ...(input === undefined ? {} : { input }),
  });

const PERSONS = `await execute('HSET', 'person:1', 'name', 'Rick Sanchez', 'age', 70);
await execute('HSET', 'person:2', 'name', 'Morty Smith', 'age', 14);
await execute('HSET', 'person:3', 'name', 'Summer Smith', 'age', 17);
`;

// Each test spawns Node with tsx (and some load TypeScript): seconds each on a busy 2-core machine.
describe('rxgears CLI', { timeout: 90_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxgears-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage with --help, and each command its own', async () => {
    const top = await rxgears(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^rxgears — /);
    expect(top.stdout).toContain('rxgears serve');
    for (const command of ['serve', 'exec', 'load']) {
      const help = await rxgears([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: rxgears ${command} `));
    }
  });

  it('exec runs a script file on --shards 3 and prints one JSON line per record', async () => {
    const file = join(dir, 'names.js');
    await writeFile(file, `${PERSONS}GB().map(r => r.value.name).run('person:*')\n`);
    const result = await rxgears(['exec', file, '--shards', '3']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual(['"Morty Smith"', '"Rick Sanchez"', '"Summer Smith"']);
  });

  it('exec reads TypeScript from stdin and prints objects as JSON', async () => {
    const script = `${PERSONS}GB().countBy((r: { value: Record<string, string> }) => r.value.name!.split(' ')[1]).run('person:*')`;
    const result = await rxgears(['exec', '-', '--shards', '2'], script);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      '{"key":"Sanchez","value":1}',
      '{"key":"Smith","value":2}',
    ]);
  });

  it('exec prints the errors of failed records on stderr and exits with 1', async () => {
    const script = `${PERSONS}GB().map(r => { if (r.key === 'person:2') throw new Error('bad record'); return r.key }).run('person:*')`;
    const result = await rxgears(['exec', '-', '--shards', '3'], script);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n').sort()).toEqual(['"person:1"', '"person:3"']);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exec --unblocking prints the execution id, then the results', async () => {
    const result = await rxgears(
      ['exec', '-', '--shards', '3', '--unblocking'],
      `${PERSONS}GB().count().run('person:*')`,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{40}-\d+\n3\n$/);
  });

  it('exec runs on a real Redis with --redis', async () => {
    const prefix = uniquePrefix('cli');
    const gears = await connect(inject('redisUrl'));
    try {
      await gears.execute('SET', `${prefix}a`, '1');
      const result = await rxgears(
        ['exec', '-', '--redis', inject('redisUrl')],
        `GB().map(r => r.value).run('${prefix}*')`,
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('"1"\n');
    } finally {
      await deleteKeys(gears, `${prefix}*`);
      await gears.close();
    }
  });

  it.each([
    [['serve', '--nope'], /^rxgears: serve: Unknown option '--nope' \(see rxgears serve --help\)\n$/],
    [['exec'], /^rxgears: exec: which script\?/],
    [['exec', '/no/such/file.js'], /^rxgears: cannot read \/no\/such\/file\.js: ENOENT\n$/],
    [['exec', '-', '--shards', 'many'], /^rxgears: --shards must be an integer from 1 to 16384, got 'many'\n$/],
    [['serve', '--redis', 'redis://x', '--shards', '2'], /^rxgears: serve: --redis and --shards exclude each other/],
    [['serve', '--deployments-key', ''], /^rxgears: serve: --deployments-key needs a key name\n$/],
    [['serve', '--tasks-per-master', '2'], /^rxgears: serve: --tasks-per-master needs --app/],
    [
      ['serve', '--redis', 'redis://x', '--app', 'a', '--tasks-per-master', '65'],
      /^rxgears: --tasks-per-master must be an integer from 1 to 64, got '65'\n$/,
    ],
    [['frobnicate'], /^rxgears: unknown command 'frobnicate' \(see rxgears --help\)\n$/],
  ])('a user error (%j) prints one line on stderr and exits with 1', async (args, message) => {
    const result = await rxgears(args, '');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exec reports a syntax error in one line', async () => {
    const result = await rxgears(['exec', '-'], 'GB().map(r => r.key).run(');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rxgears: SyntaxError: .*\n$/);
  });

  describe('load', () => {
    let gears: Gears;
    let server: RxgearsServer;
    beforeAll(async () => {
      gears = await connect({ shards: 3 });
      server = await createServer(gears, { port: 0 });
    });
    afterAll(async () => {
      await server?.close();
      await gears?.close();
    });

    it('replays examples/persons.txt into a server and prints the replies count', async () => {
      const result = await rxgears(['load', 'examples/persons.txt', '--port', String(server.port)]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('6 replies, 0 errors\n');
      expect(await gears.execute('HGET', 'person:5', 'name')).toBe('Shrimply Pibbles');
      expect(await gears.execute('GET', 'foo')).toBe('bar');
    });

    it('prints error replies with their line and exits with 1', async () => {
      const file = join(dir, 'errors.txt');
      await writeFile(file, '# a comment\nSET k v\n\nNOSUCHCOMMAND x\nGET k\n');
      const result = await rxgears(['load', file, '--redis', `redis://127.0.0.1:${server.port}`]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('3 replies, 1 errors\n');
      expect(result.stderr).toMatch(/errors\.txt:4: ERR unknown command 'NOSUCHCOMMAND'/);
    });
  });

  it('exec of a script that registers prints the registration id and runs until SIGTERM', async () => {
    const file = join(dir, 'register.js');
    await writeFile(file, "GB().map(r => r.key).register('watched:*')\n");
    const child = spawn(process.execPath, [join(root, 'bin/rxgears.js'), 'exec', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (code, signal) => resolve([code, signal])),
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.endsWith('\n')) resolve(out.trim());
        });
        void exited.then(() => reject(new Error(`exec exited early: ${out}`)));
      });
      expect(line).toMatch(/^[0-9a-f]{40}-\d+$/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual([0, null]);
  });

  it('serve listens on a free port with --port 0, answers redis-cli, and stops cleanly on SIGTERM', async () => {
    const served = await startServe(['--shards', '2']);
    try {
      expect(await redisCli(served.port, ['SET', 'k', 'v'])).toEqual(['OK']);
      expect(await redisCli(served.port, ['RG.JSEXECUTE', 'GB().map(r => r.value).run()'])).toEqual(['v', '']);
    } finally {
      expect(await served.stop()).toEqual([0, null]);
    }
  });

  it('serve --redis keeps registrations in --deployments-key: a new serve process brings them back', async () => {
    const prefix = uniquePrefix('cli-serve');
    const args = ['--redis', inject('redisUrl'), '--deployments-key', `${prefix}deployments`];
    const gear = `GB().forEach(r => execute('SET', '${prefix}marker', r.value)).register({ prefix: '${prefix}in', mode: 'sync' })`;
    const gears = await connect(inject('redisUrl'));
    try {
      let served = await startServe(args);
      try {
        expect(await redisCli(served.port, ['RG.JSEXECUTE', gear, 'ID', 'cli'])).toEqual(['OK']);
      } finally {
        expect(await served.stop()).toEqual([0, null]);
      }
      expect(await gears.execute('HKEYS', `${prefix}deployments`)).toEqual(['cli']);
      served = await startServe(args);
      try {
        expect(await redisCli(served.port, ['SET', `${prefix}in`, 'back'])).toEqual(['OK']);
        expect(await redisCli(served.port, ['GET', `${prefix}marker`])).toEqual(['back']);
      } finally {
        expect(await served.stop()).toEqual([0, null]);
      }
    } finally {
      await deleteKeys(gears, `${prefix}*`);
      await gears.close();
    }
  });
});
