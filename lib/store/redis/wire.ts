import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import type { ShardStore } from '../ShardStore.ts';
import { elementsOf, errorStartsWith, FrameError, frameEnd, isErrorFrame, requestFrame } from './frames.ts';

/** Where a raw connection goes and how it identifies itself: taken from a shard store's own connection. */
export interface WireEndpoint {
  host: string;
  port: number;
  path?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  db?: number | undefined;
  tls?: TlsOptions | undefined;
  /**
   * `'master'`: the node must be a master — ROLE goes with the setup and a replica's answer fails the
   * connection (a Sentinel client's master may have been demoted since ioredis connected to it). A user whose ACL
   * refuses ROLE is trusted: ioredis checked the role of the node when it connected.
   */
  role?: 'master' | undefined;
}

/** What a Redis-backed shard store says of where its node is (`RedisStore.wireEndpoint`). */
interface WireEndpointSource {
  /** The node's endpoint now; undefined when it was never known (a Sentinel client not connected yet). */
  wireEndpoint(): WireEndpoint | undefined;
  /** Whether the endpoint can change (a Sentinel client follows its master): ask again per request. */
  readonly followsMaster: boolean;
}

function isEndpointSource(store: ShardStore): store is ShardStore & WireEndpointSource {
  // Not `instanceof RedisStore`: the store's own raw reads use this module, and that import would be a cycle.
  return store.kind === 'redis' && 'wireEndpoint' in store && typeof store.wireEndpoint === 'function';
}

/** The endpoint of a Redis-backed shard store's node now; undefined for any other store (the embedded one). */
export function wireEndpointOf(store: ShardStore): WireEndpoint | undefined {
  return isEndpointSource(store) ? store.wireEndpoint() : undefined;
}

/** Whether `wireEndpointOf(store)` can change from one call to the next (a store over a Sentinel client). */
export function followsMaster(store: ShardStore): boolean {
  return isEndpointSource(store) && store.followsMaster;
}

/** Where an ioredis client's options point, with its credentials, database and TLS. */
export function endpointOfOptions(options: Readonly<RedisOptions>): WireEndpoint {
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 6379,
    path: options.path ?? undefined,
    // ioredis keeps unset credentials as null.
    username: options.username ?? undefined,
    password: options.password ?? undefined,
    db: options.db ?? undefined,
    tls: options.tls ?? undefined,
  };
}

/** `host:port` of an endpoint: the pool's key. */
export function endpointKey(endpoint: WireEndpoint): string {
  return endpoint.path ?? `${endpoint.host}:${endpoint.port}`;
}

const MASTER_ROLE = Buffer.from('$6\r\nmaster\r\n', 'latin1');

/** Whether a ROLE reply (`*3 $6 master …`, RESP2 or RESP3) says master. */
function isMasterRole(frame: Buffer): boolean {
  if (frame[0] !== 0x2a /* '*' */) return false;
  const first = frame.indexOf(13) + 2;
  return frame.subarray(first, first + MASTER_ROLE.length).equals(MASTER_ROLE);
}

/** What a ROLE reply says (`slave`, `sentinel`), or its error's text. */
function roleOf(frame: Buffer): string {
  if (isErrorFrame(frame)) return frame.toString('utf8', 1).trim();
  const first = elementsOf(frame)?.[0];
  return first === undefined ? '?' : first.toString('utf8', first.indexOf(13) + 2, first.length - 2);
}

/** Called with one reply frame (the bytes Redis sent), or the error that ended the connection before it came. */
export type FrameCallback = (reply: Buffer | Error) => void;

/**
 * The replies to a run of requests sent together (`requestRun`): their bytes as Redis sent them, one after the
 * other (a slice of what was read when they came in one read), how many there are, which were errors, and
 * whether one was a Cluster redirection. `failure` is set when the connection ended first: `replies` then holds
 * the `count` replies that came.
 */
export interface RunReplies {
  replies: Buffer;
  count: number;
  /** Indexes (within the run) of error replies; undefined when there were none. */
  errors: number[] | undefined;
  /** A `MOVED` or `ASK` came. */
  redirected: boolean;
  failure: Error | undefined;
}

/** A run waiting for its replies. */
class PendingRun {
  /** Complete replies read in earlier chunks. */
  parts: Buffer[] | undefined;
  /** Where this run's replies start in the chunk being read; -1 when none of them is in it. */
  start = -1;
  done = 0;
  errors: number[] | undefined;
  redirected = false;

