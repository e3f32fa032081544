import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { GearsError } from '../../errors.ts';
import { ErrorReply, encodeCommand } from './replies.ts';

/** A reply as a client sees it: maps come back flat (`[k, v, …]`), errors as `ErrorReply`. */
export type ClientReply = string | number | bigint | boolean | null | ErrorReply | ClientReply[];

const INCOMPLETE = Symbol('incomplete');
type Parsed = { value: ClientReply; end: number } | typeof INCOMPLETE;

function lineEnd(buffer: Buffer, from: number): number {
  const cr = buffer.indexOf('\r\n', from);
  return cr;
}

function parseAt(buffer: Buffer, at: number): Parsed {
  if (at >= buffer.length) return INCOMPLETE;
  const cr = lineEnd(buffer, at + 1);
  if (cr === -1) return INCOMPLETE;
  const type = String.fromCharCode(buffer[at]!);
  const line = buffer.toString('utf8', at + 1, cr);
  const next = cr + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new ErrorReply(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case ',':
      return { value: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line), end: next };
    case '(':
      return { value: BigInt(line), end: next };
    case '#':
      return { value: line === 't', end: next };
    case '_':
      return { value: null, end: next };
    case '$':
    case '=':
    case '!': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return INCOMPLETE;
      let text = buffer.toString('utf8', next, next + length);
      if (type === '=') text = text.slice(4); // `txt:` / `mkd:`
      return { value: type === '!' ? new ErrorReply(text) : text, end: next + length + 2 };
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: ClientReply[] = [];
      let end = next;
      for (let i = 0; i < (type === '%' ? count * 2 : count); i++) {
        const item = parseAt(buffer, end);
        if (item === INCOMPLETE) return INCOMPLETE;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new GearsError(`protocol error: unexpected reply type byte ${buffer[at]}`);
  }
}

/**
 * Parses server replies (RESP2 and RESP3) from chunks as they arrive. A reply split over chunks is parsed
 * again once the rest arrived, which is fine for the small replies a command file gets.
 */
export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ClientReply[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const replies: ClientReply[] = [];
    let offset = 0;
    for (;;) {
      const parsed = parseAt(this.buffer, offset);
      if (parsed === INCOMPLETE) break;
      replies.push(parsed.value);
      offset = parsed.end;
    }
    this.buffer = this.buffer.subarray(offset);
    return replies;
  }
}

/** Where a `RespClient` connects: `redis://[user:pass@]host:port[/db]`, `rediss://` for TLS. */
export function parseRedisUrl(url: string): {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db?: number;
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GearsError(`not a redis:// URL: ${url}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new GearsError(`not a redis:// URL: ${url}`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new GearsError(`bad database number in ${url}`);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    tls: parsed.protocol === 'rediss:',
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/**
 * A minimal pipelining RESP client over one socket, for `rxgears load` (the engine's own connections live in
 * `lib/store`). Replies resolve in the order commands were sent.
 *
 * @example
 * const client = await RespClient.connect('redis://127.0.0.1:6380');
 * await client.send(['PING']); // 'PONG'
 * client.close();
 */
export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: { resolve: (reply: ClientReply) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  /** The last write filled the socket's buffer: `drain()` before writing more. */
  congested = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      let replies: ClientReply[];
      try {
        replies = this.parser.push(chunk);
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      for (const reply of replies) this.waiting.shift()?.resolve(reply);
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new GearsError('connection closed by the server')));
  }

  /** Connects, then sends AUTH and SELECT when the URL has a password or a database. */
  static async connect(url: string): Promise<RespClient> {
    const target = parseRedisUrl(url);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = target.tls
        ? tlsConnect({ host: target.host, port: target.port, servername: target.host }, () => resolve(s))
        : netConnect({ host: target.host, port: target.port }, () => resolve(s));
      s.once('error', reject);
    });
    const client = new RespClient(socket);
    const setup: string[][] = [];
    if (target.password !== undefined)
      setup.push(['AUTH', ...(target.username ? [target.username] : []), target.password]);
    if (target.db !== undefined && target.db !== 0) setup.push(['SELECT', String(target.db)]);
    for (const command of setup) {
      const reply = await client.send(command);
      if (reply instanceof ErrorReply) {
        client.close();
        throw new GearsError(`${command[0]} failed: ${reply.message}`);
      }
    }
    return client;
  }

  /**
   * Sends one command at once and returns its reply (an `ErrorReply` for `-…`). Pipelining: call it many times
   * without awaiting, and `await drain()` whenever `congested` is true.
   */
  send(args: readonly (string | Buffer)[]): Promise<ClientReply> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = new Promise<ClientReply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    reply.catch(() => undefined); // the caller may not be awaiting this one yet when the socket dies
    this.congested = !this.socket.write(encodeCommand(args));
    return reply;
  }

  /** Resolves when the socket accepted everything written (or closed). */
  async drain(): Promise<void> {
    if (!this.congested) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    this.congested = false;
  }

  close(): void {
    this.socket.end();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure);
  }
}
