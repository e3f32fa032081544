import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Gears } from '../../../../lib/index.ts';
import { createServer, type RxgearsServer } from '../../../../lib/server/Server.ts';
import { ATTACK_WARNING } from '../../../../lib/server/session/exposure.ts';
import { until } from '../../../support/until.ts';
import { redisCli, runProcess, sendRaw } from '../helpers.ts';
import { recordingLogger } from '../../../support/logger.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** A script whose run takes `ms` milliseconds: a command in progress for that long. */
const slowRun = (ms: number): string =>
  `GB('ShardsIDReader').map(async () => { await new Promise(r => setTimeout(r, ${ms})); return 'slow done'; }).run()`;

describe('rxgears server exposed to the network', () => {
  let gears: Gears | undefined;
  let server: RxgearsServer | undefined;
  const log = recordingLogger();

  afterEach(async () => {
    await server?.close();
    await gears?.close();
    server = undefined;
    gears = undefined;
    log.entries.length = 0;
  });

  async function start(options: Parameters<typeof createServer>[1] = {}): Promise<RxgearsServer> {
    gears = await connect({ logger: log.logger });
    server = await createServer(gears, { port: 0, ...options });
    return server;
  }

  describe('a cross-protocol (HTTP) request', () => {
    const body = '*3\r\n$3\r\nSET\r\n$8\r\nattacked\r\n$3\r\nyes\r\n';

    it('is dropped without a reply, logged as Redis logs it, and its body never runs', async () => {
      const { port } = await start();
      const http = [
        'POST / HTTP/1.1\r\n',
        `Host: 127.0.0.1:${port}\r\n`,
        'Content-Type: text/plain\r\n',
        `Content-Length: ${body.length}\r\n\r\n`,
        body,
        'RG.JSEXECUTE "GB().run()"\r\n',
      ];
      expect((await sendRaw(port, http)).toString()).toBe('');
      expect(log.messages()).toContain(ATTACK_WARNING);
      expect(await gears!.execute('EXISTS', 'attacked')).toBe(0);
      expect(await redisCli(port, ['PING'])).toEqual(['PONG']);
    });

    it('is dropped on a Host: line too, in any case, even before AUTH on a server with a password', async () => {
      const { port } = await start({ requirePass: 'secret' });
      const reply = await sendRaw(port, ['host: evil.example\r\n', body]);
      expect(reply.toString()).toBe('');
      expect(log.messages()).toEqual([ATTACK_WARNING]);
      expect(await gears!.execute('EXISTS', 'attacked')).toBe(0);
    });

    it('lets the commands before it run, as Redis does, and nothing after it', async () => {
      const { port } = await start();
      const reply = await sendRaw(port, ['SET before 1\r\nPOST /\r\nSET after 1\r\n']);
      expect(reply.toString()).toBe('+OK\r\n');
      expect(await gears!.execute('MGET', 'before', 'after')).toEqual(['1', null]);
    });

    it('is told apart from a key named post: GET post is an ordinary command', async () => {
      const { port } = await start();
      expect(await redisCli(port, ['SET', 'post', 'x'])).toEqual(['OK']);
      expect(await redisCli(port, ['GET', 'post'])).toEqual(['x']);
      expect(log.messages()).toEqual([]);
    });
  });

  describe('protected mode', () => {
    it('refuses to listen beyond loopback without a password, naming both ways out', async () => {
      gears = await connect();
      await expect(createServer(gears, { port: 0, host: '0.0.0.0' })).rejects.toThrow(
        'refusing to listen on 0.0.0.0 without a password (protected mode): anyone who reaches it could run code with RG.JSEXECUTE; set --requirepass, or --protected-mode no to expose it anyway',
      );
    });

    it('listens beyond loopback with a password, or with protectedMode: false', async () => {
      gears = await connect();
      server = await createServer(gears, { port: 0, host: '0.0.0.0', requirePass: 'pw' });
      expect(server.host).toBe('0.0.0.0');
      await server.close();
      server = await createServer(gears, { port: 0, host: '0.0.0.0', protectedMode: false });
      expect(await redisCli(server.port, ['PING'])).toEqual(['PONG']);
    });

    it('treats every loopback spelling as loopback', async () => {
      gears = await connect();
      for (const host of ['127.0.0.1', 'localhost', '127.1.2.3']) {
        server = await createServer(gears, { port: 0, host });
        await server.close();
      }
      await expect(createServer(gears, { protectedMode: 'no' as unknown as boolean })).rejects.toThrow(
        'protectedMode must be a boolean',
      );
    });

    it('makes rxgears serve --bind 0.0.0.0 exit 1 with one line, and --protected-mode takes yes or no', async () => {
      const bin = join(root, 'bin/rxgears.js');
      const refused = await runProcess(process.execPath, [bin, 'serve', '--port', '0', '--bind', '0.0.0.0']);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain('set --requirepass, or --protected-mode no');
      const bad = await runProcess(process.execPath, [bin, 'serve', '--protected-mode', 'maybe']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("serve: --protected-mode takes yes or no, got 'maybe'");
    });
  });

  describe('graceful stop', () => {
    it('lets a command in progress finish, refuses new connections, and reports it', async () => {
      const { port } = await start();
      const client = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        const reply = client.call('RG.JSEXECUTE', slowRun(800));
        await until(() => gears!.dumpExecutions().some((e) => e.status === 'running'), 'the run is running');
        const report = await server!.shutdown(30_000);
        expect(report).toEqual({ inFlight: 1, cutOff: 0 });
        expect(await reply).toEqual([['slow done'], []]);
        const refused = await new Promise<string>((resolve) => {
          const socket = netConnect(port, '127.0.0.1');
          socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
          socket.on('connect', () => resolve('connected'));
        });
        expect(refused).toBe('ECONNREFUSED');
      } finally {
        client.disconnect();
      }
    });

    it('answers a client still blocked at the timeout with an error, and closes', async () => {
      const { port } = await start();
      const client = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        const reply = client.call('RG.JSEXECUTE', slowRun(60_000));
        await until(() => gears!.dumpExecutions().some((e) => e.status === 'running'), 'the run is running');
        expect(await server!.shutdown(200)).toEqual({ inFlight: 1, cutOff: 1 });
        await expect(reply).rejects.toThrow('ERR the server is shutting down');
      } finally {
        client.disconnect();
      }
    });

    it('stops rxgears serve on SIGTERM after the command in progress, logs it, and exits 0', async () => {
      const child = spawn(process.execPath, [join(root, 'bin/rxgears.js'), 'serve', '--port', '0'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        void exited.then(() => reject(new Error(`serve exited: ${stderr}`)));
      });
      const client = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      const watcher = new Redis({ port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      watcher.on('error', () => undefined);
      try {
        const reply = client.call('RG.JSEXECUTE', slowRun(1500));
        await until(
          async () => JSON.stringify(await watcher.call('RG.DUMPEXECUTIONS')).includes('running'),
          'the run is running',
          30_000,
        );
        watcher.disconnect();
        child.kill('SIGTERM');
        expect(await reply).toEqual([['slow done'], []]);
        expect(await exited).toBe(0);
        expect(stderr).toContain('rxgears: SIGTERM received: not accepting connections');
        expect(stderr).toContain('rxgears: stopped: 1 of 1 command(s) in progress finished');
      } finally {
        client.disconnect();
        watcher.disconnect();
        child.kill('SIGKILL');
      }
    });
  });
});