  constructor(
    readonly count: number,
    readonly callback: (run: RunReplies) => void,
  ) {}

  /** Keeps this run's replies read so far in `buffer` (they end at `offset`), before `buffer` moves on. */
  cut(buffer: Buffer, offset: number): void {
    if (this.start < 0) return;
    (this.parts ??= []).push(buffer.subarray(this.start, offset));
    this.start = -1;
  }

  /** The replies so far as one Buffer, plus `last` (the piece of the current chunk). */
  bytes(last: Buffer | undefined): Buffer {
    const parts = this.parts;
    if (parts === undefined) return last ?? EMPTY;
    if (last !== undefined) parts.push(last);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  settle(last: Buffer | undefined, failure: Error | undefined): void {
    this.callback({ replies: this.bytes(last), count: this.done, errors: this.errors, redirected: this.redirected, failure });
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * One raw RESP connection to a Redis node: requests go out as frames, replies come back as the bytes Redis sent,
 * matched to requests in order — no decoding, so binary values, 64-bit integers and RESP3 types are passed on
 * untouched. Requests made in one turn of the event loop go out in one write: the flush waits for `setImmediate`,
 * so the requests of every client read in the same poll phase share it (one write per client cost the proxy
 * more than parsing all of them). Setup (AUTH, SELECT, HELLO 3) is
 * written before anything else; if it fails, every request fails with its error.
 *
 * In `tunnel` mode (pub/sub, MONITOR) frames are not matched: each one goes to `onFrame` as it arrives.
 *
 * @example
 * const wire = new WireConnection({ host: '127.0.0.1', port: 6379 }, 2);
 * wire.request(requestFrame(['GET', 'k']), (reply) => console.log(reply)); // <Buffer 24 2d 31 0d 0a>
 */
export class WireConnection {
  private readonly socket: Socket;
  private readonly callbacks: (FrameCallback | PendingRun)[] = [];
  private head = 0;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private input: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;
  /** Replies to setup requests, checked and dropped. */
  private setupReplies = 0;
  /** Set to pass every frame through as it comes (pub/sub); requests then have no callbacks. */
  onFrame: ((frame: Buffer) => void) | undefined;
  /** Called once when the connection ends, for whatever reason. */
  onClose: ((error: Error) => void) | undefined;

  constructor(
    readonly endpoint: WireEndpoint,
    readonly protocol: 2 | 3,
  ) {
    const { host, port, path, tls } = endpoint;
    this.socket = tls
      ? tlsConnect({ ...tls, host, port })
      : path !== undefined
        ? netConnect({ path })
        : netConnect({ host, port, noDelay: true });
    this.socket.setNoDelay?.(true);
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error(`connection to ${endpointKey(endpoint)} closed`)));
    const setup: (string | Buffer)[][] = [];
    if (protocol === 3) {
      setup.push(
        endpoint.password !== undefined
          ? ['HELLO', '3', 'AUTH', endpoint.username ?? 'default', endpoint.password]
          : ['HELLO', '3'],
      );
    } else if (endpoint.password !== undefined) {
      setup.push(endpoint.username !== undefined ? ['AUTH', endpoint.username, endpoint.password] : ['AUTH', endpoint.password]);
    }
    if (endpoint.db !== undefined && endpoint.db !== 0) setup.push(['SELECT', String(endpoint.db)]);
    if (endpoint.role === 'master') setup.push(['ROLE']);
    for (const command of setup) this.write(requestFrame(command));
    this.setupReplies = setup.length;
  }

  /** Whether it can still take requests. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.callbacks.length - this.head;
  }

  /** Sends a request frame; `callback` gets its reply frame, or the error that ended the connection first. */
  request(frame: Buffer, callback: FrameCallback): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    this.callbacks.push(callback);
    this.write(frame);
  }

  /**
   * Sends `count` request frames written back to back in `frames` (one buffer, one write); `callback` gets each
   * of their replies in order, or the error that ended the connection once per request still unanswered.
   */
  requestMany(frames: Buffer, count: number, callback: FrameCallback): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    for (let i = 0; i < count; i++) this.callbacks.push(callback);
    this.write(frames);
  }

  /**
   * Sends `count` requests at once — `frames` are their bytes, in order, cut anywhere — and calls `callback` once
   * with all their replies: no Buffer nor callback per reply, and the replies stay one slice of what was read
   * when they came in one read.
   */
  requestRun(frames: readonly Buffer[], count: number, callback: (run: RunReplies) => void): void {
    const run = new PendingRun(count, callback);
    if (this.failure) {
      run.settle(undefined, this.failure);
      return;
    }
    this.callbacks.push(run);
    for (const frame of frames) this.write(frame);
  }

  /** Writes what is queued now instead of at the end of this turn (requests that should not wait for others). */
  flushNow(): void {
    if (this.out.length > 0) this.flush();
  }

  /** Sends a frame whose replies (if any) go to `onFrame` (tunnel mode). */
  send(frame: Buffer): void {
    if (!this.failure) this.write(frame);
  }

  /** Stops reading until `resume()` (the client at the other end of a tunnel is not reading). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Closes the connection; pending requests fail. */
  close(): void {
    this.fail(new Error(`connection to ${endpointKey(this.endpoint)} closed`));
  }

  private write(frame: Buffer): void {
    this.out.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    this.out = [];
    if (this.failure || out.length === 0) return;
    this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  private receive(chunk: Buffer): void {
    let buffer = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const end = frameEnd(buffer, offset);
        if (end === -1) break;
        const run = this.setupReplies === 0 && this.onFrame === undefined ? this.callbacks[this.head] : undefined;
        if (!(run instanceof PendingRun)) this.deliver(buffer.subarray(offset, end));
        else if (buffer[offset] === 0x3e /* '>' push, not asked for */) run.cut(buffer, offset);
        else this.deliverToRun(run, buffer, offset, end);
        offset = end;
        if (this.failure) return;
      }
    } catch (error) {
      if (error instanceof FrameError) {
        const run = this.callbacks[this.head];
        if (run instanceof PendingRun) run.cut(buffer, offset);
        this.fail(error);
        return;
      }
      throw error;
    }
    // A run still waiting keeps the replies of this chunk (complete frames) before the chunk is let go.
    const run = this.callbacks[this.head];
    if (run instanceof PendingRun) run.cut(buffer, offset);
    buffer = offset === buffer.length ? EMPTY : buffer.subarray(offset);
    this.input = buffer;
  }

  /** One reply of the run at the head of the queue, `buffer[offset, end)`; the run settles with its last one. */
  private deliverToRun(run: PendingRun, buffer: Buffer, offset: number, end: number): void {
    if (run.start < 0) run.start = offset;
    const type = buffer[offset];
    if (type === 0x2d /* '-' */ || type === 0x21 /* '!' */) {
      (run.errors ??= []).push(run.done);
      if (errorStartsWith(buffer.subarray(offset, end), 'MOVED ') || errorStartsWith(buffer.subarray(offset, end), 'ASK ')) {
        run.redirected = true;
      }
    }
    if (++run.done < run.count) return;
    this.shift();
    run.settle(buffer.subarray(run.start, end), undefined);
  }

  /** Drops the head of the queue of callbacks. */
  private shift(): void {
    this.callbacks[this.head++] = undefined as unknown as FrameCallback;
    if (this.head > 1024 && this.head * 2 > this.callbacks.length) {
      this.callbacks.splice(0, this.head);
      this.head = 0;
    }
  }

  private deliver(frame: Buffer): void {
    if (this.setupReplies > 0) {
      this.setupReplies--;
      const roleReply = this.setupReplies === 0 && this.endpoint.role === 'master';
      if (roleReply) {
        if (!isMasterRole(frame) && !errorStartsWith(frame, 'NOPERM')) {
          this.fail(new Error(`${endpointKey(this.endpoint)} is not a master (ROLE: ${roleOf(frame)})`));
        }
      } else if (isErrorFrame(frame)) this.fail(new Error(frame.toString('utf8', 1).trim()));
      return;
    }
    if (this.onFrame) {
      this.onFrame(frame);
      return;
    }
    if (frame[0] === 0x3e /* '>' push */) return; // not asked for on a matched connection
    const callback = this.callbacks[this.head];
    if (callback === undefined || callback instanceof PendingRun) return;
    this.shift();
    callback(frame);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    const waiting = this.callbacks.slice(this.head);
    this.callbacks.length = 0;
    this.head = 0;
    for (const callback of waiting) {
      if (callback instanceof PendingRun) callback.settle(undefined, error);
      else callback(error);
    }
    this.onClose?.(error);
  }
}
